// `--runtime node`: the GPU path without a browser. Dawn becomes this process's navigator.gpu
// (dawn.ts) and the job runs through runJob, the route the runner page takes in Chromium: the same
// library, kernels and plan, with the tune cache read and written here directly.
import type { TuneStore } from '../index.ts';
import type { CheckpointSink, MatmulChoice } from './browser-runner.ts';
import { installDawn } from './dawn.ts';
import { jobData, type Job } from './job.ts';
import { runJob, type RunResult } from './run-job.ts';
import { loadTuneEntry, saveTuneEntry, tuneCachePath } from './tune-cache.ts';
import type { TrainEvent } from '../index.ts';

export async function runInNode(
  job: Job,
  emit: (e: TrainEvent) => void,
  checkpoints?: CheckpointSink,
  matmul: MatmulChoice = { family: 'auto', onTune: () => {} },
): Promise<RunResult> {
  await installDawn();
  const cache = tuneCachePath();
  const tuneStore: TuneStore = {
    load: (adapter) => Promise.resolve(loadTuneEntry(cache, adapter)),
    save: (adapter, entry) => Promise.resolve(saveTuneEntry(cache, adapter, entry)),
  };
  return runJob({ ...job.meta, matmul: matmul.family }, jobData(job), 'gpu', {
    emit,
    ...(checkpoints ? { onCheckpoint: (c) => checkpoints.write(c) } : {}),
    tuneStore,
    onTune: matmul.onTune,
    ...(matmul.onSweepProgress ? { onSweepProgress: matmul.onSweepProgress } : {}),
  });
}
