// The end of a run with several regression targets in words: each target's RMSE, MAE and R² in its own
// units (the run's progress lines pool them, so they cannot say them in any one target's units).
import type { TargetMetrics } from '../index.ts';

/** The lines the CLI prints for each target's metrics on `rowsName` ('test' or 'train'). */
export function formatTargets(targets: readonly TargetMetrics[], rowsName: string): string[] {
  const names = targets.map((t, i) => t.name ?? `target ${i}`);
  const w = Math.max(6, ...names.map((n) => n.length));
  const row = (name: string, cells: string[]) => `  ${name.padEnd(w)}  ${cells.map((s) => s.padStart(10)).join(' ')}`;
  return [
    `${rowsName} targets, each in its own units:`,
    row('target', ['RMSE', 'MAE', 'R²']),
    ...targets.map((t, i) => row(names[i]!, [t.rmse.toPrecision(4), t.mae.toPrecision(4), t.r2.toFixed(4)])),
  ];
}
