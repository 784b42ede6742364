// The GPU path a trainer takes (src/lib/plan-choice.ts), from the net, its configurations and the
// device's limits only: in Node, no GPU call.
import { describe, expect, it } from 'vitest';
import { TrainerError } from '../../src/errors.ts';
import { DEFAULT_LIMITS } from '../../src/gpu/limits.ts';
import { choosePath, describePath, type PathSubject, type PlanChoice } from '../../src/lib/plan-choice.ts';
import type { ModelSpec } from '../../src/model.ts';
import { resolveConfig, type TrainConfig } from '../../src/train/backend.ts';

const subject = (sizes: number[], over: Partial<PathSubject> = {}, config: Partial<TrainConfig> = {}): PathSubject => ({
  spec: { sizes, activation: 'relu', loss: sizes.at(-1)! > 1 ? 'ce' : 'bce' } satisfies ModelSpec,
  configs: [resolveConfig(config)],
  maxBatch: 32,
  rows: { train: 800, test: 200, dev: 0 },
  regression: false,
  ...over,
});
const path = (choice: PlanChoice, s: PathSubject, budget?: number) =>
  choosePath(choice, s, DEFAULT_LIMITS, 'the adapter', budget);

/** The message of the TrainerError `f` throws, after checking its code. */
function refused(f: () => unknown, code: TrainerError['code']): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(TrainerError);
    expect((e as TrainerError).code).toBe(code);
    return (e as TrainerError).message;
  }
  throw new Error('expected a TrainerError');
}

describe('plan choice', () => {
  // Test that 'auto' takes the fused path inside the envelope and the layered plan, naming why, outside.
  it("'auto'", () => {
    expect(path('auto', subject([2, 16, 16, 1]))).toEqual({ kind: 'fused' });
    expect(path('auto', subject([64, 64, 10]))).toEqual({ kind: 'fused' });
    expect(path('auto', subject([64, 64, 64, 10])).reason).toMatch(/^8832 multiply-adds a row, over the 5120/);
    expect(path('fused', subject([64, 64, 64, 10]))).toEqual({ kind: 'fused' });
    expect(path('auto', subject([784, 128, 10])).reason).toMatch(/^width 784 at sizes\[0\]/);
    expect(path('auto', subject([2, 16, 1], {}, { keepProb: 0.8 }))).toEqual({ kind: 'fused' });
    const bn = {
      ...subject([2, 16, 1]),
      spec: { sizes: [2, 16, 1], activation: 'relu', loss: 'bce', batchNorm: true },
    };
    expect(path('auto', bn as PathSubject)).toEqual({ kind: 'fused' });
    expect(path('auto', subject([2, 16, 1], { sweep: true })).reason).toMatch(/sweep/);
    expect(path('auto', subject([2, 16, 1]), 1000).reason).toMatch(/shards/);
    expect(path('layered', subject([2, 16, 1]))).toEqual({ kind: 'layered', reason: 'asked for' });
  });

  // Test that on a CPU-emulated adapter 'auto' takes the fused path for a sweep's groups of a small step
  // (the lane kernel from 4 models), one alone included; for a bigger step or on other adapters not.
  it("'auto' for a sweep on a CPU-emulated adapter", () => {
    const sweep = (models: number) =>
      subject([2, 16, 16, 1], {
        sweep: true,
        configs: Array.from({ length: models }, (_, i) => resolveConfig({ l2: i / 100 })),
      });
    const cpu = (s: PathSubject) => choosePath('auto', s, DEFAULT_LIMITS, 'google swiftshader');
    for (const n of [1, 4, 32]) expect(cpu(sweep(n)), `${n} models`).toEqual({ kind: 'fused' });
    expect(path('auto', sweep(32)).reason).toMatch(/^a sweep's 32 models side by side/);
    expect(cpu(subject([30, 16, 8, 1], { sweep: true, maxBatch: 64 })).reason).toMatch(/^a sweep's 1 model /);
    expect(cpu(subject([64, 64, 64, 10], { sweep: true })).reason).toMatch(/multiply-adds a row/);
  });

  // Test that 'fused' takes a sweep (N workgroups) and throws outside the envelope, naming the reason.
  it("'fused'", () => {
    const two = subject([2, 16, 1], { sweep: true, configs: [resolveConfig({}), resolveConfig({ l2: 0.1 })] });
    expect(path('fused', two)).toEqual({ kind: 'fused' });
    expect(refused(() => path('fused', subject([100, 10])), 'bad-input')).toMatch(/^plan 'fused': width 100/);
    expect(refused(() => path('fused', subject([2, 16, 1]), 1000), 'too-large')).toMatch(/shards/);
    expect(refused(() => path('bogus' as PlanChoice, subject([2, 1])), 'bad-input')).toMatch(/'auto', 'fused'/);
  });

  // Test that a path reads as the run line names it.
  it('describePath', () => {
    expect(describePath({ kind: 'fused' })).toBe('fused');
    expect(describePath({ kind: 'layered', reason: 'asked for' })).toBe('layered (asked for)');
  });
});
