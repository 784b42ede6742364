// The page: settings form (mirrored in the URL), buttons, and the live views. All training, data
// loading and model files are handled by the worker (worker.ts); this thread only draws, at most once
// per animation frame, so it stays responsive while a run is going.
import { describePath, formatBytes, forwardMacs, type TrainEvent } from '../index.ts';
import { Curves } from './charts.ts';
import { onCheck, onGradcheck } from './check-views.ts';
import { showConfusion } from './confusion-view.ts';
import { addHints } from './hints.ts';
import { ModelLoader } from './model-load-view.ts';
import { Probe } from './probe-view.ts';
import { acceptDrops, markFields, showDataFields, showOptimizerFields } from './form-view.ts';
import { keepRate, measuredRate, warningFor, type DataShape } from './estimate.ts';
import { download, shareButton } from './download.ts';
import { ERROR_TITLES, loadedLine, splitFigures } from './lines.ts';
import { dataLine, memoryLine, metrics, modelLine, pct, progressLine, savedRunLine, seconds } from './lines.ts';
import { RateEstimator } from './rate.ts';
import type { Predictions } from './predict.ts';
import { isBusy, type FromWorker, type RunState, type SplitFigures, type ToWorker, type ViewData } from './protocol.ts';
import {
  DEFAULTS,
  formatHidden,
  KEYS,
  parseSettings,
  regressionSettings,
  settingsToQuery,
  type FieldError,
  type Settings,
} from './settings.ts';
import type { SavedRunInfo } from './store.ts';
import { sweepTrials } from './sweep.ts';
import { SweepPanel } from './sweep-panel.ts';
import { NetworkView } from './network-view.ts';
import { SurfaceView } from './surface-view.ts';
import { PlayViews } from './play-views.ts';
import { drawBoundary, drawDigits, drawScatter, updateDigits } from './views.ts';

const $ = <T extends HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`page is missing #${id}`);
  return el as T;
};
const form = $<HTMLFormElement>('settings');
const errorBox = $('error');
const status = $('status');
const progress = $<HTMLProgressElement>('progress');
const progressText = $('progress-text');
const modelInfo = $('model-info');
const buttons = {
  start: $<HTMLButtonElement>('start'),
  pause: $<HTMLButtonElement>('pause'),
  resume: $<HTMLButtonElement>('resume'),
  stop: $<HTMLButtonElement>('stop'),
  save: $<HTMLButtonElement>('save'),
  check: $<HTMLButtonElement>('check'),
  forget: $<HTMLButtonElement>('forget'),
  gradcheck: $<HTMLButtonElement>('gradcheck'),
  share: $<HTMLButtonElement>('share'),
  resumeSaved: $<HTMLButtonElement>('resume-saved'),
};
const notice = $('notice');
/** A line above the charts when they show something other than the latest training (a sweep, a trial). */
const chartsNote = $('charts-note');
const probe = new Probe($<HTMLCanvasElement>('boundary'), $('probe'), (x, y) => send({ type: 'probe', x, y }));
const lossChart = new Curves($('loss-chart'), 'Loss', 'mean loss', false);
const accChart = new Curves($('acc-chart'), 'Accuracy', 'accuracy', true);

const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
const send = (m: ToWorker, transfer: Transferable[] = []) => worker.postMessage(m, transfer);
new SurfaceView(worker, $);
new NetworkView(worker, $);
const playViews = new PlayViews(send);

/** Every message from the worker, for tests and for poking at from the console; loseDevice() destroys
 *  the worker's GPU device (what a driver reset does) to exercise the recovery. */
const log: FromWorker[] = [];
(window as unknown as { __trainer: { log: FromWorker[]; loseDevice: () => void } }).__trainer = {
  log,
  loseDevice: () => send({ type: 'debug-lose-device' }),
};

// ---- Errors ----
function showError(text: string): void {
  errorBox.textContent = text;
}
function clearError(): void {
  errorBox.textContent = '';
}

// ---- Settings <-> form <-> URL ----
function fillForm(s: Settings): void {
  for (const key of KEYS) {
    const el = form.elements.namedItem(key);
    if (el instanceof HTMLInputElement && el.type === 'checkbox')
      el.checked = s[key] === true; // a saved run from before the setting: absent, off
    else if (el instanceof HTMLInputElement || el instanceof HTMLSelectElement)
      el.value = key === 'hidden' ? formatHidden(s.hidden) : String(s[key] ?? '');
  }
  showDataFields(form, s.data);
  showOptimizerFields(form, s.optimizer);
  formData = s.data;
}

