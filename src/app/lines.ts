// The page's lines of text about the data, the model, its memory and a saved run, and the number
// formats of the progress line: pure, apart from the DOM, so main.ts only places them.
import { formatBytes, type AdapterLimits, type TrainEvent } from '../index.ts';
import type { ErrorContext, FromWorker, SplitFigures } from './protocol.ts';
import { formatHidden } from './settings.ts';
import type { SavedRunInfo } from './store.ts';
import type { RateEstimator } from './rate.ts';

export const pct = (v: number | null) => (v === null ? 'n/a' : `${(100 * v).toFixed(1)}%`);
export const num = (v: number | undefined) => (v === undefined ? 'n/a' : v.toPrecision(3));
/** RMSE, MAE and R² of a regression, where a classifier shows its accuracy. */
export const metrics = (rmse: number | undefined, mae: number | undefined, r2: number | undefined) =>
  `RMSE ${num(rmse)}, MAE ${num(mae)}, R² ${r2 === undefined ? 'n/a' : r2.toFixed(3)}`;
export const seconds = (s: number) => (s < 90 ? `${s.toFixed(0)} s` : `${(s / 60).toFixed(1)} min`);

const NAMES_SHOWN = 10;
export const nameList = (names: readonly string[]) =>
  names.slice(0, NAMES_SHOWN).join(', ') + (names.length > NAMES_SHOWN ? `, … (${names.length})` : '');

/** What the picked data holds: rows, features, the task and its classes or target. */
export function dataLine(m: Extract<FromWorker, { type: 'csv' }>): string {
  const what =
    m.task === 'regression'
      ? `regression on "${m.label}" (${m.reason})`
      : `${m.classes} classes${m.classNames ? ` (${nameList(m.classNames)})` : ''}${m.label ? ` in "${m.label}"` : ''}`;
  const rows = m.testRows !== undefined ? `${m.rows} train + ${m.testRows} test rows (as given)` : `${m.rows} rows`;
  return `${m.name}: ${rows}, ${m.features} features, ${what}${m.label === '' && m.reason ? ` · ${m.reason}` : ''}`;
}

/** The model a run made: sizes, parameters, task, rows, device and where it started. */
export function modelLine(m: Extract<FromWorker, { type: 'ready' }>): string {
  const regression = m.task === 'regression';
  const task = regression
    ? `regression of ${m.targetNames ? m.targetNames.join(', ') : 'the targets'}`
    : m.classNames
      ? `classes: ${nameList(m.classNames)}`
      : '';
  return (
    `Model: sizes [${m.spec.sizes.join(', ')}], ${m.spec.activation}${m.spec.batchNorm ? ' + batch norm' : ''}, loss ${m.spec.loss} · ${m.params.toLocaleString('en')} parameters (${formatBytes(4 * m.params)}) · ` +
    `${task ? `${task} · ` : ''}${m.trainRows} train / ${m.devRows > 0 ? `${m.devRows} dev / ` : ''}${m.testRows} test rows · ${m.device === 'gpu' ? 'WebGPU' : 'CPU reference'} · start: ${m.initFrom}`
  );
}

/** The run's GPU memory: the plan's layout before allocation ('estimated'), then the bytes it holds. */
export function memoryLine(
  bytes: number,
  largest: { name: string; bytes: number },
  estimated: boolean,
  limits: AdapterLimits | undefined,
): string {
  return (
    `GPU memory for this run: ${formatBytes(bytes)}${estimated ? " (estimated from the plan's layout)" : ''} · largest buffer '${largest.name}' ${formatBytes(largest.bytes)}` +
    (limits
      ? `, ${((100 * largest.bytes) / Math.min(limits.maxBufferSize, limits.maxStorageBufferBindingSize)).toPrecision(2)}% of the adapter's per-buffer limit`
      : '')
  );
}

/** The run a reload can continue: where it got to, when, and its settings. */
export function savedRunLine(info: SavedRunInfo): string {
  const s = info.settings;
  return (
    `Last run: step ${info.step} of ${info.totalSteps} (epoch ${Math.min(info.epoch, s.epochs)} of ${s.epochs}), saved ${new Date(info.savedAt).toLocaleString()} · ` +
    `${s.data}, hidden [${formatHidden(s.hidden)}], ${s.activation}${s.batchNorm ? ' + batch norm' : ''}, ${s.optimizer} lr ${s.lr}${s.l2 > 0 ? `, L2 ${s.l2}` : ''}${s.keepProb < 1 ? `, keep-prob ${s.keepProb}` : ''}, batch ${s.batchSize}, seed ${s.seed}, ${s.device === 'gpu' ? 'WebGPU' : 'CPU reference'}`
  );
}

/** What the page calls each source of errors, before the message. */
export const ERROR_TITLES: Record<ErrorContext, string> = {
  adapter: 'Adapter',
  csv: 'CSV',
  load: 'Load model',
  train: 'Training',
  sweep: 'Sweep',
  check: 'Check',
  save: 'Save',
  storage: 'Saved run',
  gradcheck: 'Gradient check',
  control: 'Control',
  surface: 'Loss surface',
  try: 'Try the model',
};

/** A split's loss with its R² (regression) or accuracy. */
export const splitFigures = (f: SplitFigures, regression: boolean): string =>
  regression
    ? `loss ${f.loss.toPrecision(4)}, R² ${f.r2 === undefined ? 'n/a' : f.r2.toFixed(3)}`
    : `loss ${f.loss.toPrecision(4)}, acc ${pct(f.accuracy)}`;

/** The live progress line: where the run is, its rate and time left over the estimator's window
 *  ("measuring" until the window holds enough), and a regression's training figures. */
export function progressLine(e: Extract<TrainEvent, { type: 'progress' }>, rate: RateEstimator, regression: boolean) {
  const r = rate.rate;
  const left = rate.secondsLeft(e.totalSteps);
  const pace =
    r === undefined || left === undefined ? 'measuring steps/s…' : `${r.toFixed(0)} steps/s · ${seconds(left)} left`;
  return (
    `epoch ${e.epoch} · step ${e.step} / ${e.totalSteps} · ${pace}` +
    (regression ? ` · train ${metrics(e.rmse, e.mae, e.r2)}` : '')
  );
}

/** A loaded model file: its sizes and its figures on the settings' data. */
export function loadedLine(m: Extract<FromWorker, { type: 'loaded' }>): string {
  return (
    `Loaded ${m.name}: sizes [${m.spec.sizes.join(', ')}] · train loss ${m.loss.toPrecision(4)}, ` +
    (m.trainR2 !== undefined
      ? `train R² ${m.trainR2.toFixed(3)}, test R² ${m.testR2 == null ? 'n/a' : m.testR2.toFixed(3)}`
      : `train acc ${pct(m.trainAccuracy)}, test acc ${pct(m.testAccuracy)}`) +
    ' · the next run starts from these weights'
  );
}
