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
export function classCount(labels: Uint32Array, name: string, what: string, hint = ''): number {
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
      `${name}: labels must be 0..k-1 with every class present; the largest label is ${classes - 1} but no row has label ${list}${missing[0] === 0 ? ' (1-based labels?)' : ''}${hint}`,
    );
  }
  return classes;
}

/** Why task 'auto' reads a column of whole numbers as a numeric target, or undefined for classes: exactly
 *  0..k−1 with every class present are classes, and so is 1..k (almost always 1-based classes, which
 *  classCount then refuses); any other whole numbers (negative, gaps, past MAX_CSV_CLASSES) are a target. */
export function wholeNumberTarget(values: Float32Array, what: string): string | undefined {
  let [min, max] = [Infinity, -Infinity];
  for (const v of values) [min, max] = [Math.min(min, v), Math.max(max, v)];
  if (values.length === 0) return undefined;
  if (min < 0) return `${what} holds negative whole numbers (${min}..${max}), not classes 0..k−1`;
  if (max >= MAX_CSV_CLASSES) return `${what} holds whole numbers up to ${max}, too large for classes 0..k−1`;
  const seen = new Uint8Array(max + 1);
  for (const v of values) seen[v] = 1;
  const distinct = seen.reduce((s, b) => s + b, 0);
  const gaps = distinct < max + 1 - min;
  if (!gaps && (min === 0 || min === 1)) return undefined;
  return `${what} holds whole numbers ${min}..${max} that are not classes 0..k−1 (${distinct} distinct values${gaps ? ', with gaps' : ''})`;
}
