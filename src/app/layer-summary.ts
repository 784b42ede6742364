// The model, layer by layer (tfjs-vis's model summary): each layer's output shape, its tensors, its
// parameters, and the float32 memory they take while training: the weights, the optimizer's moments
// (momentum one per parameter, RMSprop and Adam two), and a batch's activations and their gradients.
import { formatBytes, type ModelSpec } from '../index.ts';

export interface LayerRow {
  readonly layer: string;
  readonly output: string;
  readonly tensors: string;
  readonly params: number;
  /** Bytes: weights, optimizer moments, and the batch's A and dZ blocks. */
  readonly weightBytes: number;
  readonly optimizerBytes: number;
  readonly activationBytes: number;
}

const F32 = 4;
const MOMENTS: Record<string, number> = { sgd: 0, momentum: 1, rmsprop: 2, adam: 2 };
const OUTPUT: Record<string, string> = { ce: 'softmax', bce: 'sigmoid', mse: 'linear' };

/** One row per layer, the input first (its batch block of activations only). */
export function layerRows(spec: ModelSpec, batch: number, optimizer: string): LayerRow[] {
  const L = spec.sizes.length - 1;
  const moments = MOMENTS[optimizer] ?? 0;
  const input: LayerRow = {
    layer: 'input',
    output: `[${batch}, ${spec.sizes[0]}]`,
    tensors: '',
    params: 0,
    weightBytes: 0,
    optimizerBytes: 0,
    activationBytes: F32 * batch * spec.sizes[0]!,
  };
  return [
    input,
    ...spec.sizes.slice(1).map((n, i): LayerRow => {
      const l = i + 1;
      const prev = spec.sizes[i]!;
      const bn = spec.batchNorm === true && l < L;
      const params = n * prev + n + (bn ? 2 * n : 0);
      return {
        layer: `${l}: dense${bn ? ' + batch norm' : ''}, ${l < L ? spec.activation : OUTPUT[spec.loss]}`,
        output: `[${batch}, ${n}]`,
        tensors: `W [${n}, ${prev}], b [${n}]${bn ? `, γ β [${n}] (+ running μ σ²)` : ''}`,
        params,
        weightBytes: F32 * params,
        optimizerBytes: F32 * params * moments,
        activationBytes: F32 * batch * n * 2, // A and dZ
      };
    }),
  ];
}

/** Fills `table` with the rows and a total. */
export function drawLayers(table: HTMLTableElement, rows: readonly LayerRow[]): void {
  const tr = (cells: string[], tag: 'th' | 'td' = 'td') => {
    const r = document.createElement('tr');
    r.append(
      ...cells.map((t, i) => {
        const c = document.createElement(i === 0 ? 'th' : tag);
        c.textContent = t;
        return c;
      }),
    );
    return r;
  };
  const sum = (f: (r: LayerRow) => number) => rows.reduce((a, r) => a + f(r), 0);
  const bytes = (b: number) => (b > 0 ? formatBytes(b) : '');
  table.replaceChildren(
    tr(['layer', 'output', 'tensors', 'parameters', 'weights', 'optimizer', 'activations + gradients'], 'th'),
    ...rows.map((r) =>
      tr([
        r.layer,
        r.output,
        r.tensors,
        r.params > 0 ? r.params.toLocaleString('en') : '',
        bytes(r.weightBytes),
        bytes(r.optimizerBytes),
        bytes(r.activationBytes),
      ]),
    ),
    tr([
      'total',
      '',
      '',
      sum((r) => r.params).toLocaleString('en'),
      bytes(sum((r) => r.weightBytes)),
      bytes(sum((r) => r.optimizerBytes)),
      bytes(sum((r) => r.activationBytes)),
    ]),
  );
}
