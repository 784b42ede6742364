// What the page draws beside a run, worked out in the worker: the data's view (points with a boundary
// grid, test digits, or predicted-vs-true values of a regression) and, as training goes on, the model's
// predictions for it — from a checkpoint's weights on the float64 reference while a fit holds the GPU
// (and at its end, the final weights, where that is as cheap), else from the trainer's predict.
import { forwardMacs, referencePredict, type ModelSpec, type Params, type Trainer } from '../index.ts';
import { boundaryGrid, boundsOf, classConfidence, predict } from './predict.ts';
import { post } from './post.ts';
import type { ViewData } from './protocol.ts';
import type { Setup } from './setup.ts';

/** Test rows in the regression view's scatter. */
const SCATTER_ROWS = 500;

/** Multiply-adds a mid-run refresh may cost on the float64 reference (about a tenth of a second in a
 *  Worker): it runs on the training's own thread, so a costlier one held every message, Stop included,
 *  until it ended (21 s at hidden 1024,1024 for the 64×64 boundary grid). Costlier views wait for the
 *  end of the run, where the trainer predicts them on the GPU. */
const MID_RUN_MACS = 5e7;

/** Rows a refresh of this view predicts. */
function viewRows(view: ViewData, rows: Float32Array | undefined, inputs: number): number {
  return view.kind === 'points' ? view.res * view.res : rows ? rows.length / inputs : 0;
}

/** Whether a refresh from a checkpoint's weights (on the float64 reference, during a fit) is cheap
 *  enough to run between steps: MID_RUN_MACS or fewer multiply-adds. */
export function midRunAffordable(spec: ModelSpec, { view, rows }: View): boolean {
  return viewRows(view, rows, spec.sizes[0]!) * forwardMacs(spec.sizes) <= MID_RUN_MACS;
}

/** Multiply-adds of the boundary grid's prediction at the end of a run (on the GPU; about a second on
 *  SwiftShader): a large model gets a coarser grid, or Stop would wait for the grid (17 s at hidden
 *  1024,1024 with 64×64 points). */
const GRID_MACS = 3e8;

/** The boundary grid's points per side for this model: 64, fewer (down to 16) for large models. */
export function boundaryRes(spec: ModelSpec): number {
  return Math.max(16, Math.min(64, Math.floor(Math.sqrt(GRID_MACS / forwardMacs(spec.sizes)))));
}

/** A view and the raw rows its predictions are for (none for the boundary grid, made from its bounds). */
export interface View {
  readonly view: ViewData;
  readonly rows: Float32Array | undefined;
}

/** What the page draws for this data: points with a boundary grid, or the first test digits. Rows are raw. */
export function viewData(st: Setup): View {
  const { data } = st;
  if (data.targets > 0) {
    // Predicted vs true first target of the test rows (training rows when there is no test split).
    const src = data.test.n > 0 ? data.test : data.train;
    const count = Math.min(SCATTER_ROWS, src.n);
    const truth = Float32Array.from({ length: count }, (_, r) => src.y![r * data.targets]!);
    return {
      view: { kind: 'scatter', truth, target: src.targetNames?.[0] ?? 'target' },
      rows: src.x.slice(0, count * data.features),
    };
  }
  if (data.features === 2) {
    // A sweep's dev rows are drawn as training points: they were held out of the training rows.
    const dev = data.dev ?? { x: new Float32Array(0), labels: new Uint32Array(0), n: 0 };
    const all = new Float32Array([...data.train.x, ...dev.x, ...data.test.x]);
    const labels = Uint8Array.from([...data.train.labels, ...dev.labels, ...data.test.labels]);
    return {
      view: {
        kind: 'points',
        x: all,
        labels,
        testFrom: data.train.n + dev.n,
        classes: data.classes,
        bounds: boundsOf(all),
        res: boundaryRes(st.spec),
      },
      rows: undefined,
    };
  }
  if (data.name === 'mnist' || data.images) {
    const src = data.test.n > 0 ? data.test : data.train;
    const count = Math.min(40, src.n);
    const px = src.x.subarray(0, count * 784);
    return {
      view: {
        kind: 'digits',
        pixels: Uint8Array.from(px, (v) => Math.round(v * 255)),
        labels: Uint8Array.from(src.labels.subarray(0, count)),
      },
      rows: px.slice(),
    };
  }
  return { view: { kind: 'none' }, rows: undefined };
}

export function transfers(v: ViewData): Transferable[] {
  return v.kind === 'points'
    ? [v.x.buffer, v.labels.buffer]
    : v.kind === 'digits'
      ? [v.pixels.buffer, v.labels.buffer]
      : v.kind === 'scatter'
        ? [v.truth.buffer]
        : [];
}

/** A copy for posting: the worker keeps its own view (bounds, labels) for later refreshes. */
export function cloneView(v: ViewData): ViewData {
  if (v.kind === 'points') return { ...v, x: v.x.slice(), labels: v.labels.slice() };
  if (v.kind === 'digits') return { ...v, pixels: v.pixels.slice(), labels: v.labels.slice() };
  if (v.kind === 'scatter') return { ...v, truth: v.truth.slice() };
  return v;
}

/** Posts the view's predictions from the trainer's current weights (its predict), or from a
 *  checkpoint's `params` on the float64 reference with the trainer's normalisations: a regression's
 *  first output in the targets' units, else a class and confidence per row. */
export async function refreshView(trainer: Trainer, v: View, epoch: number, params?: Params) {
  const { view, rows } = v;
  if (view.kind === 'none' || (params && !midRunAffordable(trainer.spec, v))) return;
  const { spec, info } = trainer;
  if (view.kind === 'scatter') {
    const p = params ? referencePredict({ spec, params, info }, rows!) : await trainer.predict(rows!);
    const values = Float32Array.from({ length: p.rows }, (_, r) => p.values[r * p.columns]!);
    post({ type: 'view-values', epoch, values }, [values.buffer]);
    return;
  }
  const grid = view.kind === 'points' ? boundaryGrid(view.bounds, view.res) : rows!;
  const predictions = params
    ? predict(spec, params, grid, grid.length / spec.sizes[0]!, info)
    : classConfidence(await trainer.predict(grid), spec.loss);
  post({ type: 'view', epoch, predictions }, [predictions.cls.buffer, predictions.conf.buffer]);
}
