// Host cost of our training step (issue #12): the CPU time step() spends in JavaScript (encode,
// uniforms, submit), and what it asks of the API per step (the plan's counters.ts). The GPU work is
// kept out of the timing by not waiting inside it: a timed block only enqueues steps, and the queue is
// drained (onSubmittedWorkDone, through the stepper's sync) between blocks, outside the timed region,
// so it never grows past one block.
//
// The first step after a drain runs untimed. On SwiftShader it took 0.1-1.5 ms where the steps after it
// took ~0.02 ms (2026-11-30, 784-128-10 b64, one performance.now() per step): the wake-up after the
// idle wait, with the caches cold from the GPU work that ran on the same cores. A training loop never
// drains the queue (statistics are read a period late), so it does not pay that; counted, it would be
// about as large as the step's own cost in a block of 50.
import type { HostCounts } from '../gpu/counters.ts';
import { median, type Stepper } from './timing.ts';

export interface HostCostOptions {
  /** Timed blocks; the median is reported. */
  readonly blocks: number;
  /** Timed steps per block at most. */
  readonly blockSteps: number;
  /** Fewer steps per block where a step's wall time (GPU included) makes a block longer than this. */
  readonly blockMs: number;
}

export interface HostCost {
  /** Median over blocks of the JS time of step() per step. */
  readonly jsMsPerStep: number;
  /** All timed steps' JS time over their number: GC pauses (and any other load) amortised in. */
  readonly meanMsPerStep: number;
  /** Each block's JS time per step. */
  readonly blocksMs: number[];
  readonly stepsPerBlock: number;
  /** Median JS time of the untimed first step of each block (after the drain), for reference. */
  readonly firstAfterDrainMs: number;
  /** Wall time of one warm step to onSubmittedWorkDone (GPU included), which sized the blocks. */
  readonly stepWallMs: number;
  /** Counts per step over the timed steps. */
  readonly perStep: HostCounts;
}

/** A step slower than this (wall, GPU included) gets at most 3 timed blocks, as timing.ts's slow steps do. */
const SLOW_STEP_MS = 8000;

const ZERO: HostCounts = { dispatches: 0, bindGroupSets: 0, bufferWrites: 0, submits: 0 };
const combine = (a: HostCounts, b: HostCounts, f: (x: number, y: number) => number): HostCounts => ({
  dispatches: f(a.dispatches, b.dispatches),
  bindGroupSets: f(a.bindGroupSets, b.bindGroupSets),
  bufferWrites: f(a.bufferWrites, b.bufferWrites),
  submits: f(a.submits, b.submits),
});
const add = (a: HostCounts, b: HostCounts) => combine(a, b, (x, y) => x + y);
const per = (c: HostCounts, steps: number): HostCounts => combine(c, ZERO, (x) => x / steps);

const counts = (s: Stepper): HostCounts => {
  if (!s.counters) throw new Error('host cost: this engine does not count its API calls (only our WebGPU plan does)');
  return s.counters();
};

interface Block {
  /** JS time of the k timed steps. */
  readonly ms: number;
  /** JS time of the untimed lead step. */
  readonly leadMs: number;
  /** What the k timed steps asked of the API. A partly filled group that sync() submits is not
   *  counted, so with several steps per submit the submits per step come out slightly under 1/K. */
  readonly delta: HostCounts;
}

/** Drain; one lead step (timed apart); k steps enqueued back to back, timed; drain (not timed). */
async function jsBlock(s: Stepper, k: number): Promise<Block> {
  await s.sync();
  let t = performance.now();
  s.step();
  const leadMs = performance.now() - t;
  const before = counts(s);
  t = performance.now();
  for (let i = 0; i < k; i++) s.step();
  const ms = performance.now() - t;
  const delta = combine(counts(s), before, (a, b) => a - b);
  await s.sync();
  return { ms, leadMs, delta };
}

/** Warm-up: the first step (compilation), then one step timed to the end of its GPU work; returns that
 *  wall time, by which the caller sizes its blocks (and then runs one untimed block, so the step path
 *  is as warm in the JIT as it will be in the timed ones). */
async function warmUp(s: Stepper): Promise<number> {
  s.step();
  await s.sync();
  const t = performance.now();
  s.step();
  await s.sync();
  return performance.now() - t;
}

export async function timeHost(make: () => Promise<Stepper>, opts: HostCostOptions): Promise<HostCost> {
  const s = await make();
  try {
    const stepWallMs = await warmUp(s);
    // The lead step is part of each block's wall time.
    const k = Math.max(1, Math.min(opts.blockSteps, Math.round(opts.blockMs / Math.max(stepWallMs, 1e-3)) - 1));
    if (k > 1) await jsBlock(s, k);
    const blocks = stepWallMs >= SLOW_STEP_MS ? Math.min(3, opts.blocks) : opts.blocks;
    const blocksMs: number[] = [];
    const leads: number[] = [];
    let total = ZERO;
    for (let r = 0; r < blocks; r++) {
      const b = await jsBlock(s, k);
      blocksMs.push(b.ms / k);
      leads.push(b.leadMs);
      total = add(total, b.delta);
    }
    return {
      jsMsPerStep: median(blocksMs),
      meanMsPerStep: blocksMs.reduce((a, b) => a + b, 0) / blocks,
      blocksMs,
      stepsPerBlock: k,
      firstAfterDrainMs: median(leads),
      stepWallMs,
      perStep: per(total, blocks * k),
    };
  } finally {
    s.destroy();
  }
}

export interface HostFlatness {
  /** Timed steps (each chunk's untimed lead step not included). */
  readonly steps: number;
  /** Timed steps per reported block. */
  readonly reportSteps: number;
  /** Timed steps per chunk: each chunk is one jsBlock, drained before and after. */
  readonly chunkSteps: number;
  /** Per reported block: the median over its chunks of the JS time per step. */
  readonly blocksMs: number[];
  /** Per reported block: its chunks' JS time summed over its steps (GC pauses and any load included). */
  readonly blocksMeanMs: number[];
  readonly perStep: HostCounts;
  /** Wall time of the whole run, GPU included. */
  readonly wallS: number;
}

/** Whether the host cost stays flat over a long run: `steps` timed steps after the same warm-up as
 *  timeHost, in chunks of chunkSteps (jsBlock's), reported per reportSteps. */
export async function hostFlatness(
  make: () => Promise<Stepper>,
  steps: number,
  reportSteps: number,
  chunkSteps: number,
): Promise<HostFlatness> {
  const s = await make();
  try {
    await warmUp(s);
    await jsBlock(s, chunkSteps);
    const start = performance.now();
    const blocksMs: number[] = [];
    const blocksMeanMs: number[] = [];
    let total = ZERO;
    let chunks: number[] = [];
    let ms = 0;
    let inBlock = 0;
    for (let done = 0; done < steps;) {
      const k = Math.min(chunkSteps, steps - done, reportSteps - inBlock);
      const b = await jsBlock(s, k);
      total = add(total, b.delta);
      chunks.push(b.ms / k);
      ms += b.ms;
      inBlock += k;
      done += k;
      if (inBlock === reportSteps || done === steps) {
        blocksMs.push(median(chunks));
        blocksMeanMs.push(ms / inBlock);
        chunks = [];
        ms = 0;
        inBlock = 0;
      }
    }
    return {
      steps,
      reportSteps,
      chunkSteps,
      blocksMs,
      blocksMeanMs,
      perStep: per(total, steps),
      wallS: (performance.now() - start) / 1000,
    };
  } finally {
    s.destroy();
  }
}
