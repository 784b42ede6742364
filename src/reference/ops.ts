// CPU twins of the GPU kernels, in float64, written to be read rather than to be fast.
// Same names and argument order as the kernels; layout as in model.ts: every matrix is row-major
// [rows][cols], activations are [batch][features], weights [out][in]. Every op returns a new array.
// Nothing here is shared with the GPU code, so a mistake in one is not silently copied into the other.

import { BN_EPSILON, BN_MOMENTUM, LEAKY_SLOPE, type Activation } from '../model.ts';

/** C[M][N] = op(A) · op(B), where op(A) is M×K and op(B) is K×N.
 *  A is stored [M][K], or [K][M] when transA; B is stored [K][N], or [N][K] when transB.
 *  The model uses: Z = A_prev · Wᵀ (transB), dW = dZᵀ · A_prev (transA), dA_prev = dZ · W (neither). */
export function matmul(
  a: Float64Array,
  b: Float64Array,
  M: number,
  N: number,
  K: number,
  transA: boolean,
  transB: boolean,
): Float64Array {
  if (a.length !== M * K) throw new Error(`matmul: A has ${a.length} elements, expected M*K = ${M}*${K}`);
  if (b.length !== K * N) throw new Error(`matmul: B has ${b.length} elements, expected K*N = ${K}*${N}`);
  const c = new Float64Array(M * N);
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let sum = 0;
      for (let k = 0; k < K; k++) {
        const aik = transA ? a[k * M + i]! : a[i * K + k]!;
        const bkj = transB ? b[j * K + k]! : b[k * N + j]!;
        sum += aik * bkj;
      }
      c[i * N + j] = sum;
    }
  }
  return c;
}

/** Logistic function, computed without overflow for large |z|. */
export function sigmoid(z: number): number {
  if (z >= 0) return 1 / (1 + Math.exp(-z));
  const e = Math.exp(z);
  return e / (1 + e);
}

function activate(z: number, act: Activation): number {
  switch (act) {
    case 'relu':
      return z > 0 ? z : 0;
    case 'sigmoid':
      return sigmoid(z);
    case 'tanh':
      return Math.tanh(z);
    case 'leaky_relu':
      return z > 0 ? z : LEAKY_SLOPE * z;
    case 'linear':
      return z;
  }
}

/** g'(z) written through the output a = g(z), so that only A has to be kept for the backward pass. */
function derivativeFromOutput(a: number, act: Activation): number {
  switch (act) {
    case 'relu':
      return a > 0 ? 1 : 0;
    case 'sigmoid':
      return a * (1 - a);
    case 'tanh':
      return 1 - a * a;
    case 'leaky_relu':
      return a > 0 ? 1 : LEAKY_SLOPE; // a > 0 exactly when z > 0
    case 'linear':
      return 1;
  }
}

/** A = g(Z), element-wise. */
export function activationForward(z: Float64Array, act: Activation): Float64Array {
  const a = new Float64Array(z.length);
  for (let i = 0; i < z.length; i++) a[i] = activate(z[i]!, act);
  return a;
}

/** A = g(Z + b), with b[cols] added to every row of Z[rows][cols]. */
export function biasActivation(
  z: Float64Array,
  bias: Float64Array,
  rows: number,
  cols: number,
  act: Activation,
): Float64Array {
  if (z.length !== rows * cols || bias.length !== cols)
    throw new Error(
      `biasActivation: Z has ${z.length} elements and b ${bias.length}, expected ${rows}*${cols} and ${cols}`,
    );
  const a = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < cols; j++) a[r * cols + j] = activate(z[r * cols + j]! + bias[j]!, act);
  }
  return a;
}

/** Backward of an activation: dZ = dA ⊙ g'(Z), with g' taken from the stored output a = g(Z). */
export function activationGrad(dA: Float64Array, a: Float64Array, act: Activation): Float64Array {
  if (dA.length !== a.length) throw new Error(`activationGrad: dA has ${dA.length} elements, A has ${a.length}`);
  const dZ = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) dZ[i] = dA[i]! * derivativeFromOutput(a[i]!, act);
  return dZ;
}

// ---- batch normalisation (model.ts): per column j of Z[rows][cols], over the rows of the batch ----

