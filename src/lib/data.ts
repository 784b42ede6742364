// The one way data becomes what a backend reads: rows x [n][features] with class labels (or targets
// already in the output layout), checked against the model, normalised with the model's statistics,
// and targets laid out for its loss (0/1 for a sigmoid output, one-hot for softmax).
import { subset, type Dataset, type GivenSplit } from '../data/dataset.ts';
import { digitPixels, mnistFromDigits } from '../data/mnist-digits.ts';
import { trainTestSplit } from '../data/split.ts';
import { SYNTHETIC_NAMES, syntheticDataset, type SyntheticName } from '../data/synthetic.ts';
import { layerCount, size, type InputNormalization, type ModelSpec } from '../model.ts';
import type { SplitData } from '../train/backend.ts';
import { TrainerError } from '../errors.ts';
import { Rng } from '../rng.ts';

/** Names rows can carry (a CSV's header and label column): the first fit takes those its model's info
 *  lacks into it, so save, exportOnnx and the model's info have them. A Dataset has the same fields. */
export interface DataNames {
  /** Names of the feature columns, in order. */
  readonly featureNames?: readonly string[];
  /** Class names, index = label (classification). */
  readonly classNames?: readonly string[];
  /** Name of the label column. */
  readonly labelName?: string;
  /** Names of the target columns, index = output (regression). */
  readonly targetNames?: readonly string[];
}

/** Rows for fit, evaluate or checkStep: features x [n][features] row-major, and either integer class
 *  labels (0..k−1) or targets y [n][outputs] in the output layer's layout (for 'mse'); optionally the
 *  names of its columns and classes (labeled() keeps a Dataset's). */
export interface LabeledData extends DataNames {
  readonly x: Float32Array;
  readonly labels?: ArrayLike<number>;
  readonly y?: Float32Array;
}

/** Rows in a backend's layout: x normalised, y targets for the loss (regression targets standardised
 *  with targetNormalization when given). */
export function toSplit(
  spec: ModelSpec,
  data: LabeledData,
  what: string,
  normalization?: InputNormalization,
  targetNormalization?: InputNormalization,
): SplitData {
  const n0 = size(spec, 0);
  const out = size(spec, layerCount(spec));
  const bad = (m: string) => new TrainerError('bad-input', `${what}: ${m}`);
  if (!(data.x instanceof Float32Array)) throw bad('x must be a Float32Array of rows [n][features]');
  if (data.x.length % n0 !== 0)
    throw bad(`x has ${data.x.length} values, not a whole number of rows of ${n0} features (the model's input size)`);
  const n = data.x.length / n0;
  let y: Float32Array;
  if (data.y !== undefined) {
    if (!(data.y instanceof Float32Array)) throw bad('y must be a Float32Array of targets [n][outputs]');
    if (data.y.length !== n * out) throw bad(`y has ${data.y.length} values, expected ${n} rows × ${out} outputs`);
    for (let i = 0; i < data.y.length; i++) {
      if (!Number.isFinite(data.y[i]!))
        throw bad(`y[${Math.floor(i / out)}][${i % out}] is ${data.y[i]}; every target must be finite`);
    }
    y = targetNormalization ? applyNormalization(data.y, targetNormalization) : data.y;
  } else if (data.labels !== undefined) {
    if (data.labels.length !== n) throw bad(`${data.labels.length} labels for ${n} rows`);
    // Classes as targets: 0/1 for one sigmoid unit, one-hot otherwise (also for 'mse', the course's
    // squared error on one-hot targets); regression values come as y instead.
    const classes = out === 1 ? 2 : out;
    y = new Float32Array(n * out);
    for (let i = 0; i < n; i++) {
      const c = data.labels[i]!;
      if (!Number.isInteger(c) || c < 0 || c >= classes)
        throw bad(`label of row ${i} is ${c}, expected an integer class in 0..${classes - 1}`);
      if (out === 1) y[i] = c;
      else y[i * out + c] = 1;
    }
  } else throw bad('give labels (class per row) or y (targets per row)');
  for (let i = 0; i < data.x.length; i++) {
    if (!Number.isFinite(data.x[i]!))
      throw bad(`x[${Math.floor(i / n0)}][${i % n0}] is ${data.x[i]}; every feature must be finite`);
  }
  return { x: normalization ? applyNormalization(data.x, normalization) : data.x, y, n };
}

