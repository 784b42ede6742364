import { describe, expect, it } from 'vitest';
import type { BenchResults, Engine, StepResult } from '../../src/bench/protocol.ts';
import { derive, textSummary } from '../../src/bench/report.ts';

const step = (engine: Engine, blocksMs: number[]): StepResult => ({
  config: '784-128-10 b64', group: 'issue', sizes: [784, 128, 10], batch: 64, engine, adapter: engine, setupMs: 1, firstStepMs: 1,
  msPerStep: [...blocksMs].sort((a, b) => a - b)[1]!, blocksMs, stepsPerBlock: 10, firstStepOnly: false, samplesPerSecond: 1, gflops: 1, flopsPerStep: 1,
});

const results = (steps: StepResult[]): BenchResults => ({
  date: '2026-11-30', adapter: 'google swiftshader', features: [], userAgent: 'test', hardwareConcurrency: 2, crossOriginIsolated: true,
  tfjs: { version: '4.22.0', wasmSimd: true, wasmThreads: true, wasmThreadsCount: 1 },
  autotune: { family: 'blocked', ms: { tiled: 2, tiled8: 2, blocked: 1 }, source: 'measured', seconds: 1 }, family: 'blocked', steps, kernels: [], submitSweep: [], notes: [],
});

describe('bench report', () => {
  // Test that the bench / plain TF.js ratio is the median of the per-round ratios (rounds timed in turns),
  // so a slow round that hits both engines alike does not move it, and that the summary prints it.
  it('tfjs-wasm against tfjs-wasm-plain', () => {
    const res = results([step('webgpu', [10, 10, 10]), step('tfjs-wasm', [7, 14, 7.2]), step('tfjs-wasm-plain', [7, 14, 6.8])]);
    const d = derive(res);
    expect(d.tfjsVsPlain).toHaveLength(1);
    expect(d.tfjsVsPlain[0]!.ratio).toBeCloseTo(1, 10);
    expect(textSummary(res, d)).toContain('784-128-10 b64: tfjs-wasm / tfjs-wasm-plain = 1.00');
    expect(textSummary(res, d)).toContain('page cross-origin isolated: true');
    expect(derive(results([step('tfjs-wasm', [7, 7, 7])])).tfjsVsPlain).toEqual([]);
  });
});
