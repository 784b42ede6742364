// "Check this step" and the gradient check, for any user of the library: one training step on the GPU
// and on the float64 reference from the same weights and rows, compared tensor by tensor with the
// project's tolerance rule; and the course's gradient check of float64 backprop.
import { compare, TOL } from '../check.ts';
import { hasBatchNorm, layerCount, size, type ModelSpec, type Params } from '../model.ts';
import { GRADCHECK_THRESHOLD, gradientCheck, gradientCheckSuite } from '../reference/gradcheck.ts';
import { toParams64, trainStep, zeroState } from '../reference/mlp.ts';
import type { BackendInit, PlanPath, SplitData, TrainBackend, TrainConfig } from '../train/backend.ts';

/** The largest absolute differences of a batch-normalised layer: dγ, dβ, and γ, β, running mean and var after the step. */
export interface BatchNormCheck {
  readonly dGamma: number;
  readonly dBeta: number;
  readonly gammaAfter: number;
  readonly betaAfter: number;
  readonly meanAfter: number;
  readonly varAfter: number;
}

/** One layer of a step check: largest |GPU − reference| of dW, db and of W, b after the step; ok when
 *  every tensor is within the tolerance rule (src/check.ts). */
export interface LayerCheck {
  readonly layer: number;
  readonly shape: string;
  readonly dW: number;
  readonly db: number;
  readonly weightAfter: number;
  readonly biasAfter: number;
  readonly bn?: BatchNormCheck;
  readonly ok: boolean;
}

export interface StepCheck {
  readonly rows: number;
  readonly gpuLoss: number;
  readonly cpuLoss: number;
  readonly layers: readonly LayerCheck[];
  readonly adapter: string;
  /** The GPU path that took the step: the one the trainer trains on (fused or layered). */
  readonly path: PlanPath;
  /** Every layer within tolerance. */
  readonly ok: boolean;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Number.isFinite(a[i]!) ? Math.abs(a[i]! - b[i]!) : Infinity);
  return m;
}

/** How the check gets its GPU backend: the trainer's own choice of path (engine.backend), so the step
 *  checked is the step the trainer trains with. */
export type StepBackend = (init: BackendInit) => Promise<TrainBackend>;

/** The GPU's side of the check: one step of `rows` rows at lr, its loss, gradients and parameters after. */
async function gpuStep(build: StepBackend, init: BackendInit, lr: number) {
  const backend = await build(init);
  try {
    if (!backend.readGrads || !backend.path)
      throw new Error(`checkStep: the ${backend.device} backend (${backend.adapter}) cannot hand out its gradients`);
    backend.step(0, init.maxBatch, lr);
    const stats = await backend.takeTrainStats();
    const grads = await backend.readGrads();
    const after = await backend.readParams();
    return { loss: stats.lossSum / stats.count, grads, after, path: backend.path, adapter: backend.adapter };
  } finally {
    backend.destroy();
  }
}

/** One step of `rows` rows (the first ones of `train`) at learning rate lr on the GPU, through the
 *  backend `build` makes, and on the reference, from `params`. */
