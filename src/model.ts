// The model, written down once.
//
// Memory layout (every buffer, CPU and GPU):
// - activations A[l], Z[l], dZ[l]: [batch][features] row-major. This is the course's n×m matrix
//   (features × examples) stored column-major, so no transpose is ever materialised.
// - weights W[l]: [out][in] row-major (the course's W[l], PyTorch's nn.Linear.weight); bias b[l]: [out].
// Forward:  Z = A_prev · Wᵀ + b,  A = g(Z)
// Backward: dW = dZᵀ · A_prev,  db = column sums of dZ,  dA_prev = dZ · W,  dZ_prev = dA_prev ⊙ g'(A_prev)
// The loss is the mean over the batch (the course's J without regularisation).
//
// Batch normalisation (spec.batchNorm, hidden layers only), the course's:
//   Z = A_prev · Wᵀ (no bias: β takes its place), per feature j over the m rows of the batch
//   μ_j, σ²_j (biased, 1/m), Ẑ = (Z − μ)/√(σ² + ε), Z̃ = γ·Ẑ + β, A = g(Z̃).
// The layer's bias tensor is kept (same files, same shapes) but not used: its gradient is exactly 0,
// so no optimizer ever moves it and it stays as initialised (zero). L2 never applies to γ or β.
// Inference (evaluation) normalises with running averages of μ and σ², updated at every training step
// as run = BN_MOMENTUM·run + (1 − BN_MOMENTUM)·batch (start: mean 0, var 1).

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
  /** Batch normalisation on every hidden layer (absent or false: none). */
  readonly batchNorm?: boolean;
}

/** Input scaling x' = (x − shift) / scale per feature, fitted on the training rows: 'standard' (shift
 *  the mean, scale the standard deviation) or 'minmax' (shift the minimum, scale max − min); a
 *  constant feature has scale 1. */
export interface InputNormalization {
  readonly method: 'standard' | 'minmax';
  readonly shift: readonly number[];
  readonly scale: readonly number[];
}

/** ε inside √(σ² + ε) and the running averages' momentum of batch normalisation. */
export const BN_EPSILON = 1e-5;
export const BN_MOMENTUM = 0.9;

/** A batch-normalised layer's tensors, each [out]: learnable γ (init 1) and β (init 0), and the
 *  running mean and (biased) variance used at inference (init 0 and 1). */
export interface BatchNormTensors<T> {
  readonly gamma: T;
  readonly beta: T;
  readonly mean: T;
  readonly var: T;
}

/** Parameters of one fully-connected layer: weight [out][in], bias [out]; bn for a batch-normalised
 *  hidden layer. */
export interface LayerParams {
  readonly weight: Float32Array;
  readonly bias: Float32Array;
  readonly bn?: BatchNormTensors<Float32Array>;
}
export type Params = LayerParams[];

/** Names of a layer's tensors (after `layers.{i}.`), in file and buffer order. */
export type TensorKind = 'weight' | 'bias' | 'bn_gamma' | 'bn_beta' | 'bn_mean' | 'bn_var';
export const BN_KINDS = ['bn_gamma', 'bn_beta', 'bn_mean', 'bn_var'] as const;
const BN_FIELD = { bn_gamma: 'gamma', bn_beta: 'beta', bn_mean: 'mean', bn_var: 'var' } as const;

/** Whether layer l (0-based) is batch-normalised: every hidden layer when spec.batchNorm. */
export function hasBatchNorm(spec: ModelSpec, l: number): boolean {
  return spec.batchNorm === true && l < layerCount(spec) - 1;
}

/** A layer's tensors in order: weight, bias, then γ, β, running mean, running var when present. */
export function layerTensors<T>(p: {
  readonly weight: T;
  readonly bias: T;
  readonly bn?: BatchNormTensors<T>;
}): [TensorKind, T][] {
  const out: [TensorKind, T][] = [
    ['weight', p.weight],
    ['bias', p.bias],
  ];
  if (p.bn) for (const k of BN_KINDS) out.push([k, p.bn[BN_FIELD[k]]]);
  return out;
}

