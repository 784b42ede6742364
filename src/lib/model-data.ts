// How raw rows become what a backend reads, for one model: the input and target scalings (fitted once,
// on the first training rows, and kept in the model's info), the split layout, and the sums that turn
// a regression model's statistics into RMSE, MAE and R².
import { layerCount, size, type InputNormalization, type ModelSpec } from '../model.ts';
import type { Split, SplitData } from '../train/backend.ts';
import { sumOfSquares, type RegressionScale } from '../train/metrics.ts';
import { TrainerError, messageOf } from '../errors.ts';
import { fitNormalization, toSplit, type DataNames, type LabeledData } from './data.ts';
import { validateInfo, type ModelInfo } from './model-file.ts';

export const EMPTY_SPLIT: SplitData = { x: new Float32Array(0), y: new Float32Array(0), n: 0 };

export class ModelData {
  private readonly normalizeMethod: InputNormalization['method'] | undefined;

  constructor(
    private readonly spec: ModelSpec,
    /** Outputs are values (loss 'mse', info.task 'regression'). */
    readonly regression: boolean,
    /** Names, scalings and settings, as save() writes them; fitScalings adds to it. */
    public info: ModelInfo,
    normalize: 'standard' | 'minmax' | 'none' | undefined,
    private readonly normalizeTarget: boolean,
  ) {
    const n = normalize ?? 'none';
    this.normalizeMethod = n === 'none' ? undefined : n;
  }

  /** Takes the names the training rows carry into the info where it has none yet, and fits the input
   *  (normalize) and target (normalizeTarget) scalings asked for and not had yet on these raw rows, so
   *  the first fit, checkStep or gradcheck sees the rows the training will; later calls keep them. */
  fitScalings(train: LabeledData, what: string): void {
    this.adoptNames(train, what);
    const inputs = this.normalizeMethod !== undefined && !this.info.normalization;
    const targets = this.normalizeTarget && !this.info.targetNormalization;
    if (!inputs && !targets) return;
    // The raw rows are checked before statistics are taken from them.
    this.checkTargets(train, what);
    toSplit(this.spec, train, what);
    if (inputs)
      this.info = { ...this.info, normalization: fitNormalization(train.x, size(this.spec, 0), this.normalizeMethod!) };
    if (targets)
      this.info = {
        ...this.info,
        targetNormalization: fitNormalization(train.y!, size(this.spec, layerCount(this.spec)), 'standard'),
      };
  }

  /** Rows in the backend's layout, normalised with the model's statistics. */
  split(data: LabeledData, what: string): SplitData {
    this.checkTargets(data, what);
    return toSplit(this.spec, data, what, this.info.normalization, this.info.targetNormalization);
  }

  /** How a regression model's sums become RMSE, MAE and R² over these splits. */
  regressionScale(splits: Record<Split, SplitData>): RegressionScale {
    const outputs = size(this.spec, layerCount(this.spec));
    const tn = this.info.targetNormalization;
    const part = (f: (d: SplitData) => number) => ({
      train: f(splits.train),
      test: f(splits.test),
      dev: f(splits.dev),
    });
    return {
      outputs,
      unit: outputs === 1 && tn ? tn.scale[0]! : 1,
      standardised: outputs > 1 && tn !== undefined,
      sst: part((d) => sumOfSquares(d.y, d.n, outputs)),
      rows: part((d) => d.n),
    };
  }

  /** The rows' feature, label and class (regression: target) names, each one the info lacks: names
   *  the caller gave in createTrainer's info, or a loaded model had, win. Names that do not fit the
   *  model (a count that differs) throw, since they would misname its inputs or outputs. */
  private adoptNames(train: LabeledData, what: string): void {
    const info = this.info;
    const take = (k: keyof DataNames) => (info[k] === undefined && train[k] !== undefined ? { [k]: train[k] } : {});
    const names: ModelInfo = {
      ...take('featureNames'),
      ...take('labelName'),
      ...take(this.regression ? 'targetNames' : 'classNames'),
    };
    if (Object.keys(names).length === 0) return;
    try {
      this.info = validateInfo({ ...info, ...names }, this.spec);
    } catch (e) {
      throw new TrainerError('bad-input', `${what}: the rows' names do not fit the model (${messageOf(e)})`, {
        cause: e,
      });
    }
  }

  private checkTargets(data: LabeledData, what: string): void {
    if (this.regression && data.y === undefined)
      throw new TrainerError('bad-input', `${what}: a regression model takes targets y [n][outputs], not class labels`);
  }
}