/** Training-mode batch norm + activation: μ_j, σ²_j (biased) of z's columns, Ẑ = (Z − μ)/√(σ² + ε),
 *  A = g(γ·Ẑ + β). Also returns Ẑ and 1/√(σ² + ε) (what the backward needs) and the running averages
 *  moved one step towards this batch: run = BN_MOMENTUM·run + (1 − BN_MOMENTUM)·batch. */
export function batchNormForward(
  z: Float64Array,
  gamma: Float64Array,
  beta: Float64Array,
  runMean: Float64Array,
  runVar: Float64Array,
  rows: number,
  cols: number,
  act: Activation,
): { a: Float64Array; xhat: Float64Array; istd: Float64Array; runMean: Float64Array; runVar: Float64Array } {
  checkBn('batchNormForward', z, rows, cols, gamma, beta, runMean, runVar);
  const a = new Float64Array(rows * cols);
  const xhat = new Float64Array(rows * cols);
  const istd = new Float64Array(cols);
  const newMean = new Float64Array(cols);
  const newVar = new Float64Array(cols);
  for (let j = 0; j < cols; j++) {
    let mu = 0;
    for (let r = 0; r < rows; r++) mu += z[r * cols + j]!;
    mu /= rows;
    let v = 0;
    for (let r = 0; r < rows; r++) v += (z[r * cols + j]! - mu) ** 2;
    v /= rows;
    istd[j] = 1 / Math.sqrt(v + BN_EPSILON);
    for (let r = 0; r < rows; r++) {
      const i = r * cols + j;
      xhat[i] = (z[i]! - mu) * istd[j]!;
      a[i] = activate(gamma[j]! * xhat[i]! + beta[j]!, act);
    }
    newMean[j] = BN_MOMENTUM * runMean[j]! + (1 - BN_MOMENTUM) * mu;
    newVar[j] = BN_MOMENTUM * runVar[j]! + (1 - BN_MOMENTUM) * v;
  }
  return { a, xhat, istd, runMean: newMean, runVar: newVar };
}

/** Inference-mode batch norm + activation: A = g(γ·(Z − mean)/√(var + ε) + β) with the running stats. */
export function batchNormInference(
  z: Float64Array,
  gamma: Float64Array,
  beta: Float64Array,
  runMean: Float64Array,
  runVar: Float64Array,
  rows: number,
  cols: number,
  act: Activation,
): Float64Array {
  checkBn('batchNormInference', z, rows, cols, gamma, beta, runMean, runVar);
  const a = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < cols; j++) {
      const i = r * cols + j;
      a[i] = activate((gamma[j]! * (z[i]! - runMean[j]!)) / Math.sqrt(runVar[j]! + BN_EPSILON) + beta[j]!, act);
    }
  }
  return a;
}

/** Backward of batchNormForward, from dA and the stored A, Ẑ, 1/√(σ² + ε):
 *  dZ̃ = dA ⊙ g'(A), dγ = Σ_r dZ̃·Ẑ, dβ = Σ_r dZ̃, dẐ = dZ̃·γ,
 *  dZ = (1/m)·(1/√(σ² + ε))·(m·dẐ − Σ_r dẐ − Ẑ·Σ_r dẐ·Ẑ)   (m = rows; Σ dẐ = γ·dβ, Σ dẐ·Ẑ = γ·dγ). */
export function batchNormBackward(
  dA: Float64Array,
  a: Float64Array,
  xhat: Float64Array,
  gamma: Float64Array,
  istd: Float64Array,
  rows: number,
  cols: number,
  act: Activation,
): { dZ: Float64Array; dGamma: Float64Array; dBeta: Float64Array } {
  if (
    dA.length !== rows * cols ||
    a.length !== rows * cols ||
    xhat.length !== rows * cols ||
    gamma.length !== cols ||
    istd.length !== cols
  ) {
    throw new Error(
      `batchNormBackward: dA ${dA.length}, A ${a.length}, Ẑ ${xhat.length} (expected ${rows}*${cols}), γ ${gamma.length}, istd ${istd.length} (expected ${cols})`,
    );
  }
  const dZ = new Float64Array(rows * cols);
  const dGamma = new Float64Array(cols);
  const dBeta = new Float64Array(cols);
  for (let j = 0; j < cols; j++) {
    let sg = 0;
    let sb = 0;
    for (let r = 0; r < rows; r++) {
      const i = r * cols + j;
      const dzt = dA[i]! * derivativeFromOutput(a[i]!, act);
      sg += dzt * xhat[i]!;
      sb += dzt;
    }
    dGamma[j] = sg;
    dBeta[j] = sb;
    const g = gamma[j]!;
    for (let r = 0; r < rows; r++) {
      const i = r * cols + j;
      const dxhat = dA[i]! * derivativeFromOutput(a[i]!, act) * g;
      dZ[i] = (istd[j]! / rows) * (rows * dxhat - g * sb - xhat[i]! * g * sg);
    }
  }
  return { dZ, dGamma, dBeta };
}