/** The kinds of tensors layer l of spec has, in layerTensors order. */
export function layerKinds(spec: ModelSpec, l: number): TensorKind[] {
  return hasBatchNorm(spec, l) ? ['weight', 'bias', ...BN_KINDS] : ['weight', 'bias'];
}

/** Shape of tensor `kind` of layer l. */
export function tensorShape(spec: ModelSpec, l: number, kind: TensorKind): number[] {
  return kind === 'weight' ? [size(spec, l + 1), size(spec, l)] : [size(spec, l + 1)];
}

/** Builds a layer from its tensors by kind (the inverse of layerTensors). */
export function fromTensors<T>(
  get: (kind: TensorKind) => T,
  bn: boolean,
): { weight: T; bias: T; bn?: BatchNormTensors<T> } {
  const layer = { weight: get('weight'), bias: get('bias') };
  return bn
    ? { ...layer, bn: { gamma: get('bn_gamma'), beta: get('bn_beta'), mean: get('bn_mean'), var: get('bn_var') } }
    : layer;
}

export function layerCount(spec: ModelSpec): number {
  return spec.sizes.length - 1;
}

/** Activation applied after layer l (0-based). The output layer's is set by the loss. */
export function layerActivation(spec: ModelSpec, l: number): Activation {
  if (l < layerCount(spec) - 1) return spec.activation;
  return spec.loss === 'bce' ? 'sigmoid' : 'linear'; // 'ce' applies softmax inside the loss
}

/** Multiply-adds of one row's forward pass through layers of these widths (Σ n_l·n_{l+1}): a step's cost
 *  is about three times that a row (forward, backward, weight gradients). */
export function forwardMacs(sizes: readonly number[]): number {
  let macs = 0;
  for (let l = 0; l + 1 < sizes.length; l++) macs += sizes[l]! * sizes[l + 1]!;
  return macs;
}

export function paramCount(spec: ModelSpec): number {
  let n = 0;
  for (let l = 0; l < layerCount(spec); l++)
    n += size(spec, l + 1) * (size(spec, l) + 1 + (hasBatchNorm(spec, l) ? 2 : 0));
  return n;
}

export function size(spec: ModelSpec, i: number): number {
  const n = spec.sizes[i];
  if (n === undefined) throw new Error(`layer size ${i} out of range for sizes [${spec.sizes.join(',')}]`);
  return n;
}

/** Throws a clear error for a spec that cannot describe a network. */
export function validateSpec(spec: ModelSpec): void {
  if (spec.sizes.length < 2)
    throw new Error(`a model needs at least an input and an output size, got [${spec.sizes.join(',')}]`);
  spec.sizes.forEach((n, i) => {
    if (!Number.isInteger(n) || n < 1) throw new Error(`layer size ${i} must be a positive integer, got ${n}`);
  });
  if (!HIDDEN_ACTIVATIONS.includes(spec.activation) && spec.activation !== 'linear')
    throw new Error(`unknown activation '${spec.activation}'`);
  if (!LOSSES.includes(spec.loss)) throw new Error(`unknown loss '${spec.loss}'`);
  if (spec.batchNorm !== undefined && typeof spec.batchNorm !== 'boolean')
    throw new Error(`batchNorm must be a boolean, got ${String(spec.batchNorm)}`);
}

/** Tensor names used in safetensors files and in error messages: layers.{i}.weight, layers.{i}.bias,
 *  layers.{i}.bn_gamma, .bn_beta, .bn_mean, .bn_var. */
export function tensorName(l: number, kind: TensorKind): string {
  return `layers.${l}.${kind}`;
}

export function cloneParams(p: Params): Params {
  return p.map((l) => {
    const m = new Map(layerTensors(l));
    return fromTensors((k) => new Float32Array(m.get(k)!), l.bn !== undefined);
  });
}

/** Number of output units for k classes: one sigmoid unit for 2 classes, k softmax units otherwise. */
export function outputsForClasses(k: number): number {
  return k === 2 ? 1 : k;
}
