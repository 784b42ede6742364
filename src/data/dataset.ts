// A data set in the trainer's layout: features, and either class labels (classification) or target
// values (regression).
export interface Dataset {
  readonly name: string;
  /** Number of rows (examples). */
  readonly n: number;
  /** Features per row. */
  readonly features: number;
  /** Number of classes k (labels are 0..k-1); 0 for regression. */
  readonly classes: number;
  /** Features, [n][features] row-major. */
  readonly x: Float32Array;
  /** Integer labels, [n]; empty for regression. */
  readonly labels: Uint32Array;
  /** Regression targets, [n][targets] row-major (absent for classification). */
  readonly y?: Float32Array;
  /** Names of the target columns (regression). */
  readonly targetNames?: readonly string[];
  /** Column names of the features (a CSV header), when known. */
  readonly featureNames?: readonly string[];
  /** Name of the label column, when known. */
  readonly labelName?: string;
  /** Class names, index = label, when known. */
  readonly classNames?: readonly string[];
}

/** Training and test rows as a data set comes with them (MNIST's t10k files, an .npz's x_test/y_test):
 *  used as given, never re-split. */
export interface GivenSplit {
  readonly train: Dataset;
  readonly test: Dataset;
}

/** Targets Y in the output layer's layout: the regression targets as they are; for classes [n][1] with
 *  0/1 for k = 2 (sigmoid), one-hot [n][k] otherwise. */
export function targets(d: Dataset): Float32Array {
  if (d.y) return d.y;
  const out = d.classes === 2 ? 1 : d.classes;
  const y = new Float32Array(d.n * out);
  for (let i = 0; i < d.n; i++) {
    const c = d.labels[i]!;
    if (out === 1) y[i] = c;
    else y[i * out + c] = 1;
  }
  return y;
}

/** Number of regression targets per row (0 for a classification set). */
export function targetCount(d: Dataset): number {
  return d.y && d.n > 0 ? d.y.length / d.n : d.y ? (d.targetNames?.length ?? 0) : 0;
}

/** Rows `idx` of `d` as a new data set (labels and targets come along). */
export function subset(d: Dataset, idx: ArrayLike<number>, name = d.name): Dataset {
  const x = new Float32Array(idx.length * d.features);
  const hasLabels = d.labels.length === d.n && d.n > 0;
  const labels = new Uint32Array(hasLabels ? idx.length : 0);
  const t = targetCount(d);
  const y = d.y ? new Float32Array(idx.length * t) : undefined;
  for (let i = 0; i < idx.length; i++) {
    const r = idx[i]!;
    x.set(d.x.subarray(r * d.features, (r + 1) * d.features), i * d.features);
    if (hasLabels) labels[i] = d.labels[r]!;
    if (y) y.set(d.y!.subarray(r * t, (r + 1) * t), i * t);
  }
  return { ...d, name, n: idx.length, x, labels, ...(y ? { y } : {}) };
}