function readForm(): { settings: Settings; errors: string[]; fields: FieldError[] } {
  const q = new URLSearchParams();
  for (const [k, v] of new FormData(form)) if (typeof v === 'string') q.set(k, v);
  return parseSettings(q);
}

/** Settings from the form, or undefined after showing what is wrong. */
function currentSettings(): Settings | undefined {
  const { settings, errors, fields } = readForm();
  markFields(form, fields);
  if (errors.length > 0) {
    showError(`Settings: ${errors.join('\n')}`);
    return undefined;
  }
  return settings;
}

// ---- How long a run will take ----
let adapterName = '';
/** The loaded file's inputs, outputs and rows. */
let csvShape: DataShape | undefined;
/** Multiply-adds of the current run's step, to measure the adapter's rate by. */
let runMacsPerStep = 0;

/** Warns, next to Start, about a WebGPU run that will take minutes on this adapter. */
function showEstimate(): void {
  const { settings, errors } = readForm();
  $('estimate').textContent = errors.length === 0 ? warningFor(settings, csvShape, adapterName) : '';
}

/** The data drawn now, by a preview or a model's view ('' after a new file: draw it again). */
let previewOf = '';
const dataKey = (s: Settings) => [s.data, s.noise, s.samples, s.testSplit, s.seed, csvName].join('|');

/** Asks the worker for the data's view when the data settings changed since it was drawn. */
function requestPreview(s: Settings): void {
  const key = dataKey(s);
  if (key === previewOf || isBusy(state)) return;
  previewOf = key;
  send({ type: 'preview', settings: s });
}

/** The data set the form had at its last change. */
let formData = '';

/** The views drawn from the previous data (boundary, predicted vs true, digits) go when the data
 *  changes; the charts and the model line stay, since they describe the model, which stays. */
function clearDataViews(): void {
  view = { kind: 'none' };
  pendingPredictions = undefined;
  pendingValues = undefined;
  for (const id of ['boundary-panel', 'scatter-panel', 'digits-panel', 'confusion-panel']) $(id).hidden = true;
  probe.setView(undefined);
  playViews.clear();
}

form.addEventListener('input', () => {
  checkSweepFields();
  const { settings, errors, fields } = readForm();
  showDataFields(form, settings.data);
  showOptimizerFields(form, settings.optimizer);
  markFields(form, fields);
  if (settings.data !== formData) clearDataViews(); // the boundary of the data set left behind
  formData = settings.data;
  if (errors.length === 0) requestPreview(settings);
  if (errors.length === 0) send({ type: 'warm', settings }); // the kernels compile before Start
  showEstimate();
  if (errors.length > 0) return showError(`Settings: ${errors.join('\n')}`);
  if (errorBox.textContent?.startsWith('Settings:')) clearError();
  history.replaceState(null, '', `${location.pathname}?${settingsToQuery(settings)}`);
});

// ---- Run state and buttons ----
let state: RunState = 'idle';
/** The run a reload can continue, offered while no run is going. */
let savedRun: SavedRunInfo | undefined;
/** The live steps/s and time left, over a window of wall time (read-backs arrive in bursts). */
let rate = new RateEstimator();
let hasModel = false;
/** The picked or dropped files (a CSV is read again when another label column is chosen) and the
 *  loaded data's name. */
let csvFiles: File[] = [];
let csvName: string | undefined;
const csvLabel = $<HTMLSelectElement>('csv-label');

/** From a click until the first step: the last run's line goes, the bar waits (empty, dimmed, aria-busy;
 *  not animated: that cost main-thread tasks over 100 ms on SwiftShader) and the status says what for. */
function waitForFirstStep(): void {
  progress.value = 0;
  progress.classList.add('waiting');
  progress.setAttribute('aria-busy', 'true');
  progressText.textContent = '';
}

/** The bar stops waiting: the first step, or the end of a run that had none. */
function stopWaiting(): void {
  progress.classList.remove('waiting');
  progress.removeAttribute('aria-busy');
}

