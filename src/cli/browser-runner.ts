// Node half of the GPU path: serves the job to the runner page (run by page-runner.ts in headless
// Chromium), relays the page's events and collects the trained weights and checkpoints it posts back.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Plugin } from 'vite';
import {
  decodeCheckpoint,
  encodeCheckpoint,
  paramsToSafetensors,
  type AutotuneResult,
  type LoopPosition,
  type MatmulChoice as MatmulOption,
  type Params,
  type SweepProgress,
  type TrainEvent,
  type TrainState,
  type TuneEntry,
} from '../index.ts';
import { runPage } from './page-runner.ts';
import type { RunResult } from './run-job.ts';
import type { Job } from './job.ts';
import type { JobMeta, JobPart, JobSummary, SweepRow } from './protocol.ts';
import { loadTuneEntry, saveTuneEntry, tuneCachePath } from './tune-cache.ts';

function bytesOf(a: Float32Array | Uint8Array | Uint32Array): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

/** Where the page's checkpoints go (how often is the job's own fit.checkpointEvery). */
export interface CheckpointSink {
  readonly write: (c: { position: LoopPosition; params: Params; state: TrainState }) => void;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** The matmul family for the run (--matmul), and where an autotune's result goes. */
export interface MatmulChoice {
  readonly family: MatmulOption;
  readonly onTune: (r: AutotuneResult, line: string) => void;
  /** A sweep's progress after every epoch of every group. */
  readonly onSweepProgress?: (p: SweepProgress) => void;
}

function jobPlugin(
  job: Job,
  matmul: MatmulChoice['family'],
  onResult: (model: Uint8Array, trial?: number) => void,
  checkpoints?: CheckpointSink,
): Plugin {
  const meta: JobMeta = { ...job.meta, matmul };
  const parts: Record<JobPart, Buffer> = {
    'train.x': bytesOf(job.train.x),
    'train.labels': bytesOf(job.train.labels),
    'test.x': bytesOf(job.test.x),
    'test.labels': bytesOf(job.test.labels),
    'dev.x': bytesOf(job.dev.x),
    'dev.labels': bytesOf(job.dev.labels),
    // The starting weights of --init or --resume (empty: the trainer makes them from the seed).
    'init.safetensors': bytesOf(job.params ? paramsToSafetensors(job.meta.spec, job.params) : new Uint8Array(0)),
    // The checkpoint being resumed, for its exact training state (empty when the run starts afresh).
    'resume.safetensors': bytesOf(
      job.meta.resume && job.params
        ? encodeCheckpoint({
            spec: job.meta.spec,
            params: job.params,
            state: job.resumeState ?? {},
            position: job.meta.resume,
            run: {},
          })
        : new Uint8Array(0),
    ),
    'train.y': bytesOf(job.train.y ?? new Float32Array(0)),
    'test.y': bytesOf(job.test.y ?? new Float32Array(0)),
    'dev.y': bytesOf(job.dev.y ?? new Float32Array(0)),
  };
  return {
    name: 'training-job',
    configureServer(server) {
      server.middlewares.use('/__job', (req: IncomingMessage, res: ServerResponse) => {
        const name = (req.url ?? '').replace(/^\//, '');
        const trial = /^trial\/(\d+)$/.exec(name);
        if (req.method === 'POST' && (name === 'result' || name === 'checkpoint' || trial)) {
          readBody(req)
            .then((body) => {
              const bytes = new Uint8Array(body);
              if (trial) onResult(bytes, Number(trial[1]));
              else if (name === 'result') onResult(bytes);
              else checkpoints?.write(decodeCheckpoint(bytes, job.meta.spec, 'checkpoint from the page'));
              res.end('ok');
            })
            .catch((e: unknown) => {
              res.statusCode = 500;
              res.end(e instanceof Error ? e.message : String(e));
            });
          return;
        }
        if (name === 'meta.json') {
          res.setHeader('content-type', 'application/json');
          res.end(JSON.stringify(meta));
          return;
        }
        const body = parts[name as JobPart];
        if (!body) {
          res.statusCode = 404;
          res.end(`no job part ${name}`);
          return;
        }
        res.setHeader('content-type', 'application/octet-stream');
        res.end(body);
      });
    },
  };
}

export async function runInBrowser(
  job: Job,
  emit: (e: TrainEvent) => void,
  checkpoints?: CheckpointSink,
  matmul: MatmulChoice = { family: 'auto', onTune: () => {} },
  browser?: string,
): Promise<RunResult> {
  let model: Uint8Array | undefined;
  const trialModels: Uint8Array[] = [];
  let sweep: { rows: SweepRow[]; seconds: number; adapter: string } | undefined;
  const cache = tuneCachePath();
  try {
    const summary = await runPage<JobSummary | undefined>({
      path: '/src/cli/runner.html',
      ...(browser !== undefined ? { browser } : {}),
      plugin: jobPlugin(
        job,
        matmul.family,
        (m, trial) => (trial === undefined ? (model = m) : (trialModels[trial] = m)),
        checkpoints,
      ),
      // The library's one CommonJS dependency (papaparse, for CSV) pre-bundled at start, and nothing
      // discovered later (a late discovery reloads the page mid-run); in a cache of the runner's own, so
      // the app's and the tests' Vite caches and this one do not replace each other.
      vite: {
        cacheDir: 'node_modules/.vite/cli-runner',
        optimizeDeps: { noDiscovery: true, include: ['papaparse'] },
      },
      expose: (done, fail) => ({
        __jobEvents: (events: TrainEvent[]) => events.forEach(emit),
        __jobDone: (s: JobSummary) => done(s),
        __jobError: (m: string) => fail(new Error(m)),
        __tuneLoad: (adapter: string) => loadTuneEntry(cache, adapter),
        __tuneSave: ({ adapter, entry }: { adapter: string; entry: TuneEntry }) => saveTuneEntry(cache, adapter, entry),
        __jobTune: ({ result, line }: { result: AutotuneResult; line: string }) => matmul.onTune(result, line),
        __jobSweepProgress: (reports: SweepProgress[]) => reports.forEach((p) => matmul.onSweepProgress?.(p)),
        __jobSweepDone: (s: { rows: SweepRow[]; seconds: number; adapter: string }) => {
          sweep = s;
          done(undefined);
        },
      }),
    });
    if (sweep) {
      if (trialModels.length !== sweep.rows.length || trialModels.some((m) => m === undefined))
        throw new Error("the page finished the sweep without posting every trial's model");
      return { sweep: { ...sweep, models: trialModels } };
    }
    if (!summary) throw new Error('the page finished without a summary');
    if (!model) throw new Error('the page finished without posting its model');
    return { summary, model };
  } catch (e) {
    return { error: e instanceof Error ? e.message : String(e), ...(model ? { model } : {}) };
  }
}
