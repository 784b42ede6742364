// Device limits on the real adapter: a plan past one is refused with TrainerError 'too-large' before it
// allocates anything, instead of a dispatch WebGPU drops and a step that prints numbers computed from
// nothing; and at the widest hidden layer the adapter takes, a step equals the CPU reference.
import { describe, expect, it } from 'vitest';
import { TOL, assertClose } from '../../src/check.ts';
import { TrainerError } from '../../src/errors.ts';
import { liveBufferStats } from '../../src/gpu/arena.ts';
import { DEFAULT_LIMITS, limit, type DeviceLimits } from '../../src/gpu/limits.ts';
import { TrainingPlan, checkPlan } from '../../src/gpu/plan.ts';
import { initParams } from '../../src/init.ts';
import { layerCount, tensorName, type ModelSpec } from '../../src/model.ts';
import { toParams64, trainStep } from '../../src/reference/mlp.ts';
import { Rng } from '../../src/rng.ts';
import { gpu, randomArray, useDevice } from './fixture.ts';

useDevice();

const BATCH = 32;
const wide = (w: number): ModelSpec => ({ sizes: [2, w, 1], activation: 'relu', loss: 'bce' });
const rows = { train: BATCH, test: 0, dev: 0 };
const noData = { x: new Float32Array(0), y: new Float32Array(0), n: 0 };

/** The error a promise rejects with (undefined when it resolves). */
const rejection = (p: Promise<unknown>): Promise<unknown> =>
  p.then(
    () => undefined,
    (e: unknown) => e,
  );

/** Whether the plan for [2, w, 1] at batch 32 passes the device-limit check (what create checks first). */
function accepted(w: number): boolean {
  try {
    checkPlan(gpu(), { spec: wide(w), configs: [undefined], maxBatch: BATCH, rows });
    return true;
  } catch (e) {
    if (e instanceof TrainerError && e.code === 'too-large') return false;
    throw e;
  }
}

describe('device limits', () => {
  // Test that the 3,000,000-unit hidden layer, whose forward product needs 93,750 workgroups along x in
  // the blocked family SwiftShader runs, is refused with 'too-large' naming the kernel and the limit,
  // and leaves no buffer behind.
  it('refuses [2, 3000000, 1] at batch 32', async () => {
    const before = liveBufferStats().buffers;
    const x = new Float32Array(BATCH * 2);
    const params = [{ weight: new Float32Array(0), bias: new Float32Array(0) }]; // never read: refused first
    const err = await rejection(
      TrainingPlan.create(
        gpu(),
        {
          spec: wide(3_000_000),
          params,
          train: { x, y: new Float32Array(BATCH), n: BATCH },
          test: noData,
          maxBatch: BATCH,
        },
        { matmul: 'blocked' },
      ),
    );
    expect(err).toBeInstanceOf(TrainerError);
    expect((err as TrainerError).code).toBe('too-large');
    expect((err as TrainerError).message).toMatch(
      /^plan \[2,3000000,1\] batch 32 on [^:]+: layer 1 \(2 → 3000000\), forward: kernel matmulBlocked\w* needs 93750 workgroups along x, over the adapter's maxComputeWorkgroupsPerDimension of 65535$/,
    );
    expect(liveBufferStats().buffers).toBe(before);
  });

  // Test that doubling the hidden width from 1,024 finds the widest [2, W, 1] plan the adapter takes at
  // batch 32; that one training step there equals the float64 CPU reference (loss, every gradient, every
  // parameter after the update); and that the plan at 2W is refused with 'too-large' before allocating.
  it('the widest hidden layer for 2 inputs at batch 32 trains one step like the reference', async () => {
    let w = 1024;
    while (accepted(2 * w)) w *= 2;
    expect(accepted(w)).toBe(true);
    const spec = wide(w);
    const rng = new Rng(5);
    const x = randomArray(BATCH * 2, rng);
    const y = Float32Array.from({ length: BATCH }, () => rng.int(2));
    const params = initParams(spec, 3);
    const train = { x, y, n: BATCH };

    const before = liveBufferStats().buffers;
    const past = await rejection(
      TrainingPlan.create(gpu(), { spec: wide(2 * w), params, train, test: noData, maxBatch: BATCH }),
    );
    expect(past).toBeInstanceOf(TrainerError);
    expect((past as TrainerError).code).toBe('too-large');
    expect(liveBufferStats().buffers).toBe(before);
    console.log(
      `widest [2, W, 1] at batch ${BATCH} on ${gpu().adapterName}: W = ${w}; at ${2 * w}: ${(past as Error).message}`,
    );
    // The figures tests/node/plan-layout.test.ts copies as its SwiftShader limits.
    const names = Object.keys(DEFAULT_LIMITS) as (keyof DeviceLimits)[];
    const figures = Object.fromEntries(names.map((n) => [n, limit(gpu().device.limits, n)]));
    console.log(`limits of ${gpu().adapterName}: ${JSON.stringify(figures)}`);

    const plan = await TrainingPlan.create(gpu(), { spec, params, train, test: noData, maxBatch: BATCH });
    try {
      const lr = 0.1;
      plan.step(0, BATCH, lr);
      const got = await plan.takeTrainStats();
      const grads = await plan.readGrads();
      const final = await plan.readParams();
      // The reference keeps [32][W] float64 activations, a few hundred MB at the widest width.
      const ref = toParams64(params);
      const expected = trainStep(spec, ref, Float64Array.from(x), Float64Array.from(y), BATCH, lr);
      assertClose('loss', [got.lossSum / BATCH], [expected.loss], TOL.value);
      for (let l = 0; l < layerCount(spec); l++) {
        const cols = spec.sizes[l]!;
        assertClose(
          `${tensorName(l, 'weight')} grad`,
          grads[l]!.weight,
          expected.grads.dW[l]!,
          TOL.grad,
          undefined,
          cols,
        );
        assertClose(`${tensorName(l, 'bias')} grad`, grads[l]!.bias, expected.grads.db[l]!, TOL.grad);
        assertClose(tensorName(l, 'weight'), final[l]!.weight, ref[l]!.weight, TOL.value, undefined, cols);
        assertClose(tensorName(l, 'bias'), final[l]!.bias, ref[l]!.bias, TOL.value);
      }
    } finally {
      plan.destroy();
    }
  });
});
