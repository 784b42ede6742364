// Integer class labels, by the same rules for the CSV reader and the other sources (IDX, NumPy arrays).
import { TrainerError } from '../errors.ts';

/** Largest class count: k = max label + 1 output units, so a stray huge label would blow up the model. */
export const MAX_CSV_CLASSES = 10000;

export function parseLabel(v: number, where: string): number {
  if (!Number.isInteger(v) || v < 0)
    throw new TrainerError('bad-input', `${where}: label must be a non-negative integer, got ${v}`);
  if (v >= MAX_CSV_CLASSES)
    throw new TrainerError('bad-input', `${where}: label ${v} is too large (at most ${MAX_CSV_CLASSES - 1})`);
  return v;
}

/** k for class labels 0..k−1: at least 2 distinct classes and every class present (a gap is almost
 *  always 1-based labels or a typo). `what` names the labels in the error, after `name`. */
export function classCount(labels: Uint32Array, name: string, what: string): number {
  const seen = new Uint8Array(MAX_CSV_CLASSES); // every label passed parseLabel's bound
  let classes = 0;
  for (const l of labels) {
    seen[l] = 1;
    if (l + 1 > classes) classes = l + 1;
  }
  let distinct = 0;
  for (let c = 0; c < classes; c++) distinct += seen[c]!;
  if (distinct < 2)
    throw new TrainerError(
      'bad-input',
      `${name}: ${what} needs at least 2 distinct classes, found only ${labels.length > 0 ? `class ${labels[0]}` : 'no rows'}`,
    );
  const missing: number[] = [];
  for (let c = 0; c < classes; c++) if (!seen[c]) missing.push(c);
  if (missing.length > 0) {
    const list = missing.length > 5 ? `${missing.slice(0, 5).join(', ')}, ...` : missing.join(', ');
    throw new TrainerError(
      'bad-input',
      `${name}: labels must be 0..k-1 with every class present; the largest label is ${classes - 1} but no row has label ${list}${missing[0] === 0 ? ' (1-based labels?)' : ''}`,
    );
  }
  return classes;
}