function setState(s: RunState, detail?: string): void {
  if (state === 'paused' && s === 'training') rate.reset(); // the pause is not training time
  state = s;
  status.dataset.state = s;
  status.textContent = detail ? `${s}: ${detail}` : s;
  const busy = isBusy(s);
  if (!busy) stopWaiting(); // a run that ended before its first step
  $('saved-run').hidden = !savedRun || busy; // the run in progress is not a run to resume
  buttons.start.disabled = busy;
  buttons.pause.disabled = s !== 'training';
  buttons.resume.disabled = s !== 'paused';
  buttons.stop.disabled = !busy || s === 'stopping';
  buttons.save.disabled = !hasModel;
  buttons.check.disabled = s === 'training' || s === 'sweeping' || s === 'loading' || s === 'stopping';
  buttons.resumeSaved.disabled = busy;
  sweepRun.disabled = busy;
  sweepPanel.setBusy(busy);
  playViews.busy(busy);
}

buttons.start.addEventListener('click', () => {
  clearError();
  const s = currentSettings();
  if (!s) return;
  if (s.data === 'csv' && !csvName) return showError('data is CSV: choose a CSV file first');
  notice.textContent = '';
  chartsNote.textContent = '';
  waitForFirstStep();
  setState('loading');
  send({ type: 'train', settings: s });
});
buttons.resumeSaved.addEventListener('click', () => {
  if (!savedRun) return;
  clearError();
  notice.textContent = '';
  fillForm(savedRun.settings);
  history.replaceState(null, '', `${location.pathname}?${settingsToQuery(savedRun.settings)}`);
  chartsNote.textContent = '';
  waitForFirstStep();
  setState('loading');
  send({ type: 'resume-saved' });
});
buttons.pause.addEventListener('click', () => send({ type: 'pause' }));
buttons.resume.addEventListener('click', () => send({ type: 'resume' }));
buttons.stop.addEventListener('click', () => send({ type: 'stop' }));
buttons.save.addEventListener('click', () => send({ type: 'save' }));
buttons.forget.addEventListener('click', () => {
  send({ type: 'forget' });
  buttons.forget.hidden = true;
  modelInfo.textContent = 'Loaded weights forgotten: the next run starts from a random init.';
});
buttons.check.addEventListener('click', () => {
  clearError();
  const s = currentSettings();
  if (!s) return;
  $('check-panel').hidden = false;
  $('check-title').textContent = 'Check this step: running…';
  $('check-table').replaceChildren();
  send({ type: 'check', settings: s });
});
buttons.gradcheck.addEventListener('click', () => {
  clearError();
  const s = currentSettings();
  if (!s) return;
  $('gradcheck-panel').hidden = false;
  $('gradcheck-title').textContent = 'Gradient check: running…';
  $('gradcheck-title').className = '';
  $('gradcheck-table').replaceChildren();
  send({ type: 'gradcheck', settings: s });
});
shareButton(buttons.share, $('share-status'));

// ---- Hyperparameter search ----
const sweepForm = $<HTMLFormElement>('sweep-form');
const sweepSpec = $<HTMLInputElement>('sweep-spec');
const sweepTrialsField = $<HTMLInputElement>('sweep-trials');
const sweepError = $('sweep-error');
const sweepSummary = $('sweep-summary');
const sweepRun = $<HTMLButtonElement>('sweep-run');
const sweepPanel = new SweepPanel(
  $('sweep-panel'),
  $('sweep-status'),
  $('sweep-charts'),
  $<HTMLTableElement>('sweep-table'),
  (trial) => {
    clearError();
    sweepError.textContent = '';
    send({ type: 'adopt', trial });
  },
);

/** Checks the sweep fields against the current settings (as the worker will expand them): the trial
 *  count, or the error next to the fields. An empty spec is only an error when the sweep is run. */
function checkSweepFields(run = false): boolean {
  sweepSummary.textContent = '';
  if (!run && sweepSpec.value.trim() === '') {
    sweepError.textContent = '';
    return false;
  }
  const { settings, errors } = readForm();
  if (errors.length > 0) {
    sweepError.textContent = run ? 'fix the settings first (see above)' : '';
    return false;
  }
  try {
    const plan = sweepTrials(sweepSpec.value, sweepTrialsField.value, settings);
    sweepError.textContent = '';
    sweepSummary.textContent = `${plan.trials.length} trial${plan.trials.length === 1 ? '' : 's'} (${plan.search === 'random' ? 'random search' : plan.search === 'grid' ? 'the whole grid' : 'points of the grid'})`;
    return true;
  } catch (e) {
    sweepError.textContent = e instanceof Error ? e.message : String(e);
    return false;
  }
}