function checkBn(name: string, z: Float64Array, rows: number, cols: number, ...perCol: Float64Array[]): void {
  if (z.length !== rows * cols) throw new Error(`${name}: Z has ${z.length} elements, expected ${rows}*${cols}`);
  perCol.forEach((v, i) => {
    if (v.length !== cols)
      throw new Error(
        `${name}: ${['γ', 'β', 'running mean', 'running var'][i]} has ${v.length} elements, expected ${cols}`,
      );
  });
}

/** What every loss returns. rowLoss is per example; dZ is the gradient of the MEAN loss over the
 *  batch (already divided by rows); correct is 1 where the example is classified right, else 0. */
export interface LossResult {
  readonly rowLoss: Float64Array;
  readonly dZ: Float64Array;
  readonly correct: Float64Array;
}

/** Index of the largest of row r's cols values; the first one on ties. */
function argmaxRow(m: Float64Array, r: number, cols: number): number {
  let best = 0;
  for (let j = 1; j < cols; j++) if (m[r * cols + j]! > m[r * cols + best]!) best = j;
  return best;
}

/** Sigmoid + binary cross-entropy from logits z[rows] (one output unit), targets y in {0, 1}.
 *  loss = max(z,0) − z·y + log(1 + exp(−|z|)), which never exponentiates a large positive number. */
export function bceWithLogits(z: Float64Array, y: Float64Array, rows: number): LossResult {
  if (z.length !== rows || y.length !== rows)
    throw new Error(`bceWithLogits: z has ${z.length} and y ${y.length} elements, expected ${rows} (one output unit)`);
  const rowLoss = new Float64Array(rows);
  const dZ = new Float64Array(rows);
  const correct = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    const zr = z[r]!;
    const yr = y[r]!;
    rowLoss[r] = Math.max(zr, 0) - zr * yr + Math.log1p(Math.exp(-Math.abs(zr)));
    dZ[r] = (sigmoid(zr) - yr) / rows;
    correct[r] = zr > 0 === yr > 0.5 ? 1 : 0;
  }
  return { rowLoss, dZ, correct };
}

/** Softmax + categorical cross-entropy from logits z[rows][cols], targets y one-hot (or any distribution).
 *  log softmax(z)_j = z_j − max − log Σ_k exp(z_k − max), so no exp ever overflows. */
export function softmaxCrossEntropy(z: Float64Array, y: Float64Array, rows: number, cols: number): LossResult {
  if (z.length !== rows * cols || y.length !== rows * cols)
    throw new Error(`softmaxCrossEntropy: z has ${z.length} and y ${y.length} elements, expected ${rows}*${cols}`);
  const rowLoss = new Float64Array(rows);
  const dZ = new Float64Array(rows * cols);
  const correct = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let max = -Infinity;
    for (let j = 0; j < cols; j++) max = Math.max(max, z[r * cols + j]!);
    let sumExp = 0;
    for (let j = 0; j < cols; j++) sumExp += Math.exp(z[r * cols + j]! - max);
    const logSum = Math.log(sumExp);
    let loss = 0;
    for (let j = 0; j < cols; j++) {
      const logP = z[r * cols + j]! - max - logSum;
      loss -= y[r * cols + j]! * logP;
      dZ[r * cols + j] = (Math.exp(logP) - y[r * cols + j]!) / rows;
    }
    rowLoss[r] = loss;
    correct[r] = argmaxRow(z, r, cols) === argmaxRow(y, r, cols) ? 1 : 0;
  }
  return { rowLoss, dZ, correct };
}

