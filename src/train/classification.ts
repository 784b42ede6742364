// Classification metrics from true and predicted classes: the confusion matrix (rows = true class,
// columns = predicted class), and per class precision = TP / predicted, recall = TP / support and
// F1 = 2PR / (P + R), with their unweighted (macro) means over every class of the model. A 0/0 is
// taken as 0, as scikit-learn's zero_division=0 does: a class never predicted has precision 0, a
// class with no rows recall 0, and then F1 0.

/** One class's precision, recall and F1, and its support (rows whose true class it is). */
export interface ClassMetrics {
  readonly precision: number;
  readonly recall: number;
  readonly f1: number;
  readonly support: number;
}

/** A classifier's confusion matrix and per-class and macro precision, recall and F1. */
export interface ClassificationMetrics {
  /** confusion[t][p]: rows of true class t predicted as class p. */
  readonly confusion: number[][];
  /** One entry per class of the model, in class order. */
  readonly perClass: ClassMetrics[];
  /** The unweighted means of perClass over every class (classes with no rows count too). */
  readonly macro: { readonly precision: number; readonly recall: number; readonly f1: number };
}

const ratio = (a: number, b: number): number => (b > 0 ? a / b : 0);

/** The metrics of predicted classes against true ones, both 0..classes−1. */
export function classificationMetrics(
  truth: ArrayLike<number>,
  predicted: ArrayLike<number>,
  classes: number,
): ClassificationMetrics {
  if (truth.length !== predicted.length)
    throw new Error(`classificationMetrics: ${truth.length} true classes but ${predicted.length} predicted`);
  const confusion = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  for (let r = 0; r < truth.length; r++) confusion[truth[r]!]![predicted[r]!]!++;
  const perClass = confusion.map((row, c) => {
    const tp = row[c]!;
    const support = row.reduce((a, b) => a + b, 0);
    const predictedAs = confusion.reduce((a, r) => a + r[c]!, 0);
    const precision = ratio(tp, predictedAs);
    const recall = ratio(tp, support);
    return { precision, recall, f1: ratio(2 * precision * recall, precision + recall), support };
  });
  const mean = (k: 'precision' | 'recall' | 'f1') => perClass.reduce((a, m) => a + m[k], 0) / classes;
  return { confusion, perClass, macro: { precision: mean('precision'), recall: mean('recall'), f1: mean('f1') } };
}

/** The true class of each row of a classifier's targets y [rows][k] (one unit: 0/1 above 0.5; else the
 *  one-hot's largest). */
export function trueClasses(y: Float32Array, rows: number, k: number): Uint32Array {
  return Uint32Array.from({ length: rows }, (_, r) => {
    if (k === 1) return y[r]! > 0.5 ? 1 : 0;
    let best = 0;
    for (let c = 1; c < k; c++) if (y[r * k + c]! > y[r * k + best]!) best = c;
    return best;
  });
}
