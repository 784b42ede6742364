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

/** What turns Stats into metrics in the targets' units. */
export interface RegressionScale {
  readonly outputs: number;
  /** Multiplies RMSE and MAE back into the targets' units: the standard deviation of a single
   *  standardised target, else 1 (several standardised targets are reported standardised). */
  readonly unit: number;
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
