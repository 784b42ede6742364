// Try the model, the worker's half: the page's own input (a drawn digit) answered by the library's
// predict on the current trainer, with the pixels it was given, so the page (and a test) can see
// exactly what the model saw.
import type { Trainer } from '../index.ts';
import { post } from './post.ts';
import type { Setup } from './setup.ts';

/** What the page asks of the current model: its output at a point of a 2-D set's plane (a click on the
 *  boundary), or for a drawn digit (`ink`: 28×28 values in [0, 1]), or the model in another format. */
export type TryRequest =
  | { readonly kind: 'probe'; readonly x: number; readonly y: number }
  | { readonly kind: 'digit'; readonly ink: Float32Array }
  /** The model as ONNX, answered as a file to download ('saved'). */
  | { readonly kind: 'onnx' };

/** The answers: `pixels` are the rows given to predict (the ink in the data's pixel range). */
export type TryAnswer = {
  readonly type: 'digit';
  readonly pixels: Float32Array;
  readonly cls: number;
  readonly values: number[];
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