/** Statistics of each feature column over the rows of x [n][features] (float64 sums). */
export function fitNormalization(
  x: Float32Array,
  features: number,
  method: InputNormalization['method'],
): InputNormalization {
  const n = x.length / features;
  if (!(n >= 1) || !Number.isInteger(n))
    throw new TrainerError(
      'bad-input',
      `normalization: needs at least one row of ${features} features, got ${x.length} values`,
    );
  const shift: number[] = [];
  const scale: number[] = [];
  for (let c = 0; c < features; c++) {
    let sum = 0;
    let min = Infinity;
    let max = -Infinity;
    for (let r = 0; r < n; r++) {
      const v = x[r * features + c]!;
      sum += v;
      min = Math.min(min, v);
      max = Math.max(max, v);
    }
    let sh: number;
    let sc: number;
    if (method === 'minmax') {
      sh = min;
      sc = max - min;
    } else {
      sh = sum / n;
      let sq = 0;
      for (let r = 0; r < n; r++) sq += (x[r * features + c]! - sh) ** 2;
      sc = Math.sqrt(sq / n);
    }
    shift.push(sh);
    scale.push(sc > 0 ? sc : 1); // a constant column divides by 1
  }
  return { method, shift, scale };
}

/** (x − shift) / scale per feature, in float64, stored as float32. */
export function applyNormalization(x: Float32Array, nz: InputNormalization): Float32Array {
  const f = nz.shift.length;
  const out = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = (x[i]! - nz.shift[i % f]!) / nz.scale[i % f]!;
  return out;
}

/** A data set split the one way every front end does it: a seeded test split (or the test set the data
 *  came with, as given: testSplit is then not used), then a dev split out of the training rows (its own
 *  seeded permutation, seed + 1); normalisation is fitted later, by the trainer, on the training rows only. */
export function splitDataset(
  d: Dataset | GivenSplit,
  o: { readonly testSplit: number; readonly devSplit?: number; readonly seed: number },
): { train: Dataset; test: Dataset; dev?: Dataset } {
  const bad = (m: string) => new TrainerError('bad-input', `splitDataset: ${m}`);
  if (typeof d !== 'object' || d === null) throw bad('expected a Dataset (or { train, test })');
  if (typeof o !== 'object' || o === null) throw bad('needs options { testSplit, seed } (and devSplit)');
  if (!Number.isInteger(o.seed)) throw bad(`seed must be an integer, got ${o.seed}`);
  if (o.devSplit !== undefined && !(o.devSplit >= 0 && o.devSplit < 1))
    throw bad(`devSplit must be in [0, 1), got ${o.devSplit}`);
  const { train, test } = 'train' in d ? d : trainTestSplit(d, o.testSplit, o.seed);
  if (!o.devSplit) return { train, test };
  const inner = trainTestSplit(train, o.devSplit, o.seed + 1);
  return { train: inner.train, test, dev: inner.test };
}

/** The names a Dataset (or rows) carries, only those it has. */
export function dataNames(d: DataNames): DataNames {
  return {
    ...(d.featureNames ? { featureNames: d.featureNames } : {}),
    ...(d.classNames ? { classNames: d.classNames } : {}),
    ...(d.labelName !== undefined ? { labelName: d.labelName } : {}),
    ...(d.targetNames ? { targetNames: d.targetNames } : {}),
  };
}

/** Rows of a Dataset as fit/evaluate input: its class labels, or its regression targets, with the
 *  names it has (feature, class, label and target names), which the first fit keeps in the model's info. */
export const labeled = (d: Dataset): LabeledData =>
  d.y ? { x: d.x, y: d.y, ...dataNames(d) } : { x: d.x, labels: d.labels, ...dataNames(d) };

/** A built-in 2-D toy set (spiral with 3 classes, moons, circles, xor), with the set's own default noise
 *  unless `noise` is given: the same name, size, seed and noise give the same rows everywhere. */
export function toyDataset(name: SyntheticName, n: number, seed: number, noise?: number): Dataset {
  if (!SYNTHETIC_NAMES.includes(name))
    throw new TrainerError(
      'bad-input',
      `toyDataset: no toy set '${String(name)}'; the names are ${SYNTHETIC_NAMES.map((s) => `'${s}'`).join(', ')}`,
    );
  return syntheticDataset(name, n, seed, noise);
}

/** At most `max` rows of `d`: a seeded random subset (its rows in the permutation's order), or `d`
 *  itself when it has no more. */
export function capRows(d: Dataset, max: number, seed: number): Dataset {
  return d.n > max ? subset(d, new Rng(seed).permutation(d.n).subarray(0, max)) : d;
}

/** MNIST from the `mnist` package's ten parsed digits/{d}.json files, in digit order (each
 *  { "data": [784·k pixels in [0, 1]] }, `where` naming it in errors): the rows loadMnist reads in Node,
 *  for a page or Worker that fetched the files. */
export function mnistDataset(files: readonly { readonly json: unknown; readonly where: string }[]): Dataset {
  if (files.length !== 10)
    throw new TrainerError('bad-input', `mnistDataset: expected the 10 digit files, got ${files.length}`);
  return mnistFromDigits(files.map((f) => digitPixels(f.json, f.where)));
}
