// What the bench command and its page exchange: the request served at /__bench/request.json, and the
// results the page hands back through functions the command exposed (Playwright exposeFunction).
import type { AutotuneResult, HostCounts, MatmulFamily } from '../index.ts';
import type { BenchConfig } from './configs.ts';

/** 'tfjs-wasm-plain': the plainest hand-written TF.js step on WASM (tfjs-plain.ts), the yardstick for 'tfjs-wasm'.
 *  'webgpu-fused': our fused step (src/gpu/fused.ts, whole steps in one dispatch), on 'small' configurations only. */
export type Engine = 'webgpu' | 'webgpu-fused' | 'cpu-reference' | 'tfjs-webgpu' | 'tfjs-wasm' | 'tfjs-wasm-plain';
export const ENGINES: readonly Engine[] = [
  'webgpu',
  'webgpu-fused',
  'tfjs-webgpu',
  'tfjs-wasm',
  'tfjs-wasm-plain',
  'cpu-reference',
];

export interface BenchRequest {
  readonly configs: readonly BenchConfig[];
  /** Engines to time on 'issue' configurations (sweeps time webgpu and cpu-reference only). */
  readonly engines: readonly Engine[];
  /** Timed steps per block when set (else as many as fit in blockMs). */
  readonly steps?: number;
  /** Target wall time of one timed block. */
  readonly blockMs: number;
  /** Timed blocks per measurement; the median is reported. */
  readonly repeats: number;
  /** An engine whose first step takes longer than this is reported from that step alone. */
  readonly maxStepMs: number;
  /** Square matmul sizes timed kernel by kernel (1024 is the headline). */
  readonly matmulSizes: readonly number[];
  /** Time every matmul of each issue configuration on its own (timestamp-query where available). */
  readonly kernels: boolean;
  /** Matmul family for our training steps and per-layer kernels (absent: the autotune's choice). */
  readonly family?: MatmulFamily;
  /** Also time the WebGPU plan of every configuration at each of these steps per submit. */
  readonly stepsPerSubmit?: readonly number[];
  /** Measure the host cost of our WebGPU step on each 'issue' configuration (host-cost.ts). */
  readonly hostCost?: HostCostRequest;
}

export interface HostCostRequest {
  /** Timed blocks per configuration (median reported). */
  readonly blocks: number;
  /** Steps per block at most (fewer where a step's wall time makes the block longer than blockMs). */
  readonly blockSteps: number;
  /** Wall time (GPU included) a block may take. */
  readonly blockMs: number;
  /** Also: this many steps of the first configuration, JS time reported per 1,000 steps. */
  readonly flatSteps?: number;
}

/** Host cost of our WebGPU step on one configuration: JS time of step() and API calls per step. */
export interface HostCostResult {
  readonly config: string;
  /** 'webgpu-fused' for the fused step's host cost (small configurations); absent: the layered plan. */
  readonly engine?: 'webgpu-fused';
  readonly sizes: readonly number[];
  readonly batch: number;
  readonly adapter: string;
  readonly stepsPerSubmit: number;
  /** Median over the timed blocks of the JS time per step (GPU work drained between blocks, untimed). */
  readonly jsMsPerStep: number;
  /** All timed steps' JS time over their number (GC pauses and any other load amortised in). */
  readonly meanMsPerStep: number;
  readonly blocksMs: readonly number[];
  readonly stepsPerBlock: number;
  /** Median JS time of the first step after each drain, which runs untimed (host-cost.ts says why). */
  readonly firstAfterDrainMs: number;
  /** Wall time of one warm step to onSubmittedWorkDone, GPU included (sized the blocks). */
  readonly stepWallMs: number;
  /** Dispatches, bind-group sets, buffer writes and submits per step. */
  readonly perStep: HostCounts;
}

/** The host cost over a long run of one configuration, per block of reportSteps steps. */
export interface HostFlatResult {
  readonly config: string;
  readonly steps: number;
  readonly reportSteps: number;
  /** Steps per timed chunk (the queue drained between chunks, untimed). */
  readonly chunkSteps: number;
  /** Per block: the median over its chunks of the JS ms per step. */
  readonly blocksMs: readonly number[];
  /** Per block: its chunks' JS time summed over its steps, in ms per step. */
  readonly blocksMeanMs: readonly number[];
  readonly perStep: HostCounts;
  readonly wallS: number;
}

/** One engine on one configuration. */
export interface StepResult {
  readonly config: string;
  readonly group: BenchConfig['group'];
  readonly sizes: readonly number[];
  readonly batch: number;
  readonly engine: Engine;
  /** Adapter or runtime the engine ran on. */
  readonly adapter: string;
  /** Set-up before the first step: pipeline compilation and buffers (webgpu), variable creation (tfjs). */
  readonly setupMs: number;
  /** The first step, timed alone (shader compilation that happens at first use lands here). */
  readonly firstStepMs: number;
  /** Median over the timed blocks of (block time / steps in the block), after warm-up. */
  readonly msPerStep: number;
  /** Every block's per-step time, for the spread. */
  readonly blocksMs: readonly number[];
  readonly stepsPerBlock: number;
  /** No steady-state block was timed: msPerStep is the first step (see timing.ts). */
  readonly firstStepOnly: boolean;
  readonly samplesPerSecond: number;
  readonly gflops: number;
  readonly flopsPerStep: number;
  /** WebGPU only: training steps per command buffer submit. */
  readonly stepsPerSubmit?: number;
}

export interface KernelResult {
  /** What was timed: 'matmul 1024³' or a layer's product inside a configuration. */
  readonly label: string;
  readonly config?: string;
  readonly engine: Engine;
  /** Kernel entry point (ours) or op (tfjs). */
  readonly kernel: string;
  readonly M: number;
  readonly N: number;
  readonly K: number;
  readonly ms: number;
  readonly gflops: number;
  /** 'timestamp-query' (GPU time of the passes) or 'wall' (submit to onSubmittedWorkDone / data()). */
  readonly timer: 'timestamp-query' | 'wall';
  readonly repeats: number;
}

export interface BenchResults {
  readonly date: string;
  readonly adapter: string;
  readonly features: readonly string[];
  readonly userAgent: string;
  readonly hardwareConcurrency: number;
  /** The page was cross-origin isolated (COOP + COEP headers): SharedArrayBuffer, so TF.js WASM may use threads. */
  readonly crossOriginIsolated: boolean;
  /** wasmThreads: TF.js found WASM threads usable (its threaded SIMD build); wasmThreadsCount: XNNPACK's pool size. */
  readonly tfjs: {
    readonly version: string;
    readonly wasmSimd: boolean | null;
    readonly wasmThreads: boolean | null;
    readonly wasmThreadsCount: number | null;
  };
  /** What the autotune measured and chose. */
  readonly autotune: AutotuneResult;
  /** The matmul family our WebGPU engine used: the autotune's choice unless --family forced one. */
  readonly family: MatmulFamily;
  readonly steps: StepResult[];
  readonly kernels: KernelResult[];
  /** The WebGPU plan at each requested steps per submit (empty unless asked for). */
  readonly submitSweep: StepResult[];
  /** Host cost of our step per configuration (empty unless asked for). */
  readonly hostCost: HostCostResult[];
  /** The long-run host cost check (--host-steps). */
  readonly hostFlat?: HostFlatResult;
  readonly notes: string[];
}

/** Functions the command exposes on the page's window. */
export interface BenchHooks {
  __benchLog(line: string): Promise<void>;
  __benchDone(results: BenchResults): Promise<void>;
  __benchError(message: string): Promise<void>;
}