sweepForm.addEventListener('input', () => checkSweepFields());
sweepForm.addEventListener('submit', (ev) => {
  ev.preventDefault();
  clearError();
  const s = currentSettings();
  if (!s) return;
  if (!checkSweepFields(true)) return;
  if (s.data === 'csv' && !csvName) return void (sweepError.textContent = 'data is CSV: choose a CSV file first');
  notice.textContent = '';
  waitForFirstStep();
  setState('loading');
  send({ type: 'sweep', settings: s, spec: sweepSpec.value, trials: sweepTrialsField.value });
});

function onSweepProgress(p: Extract<FromWorker, { type: 'sweep-progress' }>['progress']): void {
  sweepPanel.progress(p);
  progress.max = p.groups * p.epochs;
  progress.value = p.group * p.epochs + p.epoch;
  const best = p.devLoss.reduce<[number, number] | undefined>(
    (b, l, m) => (Number.isFinite(l) && (!b || l < b[0]) ? [l, p.first + m] : b),
    undefined,
  );
  progressText.textContent =
    `sweep: group ${p.group + 1} / ${p.groups} (trials ${p.first}..${p.first + p.trainLoss.length - 1}) · epoch ${p.epoch} / ${p.epochs} · ` +
    `${best ? `best dev loss ${best[0].toPrecision(4)} (trial ${best[1]})` : 'no finite dev loss'} · ${seconds(p.seconds)}`;
  schedule();
}

function onAdopted(m: Extract<FromWorker, { type: 'adopted' }>): void {
  sweepPanel.adopted(m.trial);
  // The form makes this trial again (its lr, seed, …), and the charts show its curves from the sweep.
  fillForm(m.settings);
  history.replaceState(null, '', `${location.pathname}?${settingsToQuery(m.settings)}`);
  const curves = sweepPanel.curves(m.trial);
  curves?.train.forEach((loss, i) => lossChart.add(i + 1, loss, curves.dev[i] ?? null));
  chartsNote.textContent = `Trial ${m.trial}'s loss per epoch from the sweep (test: its dev rows' loss); accuracy comes with the next training.`;
  schedule();
  const fig = (f: SplitFigures) => splitFigures(f, regression);
  progressText.textContent = `sweep trial ${m.trial} in use · train ${fig(m.train)} · dev ${fig(m.dev)} · test ${m.test ? fig(m.test) : 'n/a'}`;
}

/** The worker reads the files itself (a File is passed by reference, not copied), in chunks. */
function readFiles(files: File[], label?: string): void {
  clearError();
  csvName = undefined;
  $('csv-name').textContent = `${files.map((f) => f.name).join(', ')} (reading…)`;
  send(label === undefined ? { type: 'files', files } : { type: 'files', files, label });
}
/** New files: the label chooser waits for a CSV header. */
function pickFiles(files: File[]): void {
  if (files.length === 0) return;
  csvFiles = files;
  clearDataViews();
  csvLabel.replaceChildren(new Option('(reading…)', ''));
  csvLabel.disabled = true;
  readFiles(files);
}
$<HTMLInputElement>('csv-file').addEventListener('change', (ev) => {
  const input = ev.target as HTMLInputElement;
  pickFiles([...(input.files ?? [])]);
  input.value = ''; // picking the same file again fires 'change' again
});
csvLabel.addEventListener('change', () => {
  if (csvFiles.length > 0) readFiles(csvFiles, csvLabel.value);
});
acceptDrops(form, pickFiles);

/** Fills the label chooser from the header; the choice stays when the same columns come back. */
function onCsvHeader(columns: readonly string[]): void {
  const keep = csvLabel.value;
  csvLabel.replaceChildren(...columns.map((c) => new Option(c, c)));
  csvLabel.value = columns.includes(keep) ? keep : (columns.at(-1) ?? '');
  csvLabel.disabled = false;
}

