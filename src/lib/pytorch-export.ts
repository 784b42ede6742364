// A trained model as a PyTorch project a user can run and edit: model.py (the network as an nn.Module),
// train.py (the run, continued or from scratch, DistributedDataParallel when launched with several
// ranks), README.md, and the weights as our own model file. The three texts are real files beside this
// one (src/lib/pytorch/), each with a few {{name}} slots this module fills from the model's spec, info
// and run settings; nothing of the Python is assembled from fragments here.
import modelPy from './pytorch/model.py?raw';
import trainPy from './pytorch/train.py?raw';
import readmeMd from './pytorch/README.md?raw';
import { encodeModel, type SavedModel } from './model-file.ts';
import { TrainerError } from '../errors.ts';

/** The files of a PyTorch export, by name: write each into one directory. */
export interface PytorchFiles {
  readonly 'model.py': string;
  readonly 'train.py': string;
  readonly 'README.md': string;
  /** The model file itself (encodeModel): what model.py's load_model and train.py's --init read. */
  readonly 'weights.safetensors': Uint8Array;
}

/** What the export takes besides the model. */
export interface PytorchExportOptions {
  /** train.py's default --epochs (default: the run's, else 15). */
  readonly epochs?: number;
}

const OUTPUT = { bce: 'sigmoid + binary cross-entropy', ce: 'softmax + cross-entropy', mse: 'linear + squared error' };

/** model.py, train.py, README.md and weights.safetensors for a trained model: the network, its input
 *  normalisation and output head as PyTorch code, and the run that trained it (model.info.trainedWith:
 *  data, split, seed, optimizer, lr, batch size...) as train.py's defaults. */
export function pytorchFiles(model: SavedModel, options: PytorchExportOptions = {}): PytorchFiles {
  const weights = encodeModel(model); // checks the model and its info first
  const { spec, info } = model;
  const run = info.trainedWith ?? {};
  const epochs = options.epochs ?? (typeof run.epochs === 'number' ? run.epochs : 15);
  if (!(Number.isInteger(epochs) && epochs >= 1))
    throw new TrainerError('bad-input', `pytorchFiles: epochs must be an integer >= 1, got ${epochs}`);
  const arch = {
    sizes: spec.sizes,
    activation: spec.activation,
    loss: spec.loss,
    ...(spec.batchNorm ? { batchNorm: true } : {}),
  };
  const architecture =
    `[${spec.sizes.join(', ')}], ${spec.sizes.length > 2 ? `${spec.activation} hidden layers` : 'no hidden layer'}` +
    `${spec.batchNorm && spec.sizes.length > 2 ? ' with batch norm' : ''}, ${OUTPUT[spec.loss]}`;
  const regression = info.task === 'regression';
  const outputs = regression
    ? `the ${spec.sizes.at(-1)} target${spec.sizes.at(-1) === 1 ? '' : 's'} in ${info.targetNormalization ? 'their units' : 'the units trained on'}`
    : spec.loss === 'mse'
      ? 'the output scores (the class is the largest)'
      : `the probabilities of ${spec.loss === 'bce' ? 2 : spec.sizes.at(-1)} classes`;
  const settings = Object.entries({ ...run, epochs })
    .filter(([k]) => ['optimizer', 'lr', 'batchSize', 'epochs', 'seed'].includes(k))
    .map(([k, v]) => `${k} ${String(v)}`)
    .join(', ');
  const values: Record<string, string> = {
    title: `webgpu-mlp-trainer model ${architecture}`,
    spec: pyLiteral(arch),
    defaults: pyLiteral({ ...run, epochs }),
    architecture,
    outputs,
    settings: settings || 'the library defaults',
    data: typeof run.data === 'string' ? run.data : 'DATA.csv',
  };
  return {
    'model.py': fill('model.py', modelPy, values),
    'train.py': fill('train.py', trainPy, values),
    'README.md': fill('README.md', readmeMd, values),
    'weights.safetensors': weights,
  };
}

/** The template with each {{name}} replaced; a slot without a value is a bug in this module. */
function fill(name: string, template: string, values: Readonly<Record<string, string>>): string {
  return template.replace(/\{\{(\w+)\}\}/g, (_, key: string) => {
    const v = values[key];
    if (v === undefined) throw new Error(`pytorch export: ${name} has a slot {{${key}}} with no value`);
    return v;
  });
}

/** A JSON-like value as a Python literal (True/False/None; strings through JSON, which Python reads). */
export function pyLiteral(v: unknown): string {
  if (v === null || v === undefined) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new Error(`pytorch export: ${v} has no Python literal here`);
    return String(v);
  }
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(pyLiteral).join(', ')}]`;
  if (typeof v === 'object')
    return `{${Object.entries(v as Record<string, unknown>)
      .map(([k, x]) => `${JSON.stringify(k)}: ${pyLiteral(x)}`)
      .join(', ')}}`;
  throw new Error(`pytorch export: a ${typeof v} has no Python literal`);
}
