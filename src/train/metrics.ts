// Regression metrics from the sums a backend returns: the loss sum (each row's mean squared error over
// its outputs, so SSE = lossSum · outputs) and, for a regression backend, Σ|error| in Stats.correct.
//   RMSE = √(SSE / (rows·outputs)),  MAE = Σ|error| / (rows·outputs),  R² = 1 − SSE / SST
// with SST = Σ (y − ȳ)² about the evaluated rows' own mean (scikit-learn's r2_score); with several
// outputs SSE and SST are pooled ('variance_weighted'), which for one output is the usual R².
import type { Split, Stats } from './backend.ts';

export interface RegressionMetrics {
  readonly rmse: number;
  readonly mae: number;
  readonly r2: number;
}

/** RMSE, MAE and R² of one regression target, in that target's own units (R² has none). */
export interface TargetMetrics extends RegressionMetrics {
  /** The target's name, when the model's info has it. */
  readonly name?: string;
}

/** Each target's RMSE, MAE and R² from predictions and targets [n][outputs], both in the targets' units,
 *  in float64 (R² about the rows' own mean of that target, as scikit-learn's r2_score 'raw_values'). */
export function perTargetMetrics(
  predicted: ArrayLike<number>,
  y: ArrayLike<number>,
  n: number,
  outputs: number,
  names?: readonly string[],
): TargetMetrics[] {
  return Array.from({ length: outputs }, (_, j) => {
    let sse = 0;
    let sae = 0;
    let mean = 0;
    for (let r = 0; r < n; r++) {
      const e = predicted[r * outputs + j]! - y[r * outputs + j]!;
      sse += e * e;
      sae += Math.abs(e);
      mean += y[r * outputs + j]!;
    }
    mean /= n;
    let sst = 0;
    for (let r = 0; r < n; r++) sst += (y[r * outputs + j]! - mean) ** 2;
    const name = names?.[j];
    return {
      ...(name !== undefined ? { name } : {}),
      rmse: Math.sqrt(sse / n),
      mae: sae / n,
      r2: sst > 0 ? 1 - sse / sst : NaN,
    };
  });
}

/** RMSE, MAE and R² pooled over every value of every target (SSE and SST summed over the targets:
 *  R² is scikit-learn's 'variance_weighted'), and the units RMSE and MAE are in. */
export interface PooledMetrics extends RegressionMetrics {
  /** 'targets': the targets' own units (one target, or targets not standardised: with several, a
   *  mix of their units when they differ); 'standardised': several targets standardised for training
   *  (normalizeTarget), each error in standard deviations of its target's training rows. */
  readonly units: 'targets' | 'standardised';
}

/** What turns Stats into metrics in the targets' units. */
export interface RegressionScale {
  readonly outputs: number;
  /** Multiplies RMSE and MAE back into the targets' units: the standard deviation of a single
   *  standardised target, else 1 (several standardised targets are pooled standardised). */
  readonly unit: number;
  /** Several targets standardised for training: pooled RMSE and MAE are of the standardised values. */
  readonly standardised: boolean;
  /** SST of each split's targets (in training units) and its rows. */
  readonly sst: Readonly<Record<Split, number>>;
  readonly rows: Readonly<Record<Split, number>>;
}

/** Σ_j Σ_r (y[r][j] − ȳ_j)² of targets y [n][outputs], in float64. */
export function sumOfSquares(y: ArrayLike<number>, n: number, outputs: number): number {
  let total = 0;
  for (let j = 0; j < outputs; j++) {
    let mean = 0;
    for (let r = 0; r < n; r++) mean += y[r * outputs + j]!;
    mean /= n;
    for (let r = 0; r < n; r++) total += (y[r * outputs + j]! - mean) ** 2;
  }
  return total;
}

/** Metrics of a whole split, or (period) of some of its training rows, whose SST is taken as the
 *  training split's per row: R² then compares with predicting the training mean. */
export function regressionMetrics(s: Stats, scale: RegressionScale, split: Split, period = false): RegressionMetrics {
  const values = s.count * scale.outputs;
  const sse = s.lossSum * scale.outputs;
  const sst = period ? (scale.sst.train / Math.max(scale.rows.train, 1)) * s.count : scale.sst[split];
  return {
    rmse: scale.unit * Math.sqrt(sse / values),
    mae: (scale.unit * s.correct) / values,
    r2: sst > 0 ? 1 - sse / sst : NaN,
  };
}
