// How long a run will take on this adapter, before it starts, from the model's size: a step costs a
// fixed overhead plus three passes' multiply-adds (forward, and backward's two) at the adapter's rate,
// and each epoch evaluates the test rows once. The rate is the one measured by the last run on this
// adapter that was large enough to show it, else a prior (SwiftShader's measured at hidden 1024,1024:
// 0.6 s a step of 32 rows). The page warns when a run will take minutes.
import { forwardMacs } from '../index.ts';
import type { Settings } from './settings.ts';

/** Seconds a step costs beyond its arithmetic (dispatch, submit, read-back): the default spiral run's
 *  4.5 ms a step on SwiftShader, rounded up. */
const STEP_OVERHEAD = 0.005;

/** Multiply-adds a second where no run has measured them: SwiftShader's (CPU) and a GPU's, both low. */
export const PRIOR_RATE = { swiftshader: 1.7e8, gpu: 2e10 } as const;

/** What the page knows of the data before it is loaded: inputs, outputs and rows. */
export interface DataShape {
  readonly inputs: number;
  readonly outputs: number;
  readonly rows: number;
}

/** Multiply-adds of one row's forward pass through the model these settings make. */
export function macsPerRow(s: Settings, d: DataShape): number {
  return forwardMacs([d.inputs, ...s.hidden, d.outputs]);
}

/** Seconds the run should take at `rate` multiply-adds a second. */
export function estimateSeconds(s: Settings, d: DataShape, rate: number): number {
  const rows = Math.min(s.samples, d.rows);
  const train = Math.max(1, Math.round(rows * (1 - s.testSplit)));
  const batch = Math.min(s.batchSize, train);
  const steps = s.epochs * Math.ceil(train / batch);
  const macs = macsPerRow(s, d);
  return steps * (STEP_OVERHEAD + (3 * batch * macs) / rate) + (s.epochs * (rows - train) * macs) / rate;
}

/** The rate a finished run shows (multiply-adds a second), when its arithmetic outweighed its overhead
 *  enough to tell; undefined otherwise. */
export function measuredRate(macsPerStep: number, stepsPerSecond: number): number | undefined {
  const arithmetic = 1 / stepsPerSecond - STEP_OVERHEAD;
  return arithmetic > STEP_OVERHEAD ? macsPerStep / arithmetic : undefined;
}

/** Runs estimated at this many seconds or more are warned about. */
export const WARN_SECONDS = 60;

/** The warning for a run of `seconds` on `adapter` (empty under WARN_SECONDS). */
export function estimateLine(seconds: number, adapter: string, measured: boolean): string {
  if (!(seconds >= WARN_SECONDS)) return '';
  const time = seconds < 5400 ? `${Math.round(seconds / 60)} min` : `${(seconds / 3600).toFixed(1)} h`;
  return `This run should take about ${time} on ${adapter} (${measured ? 'at the rate the last large run here measured' : 'estimated from its size'}); Stop ends it at any time, keeping what it learnt.`;
}

const RATE_KEY = 'webgpu-mlp-trainer:rate:';

/** The rate of the adapter: measured by an earlier run here (localStorage), else the prior. */
export function rateOf(adapter: string): { rate: number; measured: boolean } {
  const kept = Number(globalThis.localStorage?.getItem(RATE_KEY + adapter));
  if (kept > 0) return { rate: kept, measured: true };
  return { rate: /swiftshader/i.test(adapter) ? PRIOR_RATE.swiftshader : PRIOR_RATE.gpu, measured: false };
}

/** Keeps a rate a finished run measured, for the next estimates on this adapter. */
export function keepRate(adapter: string, rate: number): void {
  globalThis.localStorage?.setItem(RATE_KEY + adapter, String(rate));
}

/** What the page knows of the settings' data: a file's shape once read, MNIST's, a 2-D set's. */
export function dataShapeOf(s: Settings, file: DataShape | undefined): DataShape | undefined {
  if (s.data === 'csv') return file;
  if (s.data === 'mnist') return { inputs: 784, outputs: 10, rows: 70_000 };
  return { inputs: 2, outputs: s.data === 'spiral' ? 3 : 1, rows: s.samples };
}

/** The warning for a WebGPU run of these settings on `adapter` ('' for a short one, or when the data's
 *  shape or the adapter is not known yet). */
export function warningFor(s: Settings, file: DataShape | undefined, adapter: string): string {
  const d = dataShapeOf(s, file);
  if (!d || !adapter || s.device !== 'gpu') return '';
  const r = rateOf(adapter);
  return estimateLine(estimateSeconds(s, d, r.rate), adapter, r.measured);
}
