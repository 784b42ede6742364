import { describe, expect, it } from 'vitest';
import type { BenchResults, Engine, StepResult } from '../../src/bench/protocol.ts';
import { derive, hostLines, textSummary } from '../../src/bench/report.ts';

const step = (engine: Engine, blocksMs: number[]): StepResult => ({
  config: '784-128-10 b64',
  group: 'issue',
  sizes: [784, 128, 10],
  batch: 64,
  engine,
  adapter: engine,
  setupMs: 1,
  firstStepMs: 1,
  msPerStep: [...blocksMs].sort((a, b) => a - b)[1]!,
  blocksMs,
  stepsPerBlock: 10,
  firstStepOnly: false,
  samplesPerSecond: 1,
  gflops: 1,
  flopsPerStep: 1,
});

const results = (steps: StepResult[]): BenchResults => ({
  date: '2026-11-30',
  adapter: 'google swiftshader',
  features: [],
  userAgent: 'test',
  hardwareConcurrency: 2,
  crossOriginIsolated: true,
  tfjs: { version: '4.22.0', wasmSimd: true, wasmThreads: true, wasmThreadsCount: 1 },
  autotune: { family: 'blocked', ms: { tiled: 2, tiled8: 2, blocked: 1 }, source: 'measured', seconds: 1 },
  family: 'blocked',
  steps,
  kernels: [],
  submitSweep: [],
  hostCost: [],
  notes: [],
});

describe('bench report', () => {
  // Test that the bench / plain TF.js ratio is the median of the per-round ratios (rounds timed in turns),
  // so a slow round that hits both engines alike does not move it, and that the summary prints it.
  it('tfjs-wasm against tfjs-wasm-plain', () => {
    const res = results([
      step('webgpu', [10, 10, 10]),
      step('tfjs-wasm', [7, 14, 7.2]),
      step('tfjs-wasm-plain', [7, 14, 6.8]),
    ]);
    const d = derive(res);
    expect(d.tfjsVsPlain).toHaveLength(1);
    expect(d.tfjsVsPlain[0]!.ratio).toBeCloseTo(1, 10);
    expect(textSummary(res, d)).toContain('784-128-10 b64: tfjs-wasm / tfjs-wasm-plain = 1.00');
    expect(textSummary(res, d)).toContain('page cross-origin isolated: true');
    expect(derive(results([step('tfjs-wasm', [7, 7, 7])])).tfjsVsPlain).toEqual([]);
  });

  // Test that the host cost table prints the median JS time, its spread and the counts per step, and
  // the long-run line compares the first and last blocks.
  it('host cost lines', () => {
    const perStep = { dispatches: 9, bindGroupSets: 9, bufferWrites: 0, submits: 1 };
    const lines = hostLines(
      [
        {
          config: '784-128-10 b64',
          sizes: [784, 128, 10],
          batch: 64,
          adapter: 'google swiftshader',
          stepsPerSubmit: 1,
          jsMsPerStep: 0.25,
          meanMsPerStep: 0.25,
          blocksMs: [0.3, 0.25, 0.2],
          stepsPerBlock: 50,
          firstAfterDrainMs: 0.5,
          stepWallMs: 18,
          perStep,
        },
      ],
      {
        config: '784-128-10 b64',
        steps: 3000,
        reportSteps: 1000,
        chunkSteps: 50,
        blocksMs: [0.2, 0.25, 0.3],
        blocksMeanMs: [0.2, 0.25, 0.4],
        perStep,
        wallS: 60,
      },
    ).join('\n');
    expect(lines).toMatch(/784-128-10 b64 +0\.2500 +0\.2000–0\.3000 +0\.2500 +3×50 +0\.500 +9 +9 +0 +1 +18\.0/);
    expect(lines).toContain('first 0.2000, last 0.3000 (last / first 1.50)');
    expect(lines).toContain('first 0.2000, last 0.4000 (last / first 2.00)');
    expect(hostLines([], undefined)).toEqual([]);
  });
  // Test that the small networks get their own table: every engine's time and the fused step's speed-up
  // over the layered plan as the median of the per-round ratios (they are timed in turns), over TF.js
  // WASM from the medians; the issue table leaves them out.
  it('small networks against the fused step', () => {
    const small = (engine: Engine, blocksMs: number[]): StepResult => ({
      ...step(engine, blocksMs),
      config: 'moons 2-16-16-1 b32',
      group: 'small',
    });
    const res = results([
      step('webgpu', [10, 10, 10]),
      small('webgpu-fused', [0.2, 0.4, 0.2]),
      small('webgpu', [1, 2, 1.2]),
      small('tfjs-wasm', [1.5, 1.5, 1.5]),
    ]);
    const d = derive(res);
    expect(d.fused.find((f) => f.vs === 'webgpu')!.ratio).toBeCloseTo(5, 10);
    expect(d.fused.find((f) => f.vs === 'tfjs-wasm')!.ratio).toBeCloseTo(7.5, 10);
    const text = textSummary(res, d);
    expect(text).toContain('Small networks');
    expect(text).toMatch(/moons 2-16-16-1 b32 +0\.200 +1\.20 .* 5\.00× +7\.50×/);
    expect(text.split('Small networks')[0]).not.toContain('moons');
  });
});