export async function checkStep(
  build: StepBackend,
  spec: ModelSpec,
  params: Params,
  config: TrainConfig,
  train: SplitData,
  rows: number,
  lr: number,
  regression = false,
): Promise<StepCheck> {
  const empty = { x: new Float32Array(0), y: new Float32Array(0), n: 0 };
  const init = { spec, params, train, test: empty, maxBatch: rows, config, regression };
  const { loss: gpuLoss, grads, after, path, adapter } = await gpuStep(build, init, lr);
  const n0 = size(spec, 0);
  const nL = size(spec, layerCount(spec));
  const p64 = toParams64(params);
  const plain = config.optimizer === 'sgd' && config.l2 === 0 && config.keepProb === 1;
  const ref = trainStep(
    spec,
    p64,
    Float64Array.from(train.x.subarray(0, rows * n0)),
    Float64Array.from(train.y.subarray(0, rows * nL)),
    rows,
    lr,
    plain ? undefined : { config, state: zeroState(p64), t: 1 },
    regression,
  );
  const layers: LayerCheck[] = grads.map((g, l) => {
    const name = (k: string) => `layers.${l}.${k}`;
    const mismatches = [
      compare(name('weight.grad'), g.weight, ref.grads.dW[l]!, TOL.grad),
      compare(name('bias.grad'), g.bias, ref.grads.db[l]!, TOL.grad),
      compare(name('weight'), after[l]!.weight, p64[l]!.weight, TOL.value),
      compare(name('bias'), after[l]!.bias, p64[l]!.bias, TOL.value),
    ];
    const row: Omit<LayerCheck, 'ok'> = {
      layer: l,
      shape: `${size(spec, l + 1)}x${size(spec, l)}`,
      dW: maxAbsDiff(g.weight, ref.grads.dW[l]!),
      db: maxAbsDiff(g.bias, ref.grads.db[l]!),
      weightAfter: maxAbsDiff(after[l]!.weight, p64[l]!.weight),
      biasAfter: maxAbsDiff(after[l]!.bias, p64[l]!.bias),
    };
    if (!hasBatchNorm(spec, l)) return { ...row, ok: mismatches.every((m) => m === undefined) };
    // Batch norm: dγ and dβ (the GPU keeps them in the γ and β slots of its gradient buffer), then γ, β
    // and the running mean and var the step left (p64 was updated in place by trainStep).
    const [gb, ab, rb, rg] = [g.bn, after[l]!.bn, p64[l]!.bn, ref.grads.bn?.[l]];
    if (!gb || !ab || !rb || !rg)
      throw new Error(
        `${name('bn_gamma')}: layer ${l} has batch norm but the GPU or the reference returned no bn tensors`,
      );
    mismatches.push(
      compare(name('bn_gamma.grad'), gb.gamma, rg.dGamma, TOL.grad),
      compare(name('bn_beta.grad'), gb.beta, rg.dBeta, TOL.grad),
      compare(name('bn_gamma'), ab.gamma, rb.gamma, TOL.value),
      compare(name('bn_beta'), ab.beta, rb.beta, TOL.value),
      compare(name('bn_mean'), ab.mean, rb.mean, TOL.value),
      compare(name('bn_var'), ab.var, rb.var, TOL.value),
    );
    const bn: BatchNormCheck = {
      dGamma: maxAbsDiff(gb.gamma, rg.dGamma),
      dBeta: maxAbsDiff(gb.beta, rg.dBeta),
      gammaAfter: maxAbsDiff(ab.gamma, rb.gamma),
      betaAfter: maxAbsDiff(ab.beta, rb.beta),
      meanAfter: maxAbsDiff(ab.mean, rb.mean),
      varAfter: maxAbsDiff(ab.var, rb.var),
    };
    return { ...row, bn, ok: mismatches.every((m) => m === undefined) };
  });
  return { rows, gpuLoss, cpuLoss: ref.loss, layers, adapter, path, ok: layers.every((l) => l.ok) };
}

/** One tensor of the gradient check: the course's ‖g − g̃‖₂ / (‖g‖₂ + ‖g̃‖₂), ok below the threshold. */
export interface GradCheckRow {
  readonly layer: number;
  readonly name: string;
  readonly relDiff: number;
  readonly ok: boolean;
}

/** The course's gradient check of float64 backprop against central differences of the cost, for
 *  `params` on the first rows of `train`, with L2 and dropout as configured (one fixed mask). */
export function gradcheckRows(
  spec: ModelSpec,
  params: Params,
  config: TrainConfig,
  train: SplitData,
  rows: number,
  seed: number,
): { rows: number; threshold: number; results: GradCheckRow[] } {
  const n0 = size(spec, 0);
  const nL = size(spec, layerCount(spec));
  const x = Float64Array.from(train.x.subarray(0, rows * n0));
  const y = Float64Array.from(train.y.subarray(0, rows * nL));
  const reg = {
    l2: config.l2,
    ...(config.keepProb < 1 ? { dropout: { keepProb: config.keepProb, seed, step: 1 } } : {}),
  };
  const results = gradientCheck(spec, toParams64(params), x, y, rows, 1e-6, undefined, reg);
  return {
    rows,
    threshold: GRADCHECK_THRESHOLD,
    results: results.map((r) => ({ ...r, ok: r.relDiff < GRADCHECK_THRESHOLD })),
  };
}

/** The course's gradient check of every supported layer type (each hidden activation under each loss,
 *  L2, dropout, batch norm) on small random problems of `rows` rows drawn from `seed`: per case its
 *  label and each tensor's relative difference, which passes below GRADCHECK_THRESHOLD. */
export function gradcheckSuite(seed = 1, rows = 5): { label: string; results: { name: string; relDiff: number }[] }[] {
  return gradientCheckSuite(seed, rows).map((c) => ({
    label: c.label,
    results: c.results.map((r) => ({ name: r.name, relDiff: r.relDiff })),
  }));
}