function onCsv(m: Extract<FromWorker, { type: 'csv' }>): void {
  csvName = m.name;
  if (m.label === '') {
    // arrays: the labels are their own array
    csvLabel.replaceChildren(new Option('(given with the arrays)', ''));
    csvLabel.disabled = true;
  }
  $('csv-name').textContent = dataLine(m);
  previewOf = '';
  requestPreview(readForm().settings);
  send({ type: 'warm', settings: readForm().settings });
  csvShape = { inputs: m.features, outputs: m.task === 'regression' ? 1 : m.classes, rows: m.rows + (m.testRows ?? 0) };
  showEstimate();
  if (m.task === 'regression') useRegressionDefaults();
  loader.onData();
}

/** A regression gets an optimizer and learning rate that converge on standardised targets, unless the
 *  form already has ones the user chose; the page says so. */
function useRegressionDefaults(): void {
  const next = regressionSettings(readForm().settings);
  if (!next) return;
  fillForm(next);
  history.replaceState(null, '', `${location.pathname}?${settingsToQuery(next)}`);
  notice.textContent = `Regression: optimizer Adam, learning rate ${next.lr} (SGD at ${DEFAULTS.lr} diverges on standardised targets).`;
}

const loader = new ModelLoader($<HTMLInputElement>('model-file'), {
  settings: currentSettings,
  setSettings: (s) => {
    fillForm(s);
    history.replaceState(null, '', `${location.pathname}?${settingsToQuery(s)}`);
  },
  send,
  error: showError,
  notice: (text) => (notice.textContent = text),
  csv: () =>
    csvFiles.length === 0 || csvLabel.disabled
      ? undefined
      : {
          header: [...csvLabel.options].map((o) => o.value),
          label: csvLabel.value,
          ready: csvName !== undefined,
          read: (l) => readFiles(csvFiles, (csvLabel.value = l)),
        },
});

// ---- Live views ----
let stepsPerEpoch = 1;
/** The GPU path the run takes, as its progress line names it ('' on the CPU). */
let planName = '';
let view: ViewData = { kind: 'none' };
let pendingPredictions: Predictions | undefined;
let pendingValues: Float32Array | undefined;
let regression = false;
let frame = 0;

let lastDraw = 0;

/** Draws on the next animation frame, at most every 100 ms: each redraw stays a small main-thread task. */
function schedule(): void {
  if (frame) return;
  frame = requestAnimationFrame((now) => {
    frame = 0;
    if (now - lastDraw < 100) return void setTimeout(schedule, 100 - (now - lastDraw));
    lastDraw = now;
    lossChart.flush();
    accChart.flush();
    sweepPanel.flush();
    if (pendingPredictions) {
      if (view.kind === 'points') drawBoundary($<HTMLCanvasElement>('boundary'), view, pendingPredictions);
      else if (view.kind === 'digits') {
        const wrong = updateDigits($('digits'), view, pendingPredictions);
        $('digits-wrong').textContent = `${wrong} of ${view.labels.length} wrong`;
      }
      pendingPredictions = undefined;
    }
    if (pendingValues && view.kind === 'scatter') {
      const r2 = drawScatter($<HTMLCanvasElement>('scatter'), view, pendingValues);
      $('scatter-r2').textContent = `R² ${r2.toFixed(3)} over ${view.truth.length} rows`;
      pendingValues = undefined;
    }
  });
}

