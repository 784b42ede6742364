// The page: settings form (mirrored in the URL), buttons, and the live views. All training, data
// loading and model files are handled by the worker (worker.ts); this thread only draws, at most once
// per animation frame, so it stays responsive while a run is going.
import { describePath, formatBytes, type TrainEvent } from '../index.ts';
import { Curves } from './charts.ts';
import type { Predictions } from './predict.ts';
import type { FromWorker, LayerCheck, RunState, SplitFigures, ToWorker, ViewData } from './protocol.ts';
import { formatHidden, KEYS, parseSettings, settingsToQuery, type FieldError, type Settings } from './settings.ts';
import type { SavedRunInfo } from './store.ts';
import { sweepTrials } from './sweep.ts';
import { SweepPanel } from './sweep-panel.ts';
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
const lossChart = new Curves($('loss-chart'), 'Loss', 'mean loss', false);
const accChart = new Curves($('acc-chart'), 'Accuracy', 'accuracy', true);

const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
const send = (m: ToWorker, transfer: Transferable[] = []) => worker.postMessage(m, transfer);

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
  showDataFields(s.data);
  showOptimizerFields(s.optimizer);
}

/** β1 and β2 only for the optimizers that use them. */
function showOptimizerFields(optimizer: string): void {
  form
    .querySelectorAll<HTMLElement>('[data-optimizers]')
    .forEach((el) => (el.hidden = !(el.dataset.optimizers ?? '').split(' ').includes(optimizer)));
}

function readForm(): { settings: Settings; errors: string[]; fields: FieldError[] } {
  const q = new URLSearchParams();
  for (const [k, v] of new FormData(form)) if (typeof v === 'string') q.set(k, v);
  return parseSettings(q);
}

function showDataFields(data: string): void {
  form
    .querySelectorAll<HTMLElement>('[data-for="synthetic"]')
    .forEach((el) => (el.hidden = data === 'mnist' || data === 'csv'));
  form.querySelectorAll<HTMLElement>('[data-for="csv"]').forEach((el) => (el.hidden = data !== 'csv'));
}

/** Marks each bad field (aria-invalid, the .invalid class, its message under its label) and unmarks
 *  the rest, so the banner is not the only place that says which field is wrong. */
function markFields(fields: readonly FieldError[]): void {
  for (const key of KEYS) {
    const el = form.elements.namedItem(key);
    if (!(el instanceof HTMLInputElement || el instanceof HTMLSelectElement)) continue;
    const bad = fields.find((f) => f.key === key);
    el.classList.toggle('invalid', bad !== undefined);
    if (bad) el.setAttribute('aria-invalid', 'true');
    else el.removeAttribute('aria-invalid');
    const note = document.getElementById(`${key}-error`) ?? (bad ? fieldNote(el, key) : undefined);
    if (note) note.textContent = bad?.message ?? '';
  }
}

/** The message line under a field's label, made the first time the field is wrong. */
function fieldNote(el: HTMLInputElement | HTMLSelectElement, key: string): HTMLElement {
  const note = document.createElement('p');
  note.className = 'field-error';
  note.id = `${key}-error`;
  (el.closest('label') ?? el).after(note);
  el.setAttribute('aria-describedby', note.id);
  return note;
}

/** Settings from the form, or undefined after showing what is wrong. */
function currentSettings(): Settings | undefined {
  const { settings, errors, fields } = readForm();
  markFields(fields);
  if (errors.length > 0) {
    showError(`Settings: ${errors.join('\n')}`);
    return undefined;
  }
  return settings;
}

form.addEventListener('input', () => {
  checkSweepFields();
  const { settings, errors, fields } = readForm();
  showDataFields(settings.data);
  showOptimizerFields(settings.optimizer);
  markFields(fields);
  if (errors.length > 0) return showError(`Settings: ${errors.join('\n')}`);
  if (errorBox.textContent?.startsWith('Settings:')) clearError();
  history.replaceState(null, '', `${location.pathname}?${settingsToQuery(settings)}`);
});

// ---- Run state and buttons ----
let state: RunState = 'idle';
let hasModel = false;
/** The picked or dropped files (a CSV is read again when another label column is chosen) and the
 *  loaded data's name. */
let csvFiles: File[] = [];
let csvName: string | undefined;
const csvLabel = $<HTMLSelectElement>('csv-label');

