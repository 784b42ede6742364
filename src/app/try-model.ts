// Try the model, the worker's half: the page's own input (a drawn digit) answered by the library's
// predict on the current trainer, with the pixels it was given, so the page (and a test) can see
// exactly what the model saw.
import { predictionsCsv, predictionTable, readCsvBlob, readCsvBlobHeader, type Trainer } from '../index.ts';
import { post } from './post.ts';
import type { Setup } from './setup.ts';

/** What the page asks of the current model: its output at a point of a 2-D set's plane (a click on the
 *  boundary), or for a drawn digit (`ink`: 28×28 values in [0, 1]), or the model in another format. */
export type TryRequest =
  | { readonly kind: 'probe'; readonly x: number; readonly y: number }
  | { readonly kind: 'digit'; readonly ink: Float32Array }
  /** The model as ONNX, answered as a file to download ('saved'). */
  | { readonly kind: 'onnx' }
  /** Predictions for the rows of a CSV file (its columns by the model's feature names). */
  | { readonly kind: 'rows'; readonly file: File };

/** The answers: `pixels` are the rows given to predict (the ink in the data's pixel range). */
export type TryAnswer =
  | { readonly type: 'digit'; readonly pixels: Float32Array; readonly cls: number; readonly values: number[] }
  /** A CSV's predictions: the first rows (inputs, then predictions) as text, all of them as CSV, and the
   *  model's figure on them when the file has the label column. */
  | {
      readonly type: 'rows';
      readonly name: string;
      readonly rows: number;
      readonly header: readonly string[];
      readonly first: readonly (readonly string[])[];
      readonly csv: string;
      readonly figure: string;
    };

/** The brightest pixel of the current model's data: ink 1 is this value (1 for MNIST and IDX files
 *  read by the library, which scales bytes to [0, 1]; 255 for an .npz of raw float pixels). */
let pixelMax = 1;

/** Notes what the model's data looks like (called when a model becomes the current one). */
export function noteData(st: Setup): void {
  const x = st.data.train.x;
  let max = 0;
  for (let i = 0; i < x.length; i++) max = Math.max(max, x[i]!);
  pixelMax = max > 0 ? max : 1;
}

/** The worker's current model. */
interface Current {
  readonly trainer: Trainer;
  readonly dataName: string;
}

export async function answerTry(r: TryRequest, model: Current | undefined): Promise<void> {
  if (r.kind === 'onnx') return onnx(model);
  if (r.kind === 'rows') return predictRows(r.file, model);
  const trainer = model?.trainer;
  if (!trainer || trainer.busy) throw new Error('try the model once the run has ended');
  if (r.kind === 'probe') {
    const p = await trainer.predict(new Float32Array([r.x, r.y]));
    return post({ type: 'probe', x: r.x, y: r.y, cls: p.classes?.[0] ?? 0, values: Array.from(p.values) });
  }
  const inputs = trainer.spec.sizes[0]!;
  if (r.ink.length !== inputs)
    throw new Error(`a drawn digit has ${r.ink.length} pixels; this model takes ${inputs} inputs`);
  const pixels = r.ink.map((v) => v * pixelMax);
  const p = await trainer.predict(pixels);
  post({ type: 'digit', pixels, cls: p.classes?.[0] ?? 0, values: Array.from(p.values) });
}

/** The model as ONNX (the library's export: normalisation, layers, softmax or sigmoid), named as Save
 *  names its safetensors file. */
async function onnx(model: Current | undefined): Promise<void> {
  if (!model) throw new Error('nothing to export yet: train or load a model first');
  const { trainer, dataName } = model;
  if (trainer.busy && !trainer.paused) throw new Error('a training is running: pause or stop it before exporting');
  const bytes = await trainer.exportOnnx();
  post({ type: 'saved', name: `mlp-${dataName}-${trainer.spec.sizes.join('x')}.onnx`, bytes }, [bytes.buffer]);
}

/** Rows shown in the page's table (the CSV has them all). */
const FIRST_ROWS = 10;

/** The file's rows for this model: its feature columns by name (by position, the first ones, for a model
 *  without names), and its label or target columns when it has them. */
async function readRows(file: File, trainer: Trainer) {
  const { info, spec } = trainer;
  const n0 = spec.sizes[0]!;
  const regression = info.task === 'regression';
  let features = info.featureNames;
  let label = regression ? info.targetNames : info.labelName !== undefined ? [info.labelName] : undefined;
  if (!features) {
    const header = await readCsvBlobHeader(file);
    const outputs = regression ? spec.sizes.at(-1)! : 1;
    if (header.length !== n0 && header.length !== n0 + outputs)
      throw new Error(
        `${file.name}: ${header.length} columns; the model takes ${n0} inputs (and optionally ${regression ? 'its targets' : 'a label'} last), and records no column names to pick them by`,
      );
    features = header.slice(0, n0);
    label = header.slice(n0);
  }
  const r = await readCsvBlob(file, {
    features,
    label: label ?? [],
    labelOptional: true,
    task: regression ? 'regression' : 'classification',
    ...(info.classNames ? { classNames: info.classNames } : {}),
  });
  return { read: r!, features };
}

async function predictRows(file: File, model: Current | undefined): Promise<void> {
  const trainer = model?.trainer;
  if (!trainer || trainer.busy) throw new Error('predict rows once a model is trained or loaded and no run holds it');
  const { read, features } = await readRows(file, trainer);
  const d = read.dataset;
  const p = await trainer.predict(d.x);
  const saved = { spec: trainer.spec, info: trainer.info };
  const table = predictionTable(p, saved);
  const first = Array.from({ length: Math.min(FIRST_ROWS, p.rows) }, (_, r) => [
    ...Array.from(d.x.subarray(r * d.features, (r + 1) * d.features), (v) => String(v)),
    ...table.row(r),
  ]);
  let figure = 'no label column: no accuracy';
  if (read.task !== 'none') {
    const e = await trainer.evaluate(d.y ? { x: d.x, y: d.y } : { x: d.x, labels: d.labels });
    figure =
      e.r2 !== undefined
        ? `R² ${e.r2.toFixed(3)} on these ${e.rows} rows`
        : `accuracy ${(100 * e.accuracy).toFixed(1)}% (${Math.round(e.accuracy * e.rows)} of ${e.rows}) on these rows`;
  }
  post({
    type: 'rows',
    name: file.name.replace(/\.(csv|tsv|txt)$/i, '') + '-predictions.csv',
    rows: p.rows,
    header: [...features, ...table.header],
    first,
    csv: predictionsCsv(p, saved),
    figure,
  });
}