function onEvent(e: TrainEvent): void {
  switch (e.type) {
    case 'start':
      stepsPerEpoch = e.stepsPerEpoch;
      rate = new RateEstimator(e.stepsPerEpoch);
      stopWaiting();
      planName = e.plan ? ` · plan ${describePath(e.plan)}` : '';
      progress.max = e.totalSteps;
      progress.value = 0;
      progressText.textContent = `0 / ${e.totalSteps} steps${planName}`;
      break;
    case 'progress': {
      lossChart.add(e.step / stepsPerEpoch, e.loss, null);
      if (!regression) accChart.add(e.step / stepsPerEpoch, e.accuracy, null);
      progress.value = e.step;
      rate.add(e.step, e.seconds);
      progressText.textContent = progressLine(e, rate, regression) + planName;
      break;
    }
    case 'epoch':
      if (e.testLoss !== null) lossChart.add(e.step / stepsPerEpoch, null, e.testLoss);
      if (e.testAccuracy !== null && !regression) accChart.add(e.step / stepsPerEpoch, null, e.testAccuracy);
      break;
    case 'summary': {
      const rate = e.device === 'gpu' ? measuredRate(runMacsPerStep, e.stepsPerSecond) : undefined;
      if (rate && adapterName) keepRate(adapterName, rate);
      progressText.textContent =
        `${e.steps} steps in ${e.seconds.toFixed(1)} s (${e.stepsPerSecond.toFixed(0)} steps/s, ${e.samplesPerSecond.toFixed(0)} samples/s) · ` +
        (regression
          ? `train loss ${e.loss.toPrecision(3)}, ${metrics(e.trainRmse, e.trainMae, e.trainR2)} · test ${e.testLoss === null ? 'n/a' : metrics(e.testRmse, e.testMae, e.testR2)}`
          : `train loss ${e.loss.toPrecision(3)}, acc ${pct(e.trainAccuracy)} · test acc ${pct(e.testAccuracy)}`);
      break;
    }
  }
  schedule();
}

/** A diverged run: no figure computed from its weights stays beside the error (the last progress line's
 *  R² of a model on its way to infinity), and the scatter says why it has no predictions. */
function onDiverged(): void {
  progressText.textContent = 'diverged (the error above says where): no figures from a diverged model';
  pendingValues = undefined;
  if (view.kind === 'scatter') {
    drawScatter($<HTMLCanvasElement>('scatter'), view, undefined);
    $('scatter-r2').textContent = 'no predictions: the run diverged';
  }
}

/** The data before training: its points (the boundary panel, without a boundary) or digits. */
function onPreview(v: ViewData): void {
  if (isBusy(state)) return; // a run's own view is coming
  view = v;
  pendingPredictions = undefined;
  $('boundary-panel').hidden = v.kind !== 'points';
  $('digits-panel').hidden = v.kind !== 'digits';
  $('boundary-title').textContent = 'The data: training points, test points outlined (Start draws the boundary)';
  if (v.kind === 'points') drawBoundary($<HTMLCanvasElement>('boundary'), v, undefined);
  if (v.kind === 'digits') {
    drawDigits($('digits'), v);
    $('digits-wrong').textContent = 'before training';
  }
}

function onReady(m: Extract<FromWorker, { type: 'ready' }>): void {
  hasModel = true;
  previewOf = dataKey(readForm().settings); // the model's view of this data replaces the preview
  $('boundary-title').textContent = 'Decision boundary (test points outlined)';
  lossChart.reset();
  accChart.reset();
  chartsNote.textContent = '';
  view = m.view;
  regression = m.task === 'regression';
  pendingValues = undefined;
  $('boundary-panel').hidden = view.kind !== 'points';
  $('digits-panel').hidden = view.kind !== 'digits';
  $('scatter-panel').hidden = view.kind !== 'scatter';
  $('confusion-panel').hidden = true; // until this model's run ends
  probe.setView(view);
  playViews.ready(m, readForm().settings);
  $('acc-panel').hidden = regression; // RMSE, MAE and R² are in the progress line instead
  if (view.kind === 'points') drawBoundary($<HTMLCanvasElement>('boundary'), view, undefined);
  if (view.kind === 'digits') drawDigits($('digits'), view);
  if (view.kind === 'scatter') {
    $('scatter-target').textContent = view.target;
    $('scatter-r2').textContent = '';
    drawScatter($<HTMLCanvasElement>('scatter'), view, undefined);
  }
  modelInfo.textContent = modelLine(m);
  runMacsPerStep = 3 * Math.min(readForm().settings.batchSize, m.trainRows) * forwardMacs(m.spec.sizes);
  $('memory').textContent = m.memory
    ? memoryLine(m.memory.bytes, m.memory.largest, m.memory.estimated, limits)
    : `CPU reference: ${formatBytes(8 * m.params)} of float64 parameters`;
  setState(state);
}

let limits: { maxBufferSize: number; maxStorageBufferBindingSize: number } | undefined;

function onSavedRun(info: SavedRunInfo | null): void {
  savedRun = info ?? undefined;
  $('saved-run').hidden = !info || isBusy(state);
  if (!info) return;
  $('saved-run-text').textContent = savedRunLine(info);
}