/** Mean squared error on a linear output a[rows][cols]. The row loss is averaged over cols, so the
 *  mean over rows equals PyTorch's MSELoss (mean over all elements). `correct` is the row classified
 *  right (one-hot or 0/1 targets), or with `regression` the row's Σ_j |a − y| (loss.wgsl's REGRESSION). */
export function mseLoss(a: Float64Array, y: Float64Array, rows: number, cols: number, regression = false): LossResult {
  if (a.length !== rows * cols || y.length !== rows * cols)
    throw new Error(`mseLoss: a has ${a.length} and y ${y.length} elements, expected ${rows}*${cols}`);
  const rowLoss = new Float64Array(rows);
  const dZ = new Float64Array(rows * cols);
  const correct = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let loss = 0;
    let abs = 0;
    for (let j = 0; j < cols; j++) {
      const d = a[r * cols + j]! - y[r * cols + j]!;
      loss += (d * d) / cols;
      abs += Math.abs(d);
      dZ[r * cols + j] = (2 * d) / (rows * cols);
    }
    rowLoss[r] = loss;
    if (regression) correct[r] = abs;
    else if (cols > 1) correct[r] = argmaxRow(a, r, cols) === argmaxRow(y, r, cols) ? 1 : 0;
    else correct[r] = a[r]! > 0.5 === y[r]! > 0.5 ? 1 : 0;
  }
  return { rowLoss, dZ, correct };
}

/** db[j] = Σ_r dZ[r][j]: the column sums of dZ[rows][cols]. */
export function biasGrad(dZ: Float64Array, rows: number, cols: number): Float64Array {
  if (dZ.length !== rows * cols) throw new Error(`biasGrad: dZ has ${dZ.length} elements, expected ${rows}*${cols}`);
  const db = new Float64Array(cols);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < cols; j++) db[j] = db[j]! + dZ[r * cols + j]!;
  }
  return db;
}

/** Plain gradient descent step: param − lr · grad. */
export function sgdUpdate(param: Float64Array, grad: Float64Array, lr: number): Float64Array {
  if (param.length !== grad.length)
    throw new Error(`sgdUpdate: param has ${param.length} elements, grad ${grad.length}`);
  const out = new Float64Array(param.length);
  for (let i = 0; i < param.length; i++) out[i] = param[i]! - lr * grad[i]!;
  return out;
}

/** Row r of the result is row index[start + r] of src[?][cols]. src may be float32 (a data split):
 *  the values are widened to float64 exactly. */
export function gather(
  src: Float64Array | Float32Array,
  index: Uint32Array,
  start: number,
  rows: number,
  cols: number,
): Float64Array {
  if (start < 0 || start + rows > index.length)
    throw new Error(`gather: rows ${start}..${start + rows} out of range for an index of ${index.length}`);
  const out = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const s = index[start + r]!;
    if ((s + 1) * cols > src.length)
      throw new Error(`gather: source row ${s} out of range for ${src.length / cols} rows`);
    for (let j = 0; j < cols; j++) out[r * cols + j] = src[s * cols + j]!;
  }
  return out;
}

/** Hyperparameters of one optimizer step, as optimizer.wgsl's uniform holds them. c1 = 1 − β1^t and
 *  c2 = 1 − β2^t are Adam's bias corrections; l2 is λ/m (m = rows of the batch). */
export interface OptimizerStep {
  readonly kind: 'sgd' | 'momentum' | 'rmsprop' | 'adam';
  readonly lr: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly c1: number;
  readonly c2: number;
  readonly l2: number;
}

/** One optimizer step over a tensor (the course's formulas). decay[i] is 1 where L2 applies (weights)
 *  and 0 elsewhere (biases). Returns the new param, the regularised gradient g = grad + l2·decay·param
 *  that was applied, and the new first and second moments v and s. */