function setState(s: RunState, detail?: string): void {
  state = s;
  status.dataset.state = s;
  status.textContent = detail ? `${s}: ${detail}` : s;
  const busy = s === 'loading' || s === 'training' || s === 'sweeping' || s === 'paused' || s === 'stopping';
  buttons.start.disabled = busy;
  buttons.pause.disabled = s !== 'training';
  buttons.resume.disabled = s !== 'paused';
  buttons.stop.disabled = !busy || s === 'stopping';
  buttons.save.disabled = !hasModel;
  buttons.check.disabled = s === 'training' || s === 'sweeping' || s === 'loading' || s === 'stopping';
  buttons.resumeSaved.disabled = busy;
  sweepRun.disabled = busy;
  sweepPanel.setBusy(busy);
}

buttons.start.addEventListener('click', () => {
  clearError();
  const s = currentSettings();
  if (!s) return;
  if (s.data === 'csv' && !csvName) return showError('data is CSV: choose a CSV file first');
  notice.textContent = '';
  setState('loading');
  send({ type: 'train', settings: s });
});
buttons.resumeSaved.addEventListener('click', () => {
  if (!savedRun) return;
  clearError();
  notice.textContent = '';
  fillForm(savedRun.settings);
  history.replaceState(null, '', `${location.pathname}?${settingsToQuery(savedRun.settings)}`);
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
// The link gets a line of its own beside the button (the model summary stays); it goes after a while.
const shareStatus = $('share-status');
let shareTimer: ReturnType<typeof setTimeout> | undefined;
buttons.share.addEventListener('click', () => {
  const url = location.href;
  const show = (text: string) => {
    shareStatus.textContent = text;
    clearTimeout(shareTimer);
    shareTimer = setTimeout(() => (shareStatus.textContent = ''), 15_000);
  };
  navigator.clipboard.writeText(url).then(
    () => show(`Link copied: ${url}`),
    () => show(`Share this link: ${url}`),
  );
});

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
  const fig = (f: SplitFigures) =>
    regression
      ? `loss ${f.loss.toPrecision(4)}, R² ${f.r2 === undefined ? 'n/a' : f.r2.toFixed(3)}`
      : `loss ${f.loss.toPrecision(4)}, acc ${pct(f.accuracy)}`;
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
// Files dropped anywhere on the page: data set "your files", then read as if picked.
document.addEventListener('dragover', (ev) => {
  if (!ev.dataTransfer?.types.includes('Files')) return;
  ev.preventDefault();
  ev.dataTransfer.dropEffect = 'copy';
});
document.addEventListener('drop', (ev) => {
  const files = [...(ev.dataTransfer?.files ?? [])];
  if (files.length === 0) return;
  ev.preventDefault();
  const data = form.elements.namedItem('data');
  if (data instanceof HTMLSelectElement && data.value !== 'csv') {
    data.value = 'csv';
    form.dispatchEvent(new Event('input')); // the URL and the visible fields follow
  }
  pickFiles(files);
});

/** Fills the label chooser from the header; the choice stays when the same columns come back. */
function onCsvHeader(columns: readonly string[]): void {
  const keep = csvLabel.value;
  csvLabel.replaceChildren(...columns.map((c) => new Option(c, c)));
  csvLabel.value = columns.includes(keep) ? keep : (columns.at(-1) ?? '');
  csvLabel.disabled = false;
}

const NAMES_SHOWN = 10;
const nameList = (names: readonly string[]) =>
  names.slice(0, NAMES_SHOWN).join(', ') + (names.length > NAMES_SHOWN ? `, … (${names.length})` : '');

function onCsv(m: Extract<FromWorker, { type: 'csv' }>): void {
  csvName = m.name;
  if (m.label === '') {
    // arrays: the labels are their own array
    csvLabel.replaceChildren(new Option('(given with the arrays)', ''));
    csvLabel.disabled = true;
  }
  const what =
    m.task === 'regression'
      ? `regression on "${m.label}" (${m.reason})`
      : `${m.classes} classes${m.classNames ? ` (${nameList(m.classNames)})` : ''}${m.label ? ` in "${m.label}"` : ''}`;
  const rows = m.testRows !== undefined ? `${m.rows} train + ${m.testRows} test rows (as given)` : `${m.rows} rows`;
  $('csv-name').textContent =
    `${m.name}: ${rows}, ${m.features} features, ${what}${m.label === '' && m.reason ? ` · ${m.reason}` : ''}`;
}

$<HTMLInputElement>('model-file').addEventListener('change', (ev) => {
  const input = ev.target as HTMLInputElement;
  const file = input.files?.[0];
  if (!file) return;
  clearError();
  const s = currentSettings();
  input.value = '';
  if (!s) return;
  file.arrayBuffer().then(
    (buf) => send({ type: 'load', name: file.name, bytes: new Uint8Array(buf), settings: s }, [buf]),
    (e: unknown) => showError(`${file.name}: cannot read the file (${String(e)})`),
  );
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

const pct = (v: number | null) => (v === null ? 'n/a' : `${(100 * v).toFixed(1)}%`);
const num = (v: number | undefined) => (v === undefined ? 'n/a' : v.toPrecision(3));
/** RMSE, MAE and R² of a regression, where a classifier shows its accuracy. */
const metrics = (rmse: number | undefined, mae: number | undefined, r2: number | undefined) =>
  `RMSE ${num(rmse)}, MAE ${num(mae)}, R² ${r2 === undefined ? 'n/a' : r2.toFixed(3)}`;
const seconds = (s: number) => (s < 90 ? `${s.toFixed(0)} s` : `${(s / 60).toFixed(1)} min`);

function onEvent(e: TrainEvent): void {
  switch (e.type) {
    case 'start':
      stepsPerEpoch = e.stepsPerEpoch;
      planName = e.plan ? ` · plan ${describePath(e.plan)}` : '';
      progress.max = e.totalSteps;
      progress.value = 0;
      progressText.textContent = `0 / ${e.totalSteps} steps${planName}`;
      break;
    case 'progress': {
      lossChart.add(e.step / stepsPerEpoch, e.loss, null);
      if (!regression) accChart.add(e.step / stepsPerEpoch, e.accuracy, null);
      progress.value = e.step;
      const left = e.stepsPerSecond > 0 ? (e.totalSteps - e.step) / e.stepsPerSecond : NaN;
      progressText.textContent =
        `epoch ${e.epoch} · step ${e.step} / ${e.totalSteps} · ${e.stepsPerSecond.toFixed(0)} steps/s · ${Number.isFinite(left) ? seconds(left) : '?'} left` +
        (regression ? ` · train ${metrics(e.rmse, e.mae, e.r2)}` : '') +
        planName;
      break;
    }
    case 'epoch':
      if (e.testLoss !== null) lossChart.add(e.step / stepsPerEpoch, null, e.testLoss);
      if (e.testAccuracy !== null && !regression) accChart.add(e.step / stepsPerEpoch, null, e.testAccuracy);
      break;
    case 'summary':
      progressText.textContent =
        `${e.steps} steps in ${e.seconds.toFixed(1)} s (${e.stepsPerSecond.toFixed(0)} steps/s, ${e.samplesPerSecond.toFixed(0)} samples/s) · ` +
        (regression
          ? `train loss ${e.loss.toPrecision(3)}, ${metrics(e.trainRmse, e.trainMae, e.trainR2)} · test ${e.testLoss === null ? 'n/a' : metrics(e.testRmse, e.testMae, e.testR2)}`
          : `train loss ${e.loss.toPrecision(3)}, acc ${pct(e.trainAccuracy)} · test acc ${pct(e.testAccuracy)}`);
      break;
  }
  schedule();
}

function onReady(m: Extract<FromWorker, { type: 'ready' }>): void {
  hasModel = true;
  lossChart.reset();
  accChart.reset();
  view = m.view;
  regression = m.task === 'regression';
  pendingValues = undefined;
  $('boundary-panel').hidden = view.kind !== 'points';
  $('digits-panel').hidden = view.kind !== 'digits';
  $('scatter-panel').hidden = view.kind !== 'scatter';
  $('acc-panel').hidden = regression; // RMSE, MAE and R² are in the progress line instead
  if (view.kind === 'points') drawBoundary($<HTMLCanvasElement>('boundary'), view, undefined);
  if (view.kind === 'digits') drawDigits($('digits'), view);
  if (view.kind === 'scatter') {
    $('scatter-target').textContent = view.target;
    $('scatter-r2').textContent = '';
    drawScatter($<HTMLCanvasElement>('scatter'), view, undefined);
  }
  const task = regression
    ? `regression of ${m.targetNames ? m.targetNames.join(', ') : 'the targets'}`
    : m.classNames
      ? `classes: ${nameList(m.classNames)}`
      : '';
  modelInfo.textContent =
    `Model: sizes [${m.spec.sizes.join(', ')}], ${m.spec.activation}${m.spec.batchNorm ? ' + batch norm' : ''}, loss ${m.spec.loss} · ${m.params.toLocaleString('en')} parameters (${formatBytes(4 * m.params)}) · ` +
    `${task ? `${task} · ` : ''}${m.trainRows} train / ${m.devRows > 0 ? `${m.devRows} dev / ` : ''}${m.testRows} test rows · ${m.device === 'gpu' ? 'WebGPU' : 'CPU reference'} · start: ${m.initFrom}`;
  $('memory').textContent = m.memory
    ? memoryLine(m.memory.bytes, m.memory.largest, m.memory.estimated)
    : `CPU reference: ${formatBytes(8 * m.params)} of float64 parameters`;
  setState(state);
}

/** The run's GPU memory: the plan's layout before allocation ('estimated'), then the bytes it holds. */
function memoryLine(bytes: number, largest: { name: string; bytes: number }, estimated: boolean): string {
  return (
    `GPU memory for this run: ${formatBytes(bytes)}${estimated ? " (estimated from the plan's layout)" : ''} · largest buffer '${largest.name}' ${formatBytes(largest.bytes)}` +
    (limits
      ? `, ${((100 * largest.bytes) / Math.min(limits.maxBufferSize, limits.maxStorageBufferBindingSize)).toPrecision(2)}% of the adapter's per-buffer limit`
      : '')
  );
}

function tableRow(cells: string[], tag: 'th' | 'td', cls = ''): HTMLTableRowElement {
  const tr = document.createElement('tr');
  if (cls) tr.className = cls;
  for (const c of cells) {
    const td = document.createElement(tag);
    td.textContent = c;
    tr.append(td);
  }
  return tr;
}

function onGradcheck(m: Extract<FromWorker, { type: 'gradcheck' }>): void {
  const allOk = m.results.every((r) => r.ok);
  const title = $('gradcheck-title');
  const reg = [m.l2 > 0 ? `L2 λ=${m.l2}` : '', m.keepProb < 1 ? `dropout keep=${m.keepProb}` : '']
    .filter(Boolean)
    .join(', ');
  title.textContent =
    `Gradient check (float64, sizes [${m.spec.sizes.join(',')}], ${m.spec.activation}, ${m.spec.loss}${reg ? `, ${reg}` : ''}; ${m.rows} rows, initial weights, ${m.seconds.toFixed(1)} s): ` +
    (allOk
      ? `every tensor below ${m.threshold}`
      : `ABOVE ${m.threshold}: backprop disagrees with the numerical gradient`);
  title.className = allOk ? 'ok' : 'bad';
  $('gradcheck-table').replaceChildren(
    tableRow(['layer', 'tensor', 'relative difference', `< ${m.threshold}`], 'th'),
    ...m.results.map((r) =>
      tableRow([String(r.layer), r.name, r.relDiff.toExponential(2), r.ok ? 'yes' : 'NO'], 'td', r.ok ? 'ok' : 'bad'),
    ),
  );
}

function onCheck(m: Extract<FromWorker, { type: 'check' }>): void {
  const allOk = m.layers.every((l) => l.ok);
  const title = $('check-title');
  title.textContent = `Check this step on ${m.adapter}: ${m.rows} rows, loss GPU ${m.gpuLoss.toPrecision(7)} vs CPU ${m.cpuLoss.toPrecision(7)} — ${allOk ? 'all layers within tolerance' : 'MISMATCH'}`;
  title.className = allOk ? 'ok' : 'bad';
  const table = $('check-table');
  const row = tableRow;
  const e = (v: number) => v.toExponential(2);
  // Batch norm adds dγ, dβ and, after the step, γ, β and the running mean and var (the output layer has none).
  const bnHead = m.spec.batchNorm
    ? ['max |Δdγ|', 'max |Δdβ|', 'max |Δγ| after', 'max |Δβ| after', 'max |Δμ run| after', 'max |Δσ² run| after']
    : [];
  const bnCells = (l: LayerCheck) =>
    !m.spec.batchNorm
      ? []
      : l.bn
        ? [l.bn.dGamma, l.bn.dBeta, l.bn.gammaAfter, l.bn.betaAfter, l.bn.meanAfter, l.bn.varAfter].map(e)
        : bnHead.map(() => '—');
  table.replaceChildren(
    row(['layer', 'W shape', 'max |ΔdW|', 'max |Δdb|', 'max |ΔW| after', 'max |Δb| after', ...bnHead, ''], 'th'),
    ...m.layers.map((l) =>
      row(
        [
          String(l.layer),
          l.shape,
          e(l.dW),
          e(l.db),
          e(l.weightAfter),
          e(l.biasAfter),
          ...bnCells(l),
          l.ok ? 'ok' : 'outside tolerance',
        ],
        'td',
        l.ok ? 'ok' : 'bad',
      ),
    ),
  );
}

let limits: { maxBufferSize: number; maxStorageBufferBindingSize: number } | undefined;
let savedRun: SavedRunInfo | undefined;

function onSavedRun(info: SavedRunInfo | null): void {
  savedRun = info ?? undefined;
  $('saved-run').hidden = !info;
  if (!info) return;
  const s = info.settings;
  $('saved-run-text').textContent =
    `Last run: step ${info.step} of ${info.totalSteps} (epoch ${Math.min(info.epoch, s.epochs)} of ${s.epochs}), saved ${new Date(info.savedAt).toLocaleString()} · ` +
    `${s.data}, hidden [${formatHidden(s.hidden)}], ${s.activation}${s.batchNorm ? ' + batch norm' : ''}, ${s.optimizer} lr ${s.lr}${s.l2 > 0 ? `, L2 ${s.l2}` : ''}${s.keepProb < 1 ? `, keep-prob ${s.keepProb}` : ''}, batch ${s.batchSize}, seed ${s.seed}, ${s.device === 'gpu' ? 'WebGPU' : 'CPU reference'}`;
}

worker.addEventListener('message', (ev: MessageEvent<FromWorker>) => {
  const m = ev.data;
  log.push(m);
  switch (m.type) {
    case 'adapter':
      limits = m.limits;
      $('adapter').textContent =
        `Adapter: ${m.name} · max buffer ${formatBytes(m.limits.maxBufferSize)} · max storage binding ${formatBytes(m.limits.maxStorageBufferBindingSize)}`;
      $('adapter').dataset.state = 'ok';
      return;
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
      if (m.context === 'csv') $('csv-name').textContent = 'choose or drop…';
      if (m.context === 'check') $('check-title').textContent = 'Check this step: failed';
      if (m.context === 'gradcheck') $('gradcheck-title').textContent = 'Gradient check: failed';
      if (m.context === 'sweep') sweepError.textContent = m.message; // next to the sweep's fields, and above
      return showError(
        `${m.context === 'csv' ? 'CSV' : m.context === 'load' ? 'Load model' : m.context === 'train' ? 'Training' : m.context === 'sweep' ? 'Sweep' : m.context === 'check' ? 'Check' : m.context === 'save' ? 'Save' : m.context === 'storage' ? 'Saved run' : m.context === 'gradcheck' ? 'Gradient check' : 'Control'}: ${m.message}`,
      );
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
    case 'memory':
      $('memory').textContent = memoryLine(m.bytes, m.largest, false);
      return;
    case 'view':
      pendingPredictions = m.predictions;
      return schedule();
    case 'view-values':
      pendingValues = m.values;
      return schedule();
    case 'saved': {
      const a = document.createElement('a');
      a.href = URL.createObjectURL(new Blob([m.bytes.slice()], { type: 'application/octet-stream' }));
      a.download = m.name;
      a.click();
      setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
      return;
    }
    case 'loaded':
      buttons.forget.hidden = false;
      modelInfo.textContent =
        `Loaded ${m.name}: sizes [${m.spec.sizes.join(', ')}] · train loss ${m.loss.toPrecision(4)}, ` +
        (m.trainR2 !== undefined
          ? `train R² ${m.trainR2.toFixed(3)}, test R² ${m.testR2 == null ? 'n/a' : m.testR2.toFixed(3)}`
          : `train acc ${pct(m.trainAccuracy)}, test acc ${pct(m.testAccuracy)}`) +
        ' · the next run starts from these weights';
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
    case 'sweep-start':
      sweepError.textContent = '';
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
const initial = parseSettings(new URLSearchParams(location.search));
fillForm(initial.settings);
if (initial.errors.length > 0)
  showError(`Settings in the link: ${initial.errors.join('\n')} (defaults used for those)`);
setState('idle');
send({ type: 'init' });
