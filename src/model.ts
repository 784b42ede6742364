// The model, written down once.
//
// Memory layout (every buffer, CPU and GPU):
// - activations A[l], Z[l], dZ[l]: [batch][features] row-major. This is the course's n×m matrix
//   (features × examples) stored column-major, so no transpose is ever materialised.
// - weights W[l]: [out][in] row-major (the course's W[l], PyTorch's nn.Linear.weight); bias b[l]: [out].
// Forward:  Z = A_prev · Wᵀ + b,  A = g(Z)
// Backward: dW = dZᵀ · A_prev,  db = column sums of dZ,  dA_prev = dZ · W,  dZ_prev = dA_prev ⊙ g'(A_prev)
// The loss is the mean over the batch (the course's J without regularisation).

export type Activation = 'relu' | 'sigmoid' | 'tanh' | 'leaky_relu' | 'linear';
export const HIDDEN_ACTIVATIONS: readonly Activation[] = ['relu', 'sigmoid', 'tanh', 'leaky_relu'];

/** Output layer and cost together: 'bce' = sigmoid + binary cross-entropy from logits,
 *  'ce' = softmax + categorical cross-entropy, 'mse' = linear output + mean squared error. */
export type Loss = 'bce' | 'ce' | 'mse';
export const LOSSES: readonly Loss[] = ['bce', 'ce', 'mse'];

/** Slope of leaky ReLU for z < 0 (the course's 0.01). */
export const LEAKY_SLOPE = 0.01;

export interface ModelSpec {
  /** Layer widths n[0..L]: n[0] inputs, n[L] outputs. */
  readonly sizes: readonly number[];
  /** Activation g of every hidden layer. */
  readonly activation: Activation;
  readonly loss: Loss;
}

/** Parameters of one fully-connected layer: weight [out][in], bias [out]. */
export interface LayerParams {
  readonly weight: Float32Array;
  readonly bias: Float32Array;
}
export type Params = LayerParams[];

export function layerCount(spec: ModelSpec): number {
  return spec.sizes.length - 1;
}

/** Activation applied after layer l (0-based). The output layer's is set by the loss. */
export function layerActivation(spec: ModelSpec, l: number): Activation {
  if (l < layerCount(spec) - 1) return spec.activation;
  return spec.loss === 'bce' ? 'sigmoid' : 'linear'; // 'ce' applies softmax inside the loss
}

export function paramCount(spec: ModelSpec): number {
  let n = 0;
  for (let l = 0; l < layerCount(spec); l++) n += size(spec, l + 1) * (size(spec, l) + 1);
  return n;
}

export function size(spec: ModelSpec, i: number): number {
  const n = spec.sizes[i];
  if (n === undefined) throw new Error(`layer size ${i} out of range for sizes [${spec.sizes.join(',')}]`);
  return n;
}

/** Throws a clear error for a spec that cannot describe a network. */
export function validateSpec(spec: ModelSpec): void {
  if (spec.sizes.length < 2) throw new Error(`a model needs at least an input and an output size, got [${spec.sizes.join(',')}]`);
  spec.sizes.forEach((n, i) => {
    if (!Number.isInteger(n) || n < 1) throw new Error(`layer size ${i} must be a positive integer, got ${n}`);
  });
  if (!HIDDEN_ACTIVATIONS.includes(spec.activation) && spec.activation !== 'linear') throw new Error(`unknown activation '${spec.activation}'`);
  if (!LOSSES.includes(spec.loss)) throw new Error(`unknown loss '${spec.loss}'`);
}

/** Tensor names used in safetensors files and in error messages: layers.{i}.weight, layers.{i}.bias. */
export function tensorName(l: number, kind: 'weight' | 'bias'): string {
  return `layers.${l}.${kind}`;
}

export function cloneParams(p: Params): Params {
  return p.map((l) => ({ weight: new Float32Array(l.weight), bias: new Float32Array(l.bias) }));
}

/** Number of output units for k classes: one sigmoid unit for 2 classes, k softmax units otherwise. */
export function outputsForClasses(k: number): number {
  return k === 2 ? 1 : k;
}
