// A job run through the library, the same code for `--device cpu` (in Node) and `--device gpu` (in the
// runner page): make the trainer, fit, and hand back the model file — after a divergence the one with
// the last good weights.
import {
  createTrainer,
  DivergenceError,
  GpuFailureError,
  encodeModel,
  trialInfo,
  type AutotuneResult,
  type FitCheckpoint,
  type LabeledData,
  type Params,
  type SweepProgress,
  type TrainEvent,
  type TrainState,
  type TuneStore,
} from '../index.ts';
import type { JobMeta, JobSummary, SweepRow } from './protocol.ts';

export interface JobData {
  readonly train: LabeledData;
  readonly test: LabeledData;
  readonly dev: LabeledData;
  /** Starting weights (--init, --resume); absent: the trainer's init from the seed. */
  readonly params?: Params;
  readonly resumeState?: TrainState;
}

export interface JobHooks {
  readonly emit: (e: TrainEvent) => void;
  readonly onCheckpoint?: (c: FitCheckpoint) => Promise<void> | void;
  readonly tuneStore?: TuneStore;
  readonly onTune?: (r: AutotuneResult, line: string) => void;
  readonly onSweepProgress?: (p: SweepProgress) => void;
}

/** The outcome of a run: a summary when it finished, an error when it did not, and the model file it
 *  ended with whenever there is one. */
export interface RunResult {
  readonly summary?: JobSummary;
  readonly error?: string;
  readonly model?: Uint8Array;
  /** A sweep's trials in trial order, each with its model file; the adapter and the seconds it took. */
  readonly sweep?: {
    readonly rows: SweepRow[];
    readonly models: Uint8Array[];
    readonly seconds: number;
    readonly adapter: string;
  };
}

export async function runJob(meta: JobMeta, data: JobData, device: 'gpu' | 'cpu', hooks: JobHooks): Promise<RunResult> {
  // A sweep's trials start from their own seeds' init unless the job's weights are to be every trial's.
  const start = (meta.sweep && !meta.sweep.sameStart) || !data.params ? {} : { params: data.params };
  const trainer = await createTrainer({
    spec: meta.spec,
    ...start,
    seed: meta.seed,
    normalize: meta.normalize,
    ...(meta.normalizeTarget ? { normalizeTarget: true } : {}),
    task: meta.task,
    info: meta.info,
    optimizer: meta.optimizer,
    beta1: meta.beta1,
    beta2: meta.beta2,
    l2: meta.l2,
    keepProb: meta.keepProb,
    device,
    matmul: meta.matmul,
    plan: meta.plan,
    ...(meta.stepsPerSubmit !== undefined ? { stepsPerSubmit: meta.stepsPerSubmit } : {}),
    ...(meta.gpuDataBudget !== undefined ? { gpuDataBudget: meta.gpuDataBudget } : {}),
    ...(hooks.tuneStore ? { tuneStore: hooks.tuneStore } : {}),
    ...(hooks.onTune ? { onTune: hooks.onTune } : {}),
  });
  try {
    if (meta.sweep) {
      const t0 = performance.now();
      const results = await trainer.fitSweep(data.train, meta.sweep.trials, {
        epochs: meta.fit.epochs,
        batchSize: meta.fit.batchSize,
        ...(meta.fit.shuffle !== undefined ? { shuffle: meta.fit.shuffle } : {}),
        ...(meta.fit.lrDecay ? { lrDecay: meta.fit.lrDecay } : {}),
        dev: data.dev,
        ...(meta.rows.test > 0 ? { test: data.test } : {}),
        sequential: meta.sweep.sequential,
        ...(hooks.onSweepProgress ? { onProgress: hooks.onSweepProgress } : {}),
      });
      const seconds = (performance.now() - t0) / 1000;
      // Each trial's file records its own hyperparameters (the data's seed stays the run's: predict
      // --split rebuilds the same rows from it; the trial's seed is initSeed).
      const models = results.map((r) =>
        encodeModel({ spec: meta.spec, params: r.params, info: trialInfo(trainer.info, r.trial) }),
      );
      const rows = results.map(({ params: _params, ...row }) => row);
      return { sweep: { rows, models, seconds, adapter: trainer.adapter } };
    }
    const summary = await trainer.fit(data.train, {
      ...meta.fit,
      ...(meta.rows.test > 0 ? { test: data.test } : {}),
      ...(meta.rows.dev > 0 ? { dev: data.dev } : {}),
      onEvent: hooks.emit,
      ...(hooks.onCheckpoint ? { onCheckpoint: hooks.onCheckpoint } : {}),
      ...(meta.resume && data.params
        ? { resume: { position: meta.resume, params: data.params, state: data.resumeState ?? {} } }
        : {}),
    });
    // The loop's summary has loss and accuracy (regression: pooled over the targets); a classifier's class
    // metrics, and each of several targets' figures in its units, come from evaluate.
    const rows = meta.rows.test > 0 ? data.test : data.train;
    const several = trainer.regression && meta.spec.sizes.at(-1)! > 1;
    const e = !trainer.regression || several ? await trainer.evaluate(rows) : undefined;
    const more = {
      ...(e?.classification ? { classification: e.classification } : {}),
      ...(several && e?.targets ? { targets: e.targets } : {}),
    };
    return { summary: { ...summary, ...more }, model: await trainer.save() };
  } catch (e) {
    // Diverged, or GPU work rejected: the trainer holds the last good weights, which are still saved.
    if (!(e instanceof DivergenceError || e instanceof GpuFailureError)) throw e;
    return { error: e.message, model: await trainer.save() };
  } finally {
    trainer.destroy();
  }
}
