// The browser half of `npm run train --device gpu`: fetches the job from the local server, trains it
// through the library (runJob: the same route as --device cpu), streams events back in batches through
// functions the CLI exposed, and posts the model file.
import {
  decodeCheckpoint,
  encodeCheckpoint,
  paramsFromSafetensors,
  type SweepProgress,
  type TrainEvent,
  type TuneStore,
} from '../index.ts';
import { batcher } from './batch.ts';
import { JOB_PARTS, type JobMeta, type RunnerHooks } from './protocol.ts';
import { runJob } from './run-job.ts';

const hooks = window as unknown as Window & RunnerHooks;
/** The run's events and a sweep's progress go to the CLI in batches, flushed before the end is told. */
const events = batcher((es: TrainEvent[]) => hooks.__jobEvents(es));
const sweepProgress = batcher((ps: SweepProgress[]) => hooks.__jobSweepProgress(ps));
const flushAll = () => Promise.all([events.flush(), sweepProgress.flush()]);

async function part(name: string): Promise<ArrayBuffer> {
  const res = await fetch(`/__job/${name}`);
  if (!res.ok) throw new Error(`job part ${name}: HTTP ${res.status}`);
  return res.arrayBuffer();
}

/** The CLI keeps the tune cache (this browser profile is fresh every run). */
const tuneStore: TuneStore = {
  load: (adapter) => hooks.__tuneLoad(adapter),
  save: (adapter, entry) => hooks.__tuneSave({ adapter, entry }),
};

async function post(path: string, body: Uint8Array): Promise<void> {
  const res = await fetch(path, { method: 'POST', body: body as Uint8Array<ArrayBuffer> });
  if (!res.ok) throw new Error(`POST ${path}: HTTP ${res.status} ${await res.text()}`);
}

async function main(): Promise<void> {
  const meta = (await (await fetch('/__job/meta.json')).json()) as JobMeta;
  const [tx, tl, vx, vl, dx, dl, init, resumeState, ty, vy, dy] = await Promise.all(JOB_PARTS.map(part));
  const params = init!.byteLength > 0 ? paramsFromSafetensors(new Uint8Array(init!), meta.spec) : undefined;
  const regression = meta.task === 'regression';
  const rows = (x: ArrayBuffer, labels: ArrayBuffer, y: ArrayBuffer) =>
    regression
      ? { x: new Float32Array(x), y: new Float32Array(y) }
      : { x: new Float32Array(x), labels: new Uint32Array(labels) };
  const result = await runJob(
    meta,
    {
      // The training rows with their names, as labeled() gives them: the trainer keeps them in the model.
      train: { ...rows(tx!, tl!, ty!), ...meta.names },
      test: rows(vx!, vl!, vy!),
      dev: rows(dx!, dl!, dy!),
      ...(params ? { params } : {}),
      // The exact training state of the checkpoint being resumed (step count, optimizer moments).
      ...(meta.resume
        ? { resumeState: decodeCheckpoint(new Uint8Array(resumeState!), meta.spec, 'the resumed checkpoint').state }
        : {}),
    },
    'gpu',
    {
      // The start line at once (the CLI prints the path taken before the first step); the rest batched.
      emit: (e) => events.push(e, e.type === 'start'),
      onCheckpoint: async (c) => {
        if (meta.postCheckpoints) await post('/__job/checkpoint', encodeCheckpoint({ spec: meta.spec, ...c, run: {} }));
      },
      tuneStore,
      onTune: (result, line) => void hooks.__jobTune({ result, line }),
      onSweepProgress: (p) => sweepProgress.push(p),
    },
  );
  await flushAll();
  if (result.sweep) {
    const { rows, models, seconds, adapter } = result.sweep;
    for (let i = 0; i < models.length; i++) await post(`/__job/trial/${i}`, models[i]!);
    await hooks.__jobSweepDone({ rows, seconds, adapter });
    return;
  }
  if (result.model) await post('/__job/result', result.model);
  if (result.error) throw new Error(result.error);
  await hooks.__jobDone(result.summary!);
}

// The first line is the message the CLI prints; the stack follows for DEBUG=1.
main().catch(async (e: unknown) => {
  await flushAll().catch(() => {});
  await hooks.__jobError(e instanceof Error ? `${e.message}\n${e.stack ?? ''}` : String(e));
});
