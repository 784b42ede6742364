// What the command line and the page it drives exchange over the local job server.
import type { AutotuneResult, TuneEntry } from '../gpu/autotune.ts';
import type { MatmulFamily } from '../gpu/kernels.ts';
import type { ModelSpec } from '../model.ts';
import type { TrainConfig } from '../train/backend.ts';
import type { LoopOptions, Summary, TrainEvent } from '../train/loop.ts';
import type { LoopPosition } from '../train/checkpoint.ts';

export interface JobMeta {
  readonly spec: ModelSpec;
  readonly loop: LoopOptions;
  readonly maxBatch: number;
  readonly trainRows: number;
  readonly testRows: number;
  readonly resume?: LoopPosition;
  /** Post a checkpoint to /__job/checkpoint every this many steps (0: none). */
  readonly checkpointEvery: number;
  readonly devRows: number;
  readonly config: Partial<TrainConfig>;
  /** Training steps per submit (absent: the plan's default for the adapter). */
  readonly stepsPerSubmit?: number;
  /** --matmul: a family, or 'auto' (autotuned, cached through the __tune* hooks). */
  readonly matmul: MatmulFamily | 'auto';
}

/** Binary parts of a job, served at /__job/<name>. */
export const JOB_PARTS = ['train.x', 'train.y', 'test.x', 'test.y', 'dev.x', 'dev.y', 'init.safetensors', 'resume.safetensors'] as const;
export type JobPart = (typeof JOB_PARTS)[number];

/** Functions the CLI exposes on the page's window (Playwright exposeFunction). */
export interface RunnerHooks {
  __jobEvent(e: TrainEvent): Promise<void>;
  __jobDone(summary: Summary): Promise<void>;
  __jobError(message: string): Promise<void>;
  /** The CLI's cached tune entry for an adapter (anything; the page validates it). */
  __tuneLoad(adapter: string): Promise<unknown>;
  __tuneSave(arg: { adapter: string; entry: TuneEntry }): Promise<void>;
  /** The tune the run uses and its log line (describeTune; the CLI cannot load the kernel registry). */
  __jobTune(arg: { result: AutotuneResult; line: string }): Promise<void>;
}
