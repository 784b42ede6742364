// Number formats of the loss and accuracy charts, apart from uPlot so they can be tested in node.

/** Fewest decimals that write `step` exactly (to 1e-6 of it), so every tick of an axis has as many. */
export function tickDecimals(step: number): number {
  for (let d = 0; d < 10; d++) if (Math.abs(Number(step.toFixed(d)) - step) <= Math.abs(step) * 1e-6) return d;
  return 10;
}

/** Axis tick labels with one number of decimals for the whole axis ("0.0, 0.5, 1.0", not "0.00, 0.500, 1.00"). */
export function tickLabels(values: readonly number[], step: number, percent: boolean): string[] {
  const d = tickDecimals(percent ? 100 * step : step);
  return values.map((v) => (percent ? `${(100 * v).toFixed(d)}%` : v.toFixed(d)));
}

/** The last non-null value of a series: what the legend shows while the cursor is off the chart. */
export function latest(column: readonly (number | null)[]): number | null {
  for (let i = column.length - 1; i >= 0; i--) {
    const v = column[i];
    if (v !== null && v !== undefined) return v;
  }
  return null;
}

/** Round ticks inside [lo, hi], with their step: the smallest of 1, 2 or 5 × 10^k that cuts the range
 *  into at most `count` steps. */
export function niceTicks(lo: number, hi: number, count: number): { values: number[]; step: number } {
  const raw = (hi - lo) / Math.max(1, count);
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5].map((m) => m * magnitude).find((s) => s >= raw * (1 - 1e-9)) ?? 10 * magnitude;
  const values: number[] = [];
  for (let k = Math.ceil(lo / step - 1e-9); k * step <= hi + step * 1e-9; k++)
    values.push(Number((k * step).toPrecision(12)));
  return { values, step };
}
