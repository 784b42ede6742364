// A labelled classification data set in the trainer's layout.
export interface Dataset {
  readonly name: string;
  /** Number of rows (examples). */
  readonly n: number;
  /** Features per row. */
  readonly features: number;
  /** Number of classes k (labels are 0..k-1). */
  readonly classes: number;
  /** Features, [n][features] row-major. */
  readonly x: Float32Array;
  /** Integer labels, [n]. */
  readonly labels: Uint32Array;
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

/** Targets Y in the output layer's layout: [n][1] with 0/1 for k = 2 (sigmoid), one-hot [n][k] otherwise. */
export function targets(d: Dataset): Float32Array {
  const out = d.classes === 2 ? 1 : d.classes;
  const y = new Float32Array(d.n * out);
  for (let i = 0; i < d.n; i++) {
    const c = d.labels[i]!;
    if (out === 1) y[i] = c;
    else y[i * out + c] = 1;
  }
  return y;
}

/** Rows `idx` of `d` as a new data set. */
export function subset(d: Dataset, idx: ArrayLike<number>, name = d.name): Dataset {
  const x = new Float32Array(idx.length * d.features);
  const labels = new Uint32Array(idx.length);
  for (let i = 0; i < idx.length; i++) {
    const r = idx[i]!;
    x.set(d.x.subarray(r * d.features, (r + 1) * d.features), i * d.features);
    labels[i] = d.labels[r]!;
  }
  return { ...d, name, n: idx.length, x, labels };
}