worker.addEventListener('message', (ev: MessageEvent<FromWorker>) => {
  const m = ev.data;
  log.push(m);
  if (playViews.handle(m)) return;
  switch (m.type) {
    case 'adapter':
      limits = m.limits;
      $('adapter').textContent =
        `Adapter: ${m.name} · max buffer ${formatBytes(m.limits.maxBufferSize)} · max storage binding ${formatBytes(m.limits.maxStorageBufferBindingSize)}`;
      $('adapter').dataset.state = 'ok';
      adapterName = m.name;
      return showEstimate();
    case 'tune':
      $('matmul').textContent = m.line;
      return;
    case 'state':
      return setState(m.state, m.detail);
    case 'error':
      if (m.context === 'adapter') {
        $('adapter').textContent = `No WebGPU: ${m.message} (the CPU reference device still works)`;
        $('adapter').dataset.state = 'error';
        return;
      }
      if (m.context === 'csv') {
        $('csv-name').textContent = 'choose or drop…';
        if (!csvName && csvLabel.disabled) csvLabel.replaceChildren(new Option('(pick a file)', ''));
      }
      if (m.context === 'check') $('check-title').textContent = 'Check this step: failed';
      if (m.context === 'gradcheck') $('gradcheck-title').textContent = 'Gradient check: failed';
      if (m.context === 'sweep') sweepError.textContent = m.message; // next to the sweep's fields, and above
      if (m.code === 'diverged') onDiverged();
      return showError(`${ERROR_TITLES[m.context]}: ${m.message}`);
    case 'csv-header':
      return onCsvHeader(m.columns);
    case 'csv-progress':
      $('csv-name').textContent =
        `${m.name}: reading ${m.total > 0 ? Math.floor((100 * m.bytes) / m.total) : 100}% (${formatBytes(m.bytes)} of ${formatBytes(m.total)})`;
      return;
    case 'csv':
      return onCsv(m);
    case 'ready':
      return onReady(m);
    case 'event':
      return onEvent(m.event);
    case 'preview':
      return onPreview(m.view);
    case 'confusion':
      return showConfusion(m);
    case 'probe':
      return probe.show(m);
    case 'history':
      for (const p of m.points) {
        lossChart.add(p.x, p.loss, p.testLoss);
        if (!regression) accChart.add(p.x, p.accuracy, p.testAccuracy);
      }
      return schedule();
    case 'memory':
      $('memory').textContent = memoryLine(m.bytes, m.largest, false, limits);
      return;
    case 'view':
      pendingPredictions = m.predictions;
      return schedule();
    case 'view-values':
      pendingValues = m.values;
      return schedule();
    case 'saved':
      return download(m.name, m.bytes);
    case 'loaded':
      buttons.forget.hidden = false;
      modelInfo.textContent = loadedLine(m);
      return;
    case 'check':
      return onCheck(m);
    case 'gradcheck':
      return onGradcheck(m);
    case 'saved-run':
      return onSavedRun(m.info);
    case 'notice':
      notice.textContent = m.text;
      return;
    case 'warmed':
      $('start').dataset.warm = 'ready'; // nothing to show: Start simply starts sooner
      return;
    case 'sweep-start':
      sweepError.textContent = '';
      stopWaiting();
      lossChart.reset();
      accChart.reset();
      chartsNote.textContent =
        "A sweep trains many models at once: each trial's curves are in the Hyperparameter search panel below; 'use this one' brings a trial's here.";
      sweepPanel.start(m);
      progress.value = 0;
      progressText.textContent = '';
      return schedule();
    case 'sweep-progress':
      return onSweepProgress(m.progress);
    case 'sweep-done':
      sweepPanel.done(m);
      return schedule();
    case 'adopted':
      return onAdopted(m);
  }
});
worker.addEventListener('error', (e) => showError(`The training worker failed: ${e.message}`));

// ---- Start ----
addHints(form);
const initial = parseSettings(new URLSearchParams(location.search));
fillForm(initial.settings);
if (initial.errors.length > 0)
  showError(`Settings in the link: ${initial.errors.join('\n')} (defaults used for those)`);
setState('idle');
send({ type: 'init' });
requestPreview(initial.settings);
send({ type: 'warm', settings: initial.settings });
