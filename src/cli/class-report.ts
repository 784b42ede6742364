// The end of a classification run in words: per class precision, recall, F1 and support, the macro
// line, and the confusion matrix (rows = true class, columns = predicted), with the data's class names
// when it has them.
import type { ClassificationMetrics } from '../index.ts';

const f3 = (x: number) => x.toFixed(3);

/** The lines the CLI prints for a classifier's metrics on `rowsName` ('test' or 'train'). */
export function formatClassification(
  c: ClassificationMetrics,
  rowsName: string,
  classNames?: readonly string[],
): string[] {
  const names = c.perClass.map((_, i) => classNames?.[i] ?? String(i));
  const w = Math.max(5, ...names.map((n) => n.length));
  const row = (name: string, cells: string[]) =>
    `  ${name.padEnd(w)}  ${cells.map((s) => s.padStart(9)).join(' ')}`.trimEnd();
  const counts = c.confusion.flat().map(String);
  const cw = Math.max(...names.map((n) => n.length), ...counts.map((s) => s.length));
  return [
    `${rowsName} classes (precision = of the rows predicted as the class, recall = of the class's rows; a class never predicted has precision 0):`,
    row('class', ['precision', 'recall', 'F1', 'support']),
    ...c.perClass.map((m, i) => row(names[i]!, [f3(m.precision), f3(m.recall), f3(m.f1), String(m.support)])),
    row('macro', [f3(c.macro.precision), f3(c.macro.recall), f3(c.macro.f1), '']),
    `confusion matrix (rows = true class, columns = predicted):`,
    `  ${''.padEnd(w)}  ${names.map((n) => n.padStart(cw)).join(' ')}`,
    ...c.confusion.map((r, i) => `  ${names[i]!.padEnd(w)}  ${r.map((v) => String(v).padStart(cw)).join(' ')}`),
  ];
}