export function optimizerUpdate(
  param: Float64Array,
  grad: Float64Array,
  v: Float64Array,
  s: Float64Array,
  decay: ArrayLike<number>,
  h: OptimizerStep,
): { param: Float64Array; grad: Float64Array; v: Float64Array; s: Float64Array } {
  const n = param.length;
  if (grad.length !== n || v.length !== n || s.length !== n || decay.length !== n) {
    throw new Error(
      `optimizerUpdate: param ${n}, grad ${grad.length}, v ${v.length}, s ${s.length}, decay ${decay.length} elements differ`,
    );
  }
  const out = { param: new Float64Array(n), grad: new Float64Array(n), v: new Float64Array(v), s: new Float64Array(s) };
  for (let i = 0; i < n; i++) {
    const w = param[i]!;
    const g = grad[i]! + h.l2 * decay[i]! * w;
    out.grad[i] = g;
    switch (h.kind) {
      case 'sgd':
        out.param[i] = w - h.lr * g;
        break;
      case 'momentum':
        out.v[i] = h.beta1 * v[i]! + (1 - h.beta1) * g;
        out.param[i] = w - h.lr * out.v[i]!;
        break;
      case 'rmsprop':
        out.s[i] = h.beta2 * s[i]! + (1 - h.beta2) * g * g;
        out.param[i] = w - (h.lr * g) / (Math.sqrt(out.s[i]!) + h.eps);
        break;
      case 'adam': {
        out.v[i] = h.beta1 * v[i]! + (1 - h.beta1) * g;
        out.s[i] = h.beta2 * s[i]! + (1 - h.beta2) * g * g;
        const vHat = out.v[i]! / h.c1;
        const sHat = out.s[i]! / h.c2;
        out.param[i] = w - (h.lr * vHat) / (Math.sqrt(sHat) + h.eps);
        break;
      }
    }
  }
  return out;
}

/** (λ/2)·Σ decay·param²: what one training step of m rows adds to the loss sum for L2
 *  (m × (λ/2m)·Σ‖W‖²). halfLambda = λ/2. */
export function l2Penalty(param: Float64Array, decay: ArrayLike<number>, halfLambda: number): number {
  if (decay.length !== param.length)
    throw new Error(`l2Penalty: param ${param.length}, decay ${decay.length} elements differ`);
  let s = 0;
  for (let i = 0; i < param.length; i++) s += decay[i]! * param[i]! * param[i]!;
  return halfLambda * s;
}

// ---- inverted dropout: the mask is a pure function of (seed, step, layer, index), never stored ----

/** PCG hash (Jarzynski & Olano 2020), in u32 arithmetic exactly as dropout.wgsl computes it. */
function pcgHash(v: number): number {
  const state = (Math.imul(v >>> 0, 747796405) + 2891336453) >>> 0;
  const word = Math.imul(((state >>> (((state >>> 28) + 4) & 31)) ^ state) >>> 0, 277803737) >>> 0;
  return ((word >>> 22) ^ word) >>> 0;
}

/** 1 where unit i = row·cols + col of hidden layer `layer` is kept at training step `step`, else 0:
 *  kept when the top 24 bits of the hash are below round(keepProb·2^24). */
export function dropoutMask(
  rows: number,
  cols: number,
  seed: number,
  step: number,
  layer: number,
  keepProb: number,
): Uint8Array {
  const threshold = Math.round(keepProb * 2 ** 24);
  const key = pcgHash((pcgHash((pcgHash(seed) ^ step) >>> 0) ^ layer) >>> 0);
  const m = new Uint8Array(rows * cols);
  for (let i = 0; i < m.length; i++) m[i] = pcgHash((key ^ i) >>> 0) >>> 8 < threshold ? 1 : 0;
  return m;
}

/** Inverted dropout forward: a · mask / keepProb (a is [rows][cols]). */
export function dropoutForward(
  a: Float64Array,
  rows: number,
  cols: number,
  seed: number,
  step: number,
  layer: number,
  keepProb: number,
): Float64Array {
  if (a.length !== rows * cols) throw new Error(`dropoutForward: a has ${a.length} elements, expected ${rows}*${cols}`);
  const mask = dropoutMask(rows, cols, seed, step, layer, keepProb);
  return a.map((v, i) => (mask[i]! ? v / keepProb : 0));
}

/** Inverted dropout backward: the same mask and scale applied to the incoming gradient. */
export function dropoutBackward(
  dA: Float64Array,
  rows: number,
  cols: number,
  seed: number,
  step: number,
  layer: number,
  keepProb: number,
): Float64Array {
  return dropoutForward(dA, rows, cols, seed, step, layer, keepProb);
}
