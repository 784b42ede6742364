// The sweep's results panel: one small chart per trial (training and dev loss per epoch, from the
// worker's progress messages, on one shared y-scale), then the ranked table with a "use this one"
// button per trial. Drawing waits for flush(), which the page calls once per animation frame.
import { rankTrials, SWEEP_COLUMNS, sweepRowCells, type SweepParam, type SweepProgress, type Trial } from '../index.ts';
import type { FromWorker, SweepRow } from './protocol.ts';
import { trialLabel } from './sweep.ts';
import { drawSweepCurves } from './views.ts';

const SEARCH: Record<Extract<FromWorker, { type: 'sweep-start' }>['search'], string> = {
  grid: 'the whole grid',
  'grid-sample': 'points of the grid',
  random: 'random search',
};

interface Chart {
  readonly trial: Trial;
  readonly figure: HTMLElement;
  readonly canvas: HTMLCanvasElement;
  readonly caption: HTMLElement;
  readonly train: number[];
  readonly dev: number[];
  dirty: boolean;
}

/** Points above this many times the median loss do not stretch the shared scale (a trial blowing up
 *  would flatten every other curve); they are clipped to the top. */
const SCALE_CLIP = 10;

export class SweepPanel {
  private charts: Chart[] = [];
  private epochs = 1;
  private swept: readonly SweepParam[] = [];
  private yMax = 0;
  private busy = false;
  private readonly buttons: HTMLButtonElement[] = [];

  constructor(
    private readonly root: HTMLElement,
    private readonly status: HTMLElement,
    private readonly chartsRoot: HTMLElement,
    private readonly table: HTMLTableElement,
    private readonly onAdopt: (trial: number) => void,
  ) {}

  /** A new sweep: a blank chart per trial, the table emptied. */
  start(m: Extract<FromWorker, { type: 'sweep-start' }>): void {
    this.root.hidden = false;
    this.epochs = m.epochs;
    this.swept = m.swept;
    this.yMax = 0;
    this.buttons.length = 0;
    this.table.replaceChildren();
    this.charts = m.trials.map((trial) => {
      const figure = document.createElement('figure');
      figure.className = 'sweep-chart';
      figure.dataset.trial = String(trial.index);
      const canvas = document.createElement('canvas');
      canvas.width = 160;
      canvas.height = 84;
      const caption = document.createElement('figcaption');
      caption.textContent = `trial ${trial.index} · ${trialLabel(trial, this.swept)}`;
      figure.append(canvas, caption);
      return { trial, figure, canvas, caption, train: [], dev: [], dirty: true };
    });
    this.chartsRoot.replaceChildren(...this.charts.map((c) => c.figure));
    this.status.textContent =
      `${m.trials.length} trials (${SEARCH[m.search]}) · ranked by the loss on ${m.devRows} dev rows (${Math.round(100 * m.devSplit)}% of the training rows held out) · ` +
      `${m.trainRows} train${m.testRows > 0 ? ` / ${m.testRows} test` : ''} rows · ${m.epochs} epochs · blue: training loss, red: dev loss`;
  }

  /** One epoch of one group: each of its trials' losses. */
  progress(p: SweepProgress): void {
    p.trainLoss.forEach((loss, m) => {
      const c = this.charts[p.first + m];
      if (!c) return;
      c.train[p.epoch - 1] = loss;
      c.dev[p.epoch - 1] = p.devLoss[m] ?? NaN;
      c.dirty = true;
    });
  }

  /** Redraws the charts that changed (all of them when the shared scale moved). */
  flush(): void {
    if (!this.charts.some((c) => c.dirty)) return;
    const values = this.charts
      .flatMap((c) => [...c.train, ...c.dev])
      .filter((v) => Number.isFinite(v) && v >= 0)
      .sort((a, b) => a - b);
    const median = values[Math.floor(values.length / 2)];
    const top = median === undefined ? 1 : Math.max(...values.filter((v) => v <= SCALE_CLIP * median));
    const yMax = top > 0 ? top * 1.05 : 1;
    const all = yMax !== this.yMax;
    this.yMax = yMax;
    for (const c of this.charts) {
      if (!c.dirty && !all) continue;
      drawSweepCurves(c.canvas, c.train, c.dev, this.epochs, yMax);
      c.dirty = false;
    }
  }

  /** The results: ranked in the table (best first), each chart captioned with its rank. */
  done(m: Extract<FromWorker, { type: 'sweep-done' }>): void {
    const ranked = rankTrials<SweepRow>(m.rows);
    const head = document.createElement('tr');
    for (const c of [...SWEEP_COLUMNS, '']) {
      const th = document.createElement('th');
      th.textContent = c;
      head.append(th);
    }
    this.buttons.length = 0;
    const rows = ranked.map((r) => {
      const tr = document.createElement('tr');
      tr.dataset.trial = String(r.trial.index);
      tr.className = r.status.kind === 'ok' ? '' : 'bad';
      for (const cell of sweepRowCells(r)) {
        const td = document.createElement('td');
        td.textContent = cell;
        tr.append(td);
      }
      const td = document.createElement('td');
      const b = document.createElement('button');
      b.type = 'button';
      b.className = 'sweep-adopt';
      b.textContent = 'use this one';
      b.dataset.trial = String(r.trial.index);
      b.dataset.ok = r.status.kind === 'ok' ? 'true' : 'false';
      b.title =
        r.status.kind === 'ok'
          ? `make trial ${r.trial.index} the current model (views, save, check)`
          : 'this trial diverged';
      b.addEventListener('click', () => this.onAdopt(r.trial.index));
      this.buttons.push(b);
      td.append(b);
      tr.append(td);
      const chart = this.charts.find((c) => c.trial.index === r.trial.index);
      if (chart) {
        chart.caption.textContent =
          `#${r.rank} · trial ${r.trial.index} · ${trialLabel(r.trial, this.swept)}` +
          (r.status.kind === 'ok' ? '' : ` · diverged at epoch ${r.status.epoch}`);
        chart.figure.classList.toggle('diverged', r.status.kind !== 'ok');
      }
      return tr;
    });
    this.table.replaceChildren(head, ...rows);
    const best = ranked[0];
    this.status.textContent +=
      ` · ${m.stopped ? `stopped: ${m.rows.length} of ${this.charts.length} trials (those of the groups started)` : `${m.rows.length} trials`} in ${m.seconds.toFixed(1)} s on ${m.adapter}` +
      (best && best.status.kind === 'ok' ? ` · best: trial ${best.trial.index}` : ' · every trial diverged');
    this.setBusy(this.busy);
  }

  /** A trial's training and dev loss per epoch so far (NaN where it had none). */
  curves(trial: number): { train: readonly number[]; dev: readonly number[] } | undefined {
    const c = this.charts.find((x) => x.trial.index === trial);
    return c && { train: c.train, dev: c.dev };
  }

  /** The trial the app now uses, marked in the table and among the charts. */
  adopted(trial: number): void {
    for (const c of this.charts) c.figure.classList.toggle('adopted', c.trial.index === trial);
    this.table
      .querySelectorAll<HTMLTableRowElement>('tr[data-trial]')
      .forEach((tr) => tr.classList.toggle('adopted', tr.dataset.trial === String(trial)));
  }

  /** While anything runs, no trial can be adopted; a diverged one never. */
  setBusy(busy: boolean): void {
    this.busy = busy;
    for (const b of this.buttons) b.disabled = busy || b.dataset.ok !== 'true';
  }
}
