// Loss and accuracy curves (uPlot): x is the epoch (fractional for the training-batch points),
// train points arrive with each progress event, test points at the end of each epoch. The series
// share one x array, so each point leaves the other series null and spanGaps joins the dots.
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { latest, tickLabels } from './chart-format.ts';

type Column = (number | null)[];

export class Curves {
  private readonly x: number[] = [];
  private readonly train: Column = [];
  private readonly test: Column = [];
  private readonly plot: uPlot;
  private dirty = false;

  constructor(parent: HTMLElement, title: string, yLabel: string, percent: boolean) {
    const fmt = (v: number | null) => (v === null ? '' : percent ? `${(100 * v).toFixed(1)}%` : v.toPrecision(3));
    this.plot = new uPlot(
      {
        title,
        width: 420,
        height: 220,
        scales: { x: { time: false }, ...(percent ? { y: { range: [0, 1] as uPlot.Range.MinMax } } : {}) },
        axes: [
          { label: 'epoch' },
          { label: yLabel, values: (_u, vals, _axis, _space, step) => tickLabels(vals, step, percent), size: 60 },
        ],
        // Off the chart (no hovered index) the legend shows the latest values rather than blanks.
        series: [
          {
            label: 'epoch',
            value: (_u, v, _s, i) => {
              const x = i === null ? latest(this.x) : v;
              return x === null ? '' : x.toFixed(2);
            },
          },
          {
            label: 'train',
            stroke: '#1f77b4',
            width: 1.5,
            spanGaps: true,
            value: (_u, v, _s, i) => fmt(i === null ? latest(this.train) : v),
          },
          {
            label: 'test',
            stroke: '#d62728',
            width: 2,
            spanGaps: true,
            points: { show: true, size: 4 },
            value: (_u, v, _s, i) => fmt(i === null ? latest(this.test) : v),
          },
        ],
      },
      [[], [], []],
      parent,
    );
    this.markEmpty();
  }

  /** With no points the legend would read "epoch: train: test:" with blanks; it is hidden (keeping its room). */
  private markEmpty(): void {
    this.plot.root.classList.toggle('no-data', this.x.length === 0);
  }

  reset(): void {
    this.x.length = this.train.length = this.test.length = 0;
    this.plot.setData([[], [], []]);
    this.markEmpty();
  }

  add(x: number, train: number | null, test: number | null): void {
    this.x.push(x);
    this.train.push(train);
    this.test.push(test);
    this.dirty = true;
  }

  /** Redraws if points came in since the last call (the page calls this once per animation frame). */
  flush(): void {
    if (!this.dirty) return;
    this.dirty = false;
    this.plot.setData([this.x, this.train, this.test] as uPlot.AlignedData);
    this.markEmpty();
  }
}
