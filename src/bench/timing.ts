// One timing discipline for every engine: set-up and the first step are timed apart (pipeline and
// shader compilation land there), then blocks of K steps are enqueued back to back and synchronised
// once at the end of each block; the per-step figure is the median over blocks of (block time / K).
import type { HostCounts } from '../gpu/counters.ts';

export interface Stepper {
  /** Enqueues one training step (may run it synchronously, as the CPU engines do). */
  step(): void;
  /** Resolves when every enqueued step has finished. */
  sync(): Promise<void>;
  destroy(): void;
  /** Our WebGPU engine only: what its plan has asked of the API so far (host-cost.ts). */
  counters?(): HostCounts;
}

export interface Timed {
  readonly setupMs: number;
  readonly firstStepMs: number;
  readonly msPerStep: number;
  readonly blocksMs: number[];
  readonly stepsPerBlock: number;
  /** True when the first step alone passed maxStepMs: msPerStep is then that step (compilation
   *  included), an upper bound on the steady state, and no block was timed. */
  readonly firstStepOnly: boolean;
}

export interface TimingOptions {
  /** Steps per block; default: as many as fit in blockMs (at least 1). */
  readonly steps?: number;
  readonly blockMs: number;
  readonly repeats: number;
  /** A first step slower than this ends the measurement there (keeps the whole run in budget). */
  readonly maxStepMs: number;
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Median over `samples` of run(n) (per-item time of n repetitions), n chosen after one warm-up run so
 *  a sample takes about targetMs; anything slower than a second gets a single sample. */
export async function sampleMedian(
  run: (n: number) => Promise<number>,
  samples: number,
  targetMs: number,
): Promise<{ ms: number; repeats: number }> {
  const warm = await run(1);
  const k = warm > 1000 ? 1 : samples;
  const n = Math.max(1, Math.min(200, Math.round(targetMs / Math.max(warm, 1e-3))));
  const times: number[] = [];
  for (let i = 0; i < k; i++) times.push(await run(n));
  return { ms: median(times), repeats: k * n };
}

/** A step slower than this is timed once after the warm-up step: more would blow the time budget. */
const SLOW_STEP_MS = 8000;

/** Wall time per step of k steps enqueued back to back and synchronised once at the end. */
async function block(s: Stepper, k: number): Promise<number> {
  const t = performance.now();
  for (let i = 0; i < k; i++) s.step();
  await s.sync();
  return (performance.now() - t) / k;
}

/** Steps per block: opts.steps, else as many as fit in blockMs at the estimated step time (1..1000). */
const blockSize = (opts: TimingOptions, estimate: number): number =>
  opts.steps ?? Math.max(1, Math.min(1000, Math.round(opts.blockMs / Math.max(estimate, 1e-3))));

/** A stepper made and timed apart: set-up, then its first step (where compilation lands). */
async function makeTimed(make: () => Promise<Stepper>): Promise<{ s: Stepper; setupMs: number; firstStepMs: number }> {
  const t = performance.now();
  const s = await make();
  const setupMs = performance.now() - t;
  try {
    return { s, setupMs, firstStepMs: await block(s, 1) };
  } catch (e) {
    s.destroy();
    throw e;
  }
}

export async function timeSteps(make: () => Promise<Stepper>, opts: TimingOptions): Promise<Timed> {
  const { s, setupMs, firstStepMs } = await makeTimed(make);
  try {
    if (firstStepMs > opts.maxStepMs)
      return { setupMs, firstStepMs, msPerStep: firstStepMs, blocksMs: [], stepsPerBlock: 0, firstStepOnly: true };
    // A second warm step: the first may still include lazy compilation.
    const estimate = firstStepMs < SLOW_STEP_MS ? await block(s, 1) : firstStepMs;
    const k = blockSize(opts, estimate);
    const repeats = estimate >= SLOW_STEP_MS ? 1 : opts.repeats;
    const blocksMs: number[] = [];
    for (let r = 0; r < repeats; r++) blocksMs.push(await block(s, k));
    return { setupMs, firstStepMs, msPerStep: median(blocksMs), blocksMs, stepsPerBlock: k, firstStepOnly: false };
  } finally {
    s.destroy();
  }
}

/** Several variants of one engine timed in turns: each round times one block of every variant, so
 *  a load that drifts (other processes on the machine) hits them alike; blocksMs[r] of every result
 *  come from the same round r, so per-round ratios between variants can be taken. Same warm-up and
 *  block size rule as timeSteps (the block size from the fastest warm step, shared by all), no first-step cut-off. */
export async function timeInterleaved(
  makes: readonly (() => Promise<Stepper>)[],
  opts: TimingOptions,
): Promise<Timed[]> {
  const made: { s: Stepper; setupMs: number; firstStepMs: number; blocksMs: number[] }[] = [];
  try {
    let estimate = Infinity;
    for (const make of makes) {
      made.push({ ...(await makeTimed(make)), blocksMs: [] });
      estimate = Math.min(estimate, await block(made[made.length - 1]!.s, 1));
    }
    const k = blockSize(opts, estimate);
    for (let r = 0; r < opts.repeats; r++) for (const m of made) m.blocksMs.push(await block(m.s, k));
    return made.map((m) => ({
      setupMs: m.setupMs,
      firstStepMs: m.firstStepMs,
      msPerStep: median(m.blocksMs),
      blocksMs: m.blocksMs,
      stepsPerBlock: k,
      firstStepOnly: false,
    }));
  } finally {
    for (const m of made) m.s.destroy();
  }
}

/** Lets the page's event loop run (and the command's log lines through) between long measurements. */
export const yieldToEventLoop = () => new Promise<void>((r) => setTimeout(r, 0));
