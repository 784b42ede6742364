// `npm run train`: train an MLP on WebGPU (headless Chromium) or on the CPU reference, print progress
// and the final accuracy, optionally save the weights. Exit codes: 0 ok, 1 failure, 2 bad arguments.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  compactNumber,
  decodeModel,
  describePath,
  encodeCheckpoint,
  expandTrials,
  formatSweepTable,
  modelToOnnx,
  rankTrials,
  sweepShape,
  type FitCheckpoint,
  type SweepProgress,
  type TrainEvent,
} from '../index.ts';
import { failed, run, writeAtomic } from './common.ts';
import { formatClassification } from './class-report.ts';
import { formatTargets } from './target-report.ts';
import { runJob, type RunResult } from './run-job.ts';
import { parseTrainArgs, TRAIN_USAGE, type TrainOptions } from './args.ts';
import { buildJob, jobData, type Job } from './job.ts';
import { writePytorchDir } from './pytorch-dir.ts';

const pct = (x: number | null) => (x === null ? 'n/a' : `${(100 * x).toFixed(2)}%`);
const num = (x: number | null) => (x === null ? 'n/a' : x.toFixed(4));
type Figures = { rmse?: number | undefined; mae?: number | undefined; r2?: number | undefined };

/** How the events' RMSE and MAE are to be read: '' for one target (its units); with several, pooled
 *  over them, and of the standardised values with --normalize-target (evaluate gives each target's). */
function pooledLabel(job: Job): string {
  if (job.meta.task !== 'regression' || job.meta.spec.sizes.at(-1)! < 2) return '';
  return job.meta.normalizeTarget ? '(pooled, standardised) ' : '(pooled) ';
}

function printer(json: boolean, pooled = ''): (e: TrainEvent) => void {
  if (json) return (e) => process.stdout.write(JSON.stringify(e) + '\n');
  /** RMSE, MAE and R² of a regression run, or '' when there are none. */
  const metrics = (m: Figures) =>
    m.rmse === undefined
      ? ''
      : `${pooled}RMSE ${m.rmse.toPrecision(4)}  MAE ${(m.mae ?? NaN).toPrecision(4)}  R² ${(m.r2 ?? NaN).toFixed(4)}`;
  return (e) => {
    switch (e.type) {
      case 'start':
        console.log(
          `device ${e.device} (${e.adapter}): ${e.trainRows} train / ${e.testRows} test rows, batch ${e.batchSize}, ${e.totalSteps} steps` +
            (e.plan ? `, plan ${describePath(e.plan)}` : ''),
        );
        if (e.software) console.log(`warning: ${e.software} (see also --browser and --runtime node)`);
        break;
      case 'progress':
        console.log(
          `  epoch ${e.epoch} step ${e.step}/${e.totalSteps}  loss ${e.loss.toFixed(4)}  ${e.rmse !== undefined ? metrics(e) : `acc ${pct(e.accuracy)}`}  ${e.stepsPerSecond.toFixed(1)} steps/s`,
        );
        break;
      case 'epoch':
        console.log(
          `epoch ${e.epoch}/${e.epochs} done at ${e.seconds.toFixed(1)} s: test loss ${num(e.testLoss)}  ` +
            (e.testRmse !== undefined
              ? `test ${metrics({ rmse: e.testRmse, mae: e.testMae, r2: e.testR2 })}`
              : `test acc ${pct(e.testAccuracy)}`) +
            (e.devLoss !== undefined ? `  dev loss ${num(e.devLoss)}  dev acc ${pct(e.devAccuracy ?? null)}` : '') +
            (e.lr !== undefined ? `  lr ${e.lr.toPrecision(3)}` : ''),
        );
        break;
      case 'checkpoint':
        break;
      case 'memory':
        console.log(
          `GPU memory: ${(e.bytes / 2 ** 20).toFixed(1)} MiB in ${e.buffers} buffers (largest ${e.largest.name}, ${(e.largest.bytes / 2 ** 20).toFixed(1)} MiB); data ` +
            (e.data.mode === 'resident'
              ? 'resident'
              : `streamed in shards of ${e.data.shardRows} rows (${e.data.shards} an epoch, double-buffered)`),
        );
        break;
      case 'recovered':
        console.log(`${e.reason}; continuing from the checkpoint at step ${e.fromStep}`);
        break;
      case 'summary':
        if (e.trainRmse !== undefined) {
          console.log(
            `final: train loss ${num(e.loss)} ${metrics({ rmse: e.trainRmse, mae: e.trainMae, r2: e.trainR2 })} | test loss ${num(e.testLoss)}` +
              (e.testRmse !== undefined ? ` ${metrics({ rmse: e.testRmse, mae: e.testMae, r2: e.testR2 })}` : '') +
              ` | ` +
              `${e.steps} steps in ${e.seconds.toFixed(1)} s (${e.stepsPerSecond.toFixed(1)} steps/s, ${e.samplesPerSecond.toFixed(0)} samples/s) on ${e.device} (${e.adapter})`,
          );
        } else
          console.log(
            `final: train loss ${num(e.loss)} acc ${pct(e.trainAccuracy)} | test loss ${num(e.testLoss)} acc ${pct(e.testAccuracy)} | ` +
              `${e.steps} steps in ${e.seconds.toFixed(1)} s (${e.stepsPerSecond.toFixed(1)} steps/s, ${e.samplesPerSecond.toFixed(0)} samples/s) on ${e.device} (${e.adapter})`,
          );
        if (e.bestEpoch !== undefined)
          console.log(
            `dev: lowest loss ${num(e.bestDevLoss ?? null)} at epoch ${e.bestEpoch}${e.stoppedEarly ? `; stopped early after epoch ${e.epochs}` : ''}`,
          );
        break;
    }
  };
}

/** Writes the checkpoint file atomically (write then rename). */
export function writeCheckpoint(opts: TrainOptions, job: Job, c: FitCheckpoint): void {
  if (!opts.checkpoint) return;
  writeAtomic(
    opts.checkpoint,
    encodeCheckpoint({ spec: job.meta.spec, params: c.params, state: c.state, position: c.position, run: job.run }),
  );
}

/** The GPU route --runtime names, loaded only when needed: Vite and Playwright for the browser, Dawn for Node. */
async function gpuRunner(opts: TrainOptions): Promise<typeof import('./node-runner.ts').runInNode> {
  if (opts.runtime === 'node') return (await import('./node-runner.ts')).runInNode;
  const { runInBrowser } = await import('./browser-runner.ts');
  return (job, emit, checkpoints, matmul) => runInBrowser(job, emit, checkpoints, matmul, opts.browser);
}

async function train(opts: TrainOptions, job: Job, emit: (e: TrainEvent) => void): Promise<RunResult> {
  const onCheckpoint = opts.checkpoint ? (c: FitCheckpoint) => writeCheckpoint(opts, job, c) : undefined;
  if (opts.device === 'cpu') {
    return runJob(job.meta, jobData(job), 'cpu', { emit, ...(onCheckpoint ? { onCheckpoint } : {}) });
  }
  if (opts.matmul !== 'auto' && opts.matmul !== 'tune' && !opts.json)
    console.log(`matmul ${opts.matmul} (--matmul; no autotune)`);
  return (await gpuRunner(opts))(job, emit, onCheckpoint ? { write: onCheckpoint } : undefined, {
    family: opts.matmul,
    onTune: (r, line) =>
      opts.json ? process.stdout.write(JSON.stringify({ type: 'autotune', ...r }) + '\n') : console.log(line),
  });
}

async function main(argv: string[]): Promise<number> {
  let opts: TrainOptions;
  try {
    opts = parseTrainArgs(argv);
  } catch (e) {
    console.error(`error: ${e instanceof Error ? e.message : String(e)}\n(see npm run train -- --help)`);
    return 2;
  }
  if (opts.help) {
    console.log(TRAIN_USAGE);
    return 0;
  }
  if (opts.sweep) {
    try {
      return await sweep(opts);
    } catch (e) {
      return failed(e);
    }
  }
  try {
    const job = buildJob(opts);
    const print = printer(opts.json, pooledLabel(job));
    // With --json the summary line waits for the run's end, to carry a classifier's metrics (or each
    // target's).
    let held: TrainEvent | undefined;
    const emit = (e: TrainEvent) => (opts.json && e.type === 'summary' ? (held = e) : print(e));
    if (opts.data.kind === 'csv') {
      // What was read, once: the task and why, and the class numbering or the targets.
      const { classNames, targetNames } = job.meta.names;
      if (opts.json)
        process.stdout.write(
          JSON.stringify({
            type: 'data',
            task: job.meta.task,
            reason: job.taskReason,
            ...(classNames ? { classNames } : {}),
            ...(targetNames ? { targetNames } : {}),
          }) + '\n',
        );
      else {
        console.log(`task: ${job.meta.task} (${job.taskReason})`);
        if (classNames) console.log(`classes: ${classNames.map((c, i) => `${c}=${i}`).join(', ')}`);
        if (targetNames)
          console.log(
            `targets: ${targetNames.join(', ')}` +
              (targetNames.length > 1
                ? ` (${opts.normalizeTarget ? 'standardised for training; ' : ''}RMSE and MAE pooled over them while training, each in its units at the end)`
                : opts.normalizeTarget
                  ? ' (standardised for training; metrics in their units)'
                  : ''),
          );
      }
    }
    if (!opts.json) {
      console.log(
        `model [${job.meta.spec.sizes.join(',')}] ${job.meta.spec.activation} hidden${job.meta.spec.batchNorm ? ' with batch norm' : ''}, ${{ bce: 'sigmoid + BCE', ce: 'softmax + CE', mse: 'linear + MSE' }[job.meta.spec.loss]} output, on ${job.dataName}; ` +
          `${job.meta.fit.epochs} epochs, lr ${job.meta.fit.lr}, seed ${job.meta.seed}` +
          (opts.optimizer !== 'sgd' ? `, ${opts.optimizer}` : '') +
          (opts.l2 > 0 ? `, L2 ${opts.l2}` : '') +
          (opts.keepProb < 1 ? `, keep-prob ${opts.keepProb}` : '') +
          (job.dev.n > 0 ? `, ${job.dev.n} dev rows` : ''),
      );
      for (const note of job.notes) console.log(`data: ${note}`);
    }
    const { model, error, summary } = await train(opts, job, emit);
    if (opts.json && (summary ?? held)) process.stdout.write(JSON.stringify(summary ?? held) + '\n');
    const rowsName = job.meta.rows.test > 0 ? 'test' : 'train';
    if (!opts.json && summary?.classification)
      for (const line of formatClassification(summary.classification, rowsName, job.meta.names.classNames))
        console.log(line);
    if (!opts.json && summary?.targets) for (const line of formatTargets(summary.targets, rowsName)) console.log(line);
    if (opts.save && model) {
      writeAtomic(opts.save, model);
      if (!opts.json) console.log(`saved ${error ? 'the last good ' : ''}weights to ${opts.save}`);
    }
    if (opts.exportOnnx && model) {
      writeAtomic(opts.exportOnnx, modelToOnnx(decodeModel(model, 'the trained model')));
      if (!opts.json)
        console.log(`exported ${error ? 'the last good weights' : 'the model'} as ONNX to ${opts.exportOnnx}`);
    }
    if (opts.exportPytorch && model) {
      writePytorchDir(opts.exportPytorch, decodeModel(model, 'the trained model'), opts.epochs);
      if (!opts.json)
        console.log(
          `exported ${error ? 'the last good weights' : 'the model'} and this run as PyTorch code to ${opts.exportPytorch} (see its README.md)`,
        );
    }
    if (error) throw new Error(error);
    return 0;
  } catch (e) {
    return failed(e);
  }
}

/** --sweep: every trial trained (side by side on the GPU, in groups), the ranked table printed, the
 *  best trial's model saved (--save, --export-onnx) and, with --save-all, every trial's. */
async function sweep(opts: TrainOptions): Promise<number> {
  const spec = opts.sweep!;
  const job0 = buildJob(opts);
  const base = {
    lr: opts.lr,
    l2: opts.l2,
    keepProb: opts.keepProb,
    beta1: opts.beta1,
    beta2: opts.beta2,
    seed: opts.initSeed ?? opts.seed,
  };
  const trials = expandTrials(spec, { trials: opts.trials, seed: opts.seed, base });
  const shape = sweepShape(spec, opts.trials);
  // Each trial starts from its own seed's init, unless --init gives every trial the same weights.
  const job: Job = {
    ...job0,
    meta: { ...job0.meta, sweep: { trials, sequential: opts.sweepSequential, sameStart: opts.init !== undefined } },
  };
  const epochs = job.meta.fit.epochs;
  if (!opts.json) {
    console.log(
      `sweep: ${trials.length} trials (${shape.search === 'random' ? 'random search' : shape.search === 'grid' ? 'grid' : 'points of the grid'}: ${spec.axes.map((a) => a.text).join(', ')}) ` +
        `of [${job.meta.spec.sizes.join(',')}] on ${job.dataName}, ${epochs} epochs, batch ${job.meta.fit.batchSize}, ${opts.optimizer}; ` +
        `ranked by the loss on ${job.dev.n} dev rows; ${opts.sweepSequential ? 'one after another (--sweep-sequential)' : 'side by side'}`,
    );
    for (const note of job.notes) console.log(`data: ${note}`);
  }
  // Progress: about ten lines a group (every epoch with --json).
  const every = Math.max(1, Math.round(epochs / 10));
  const onSweepProgress = (p: SweepProgress) => {
    if (opts.json) {
      process.stdout.write(JSON.stringify({ type: 'sweep-progress', ...p }) + '\n');
      return;
    }
    if (p.epoch % every !== 0 && p.epoch !== p.epochs) return;
    const finite = p.devLoss.map((l, i) => [l, i] as const).filter(([l]) => Number.isFinite(l));
    const best = finite.reduce<readonly [number, number] | undefined>(
      (b, x) => (b === undefined || x[0] < b[0] ? x : b),
      undefined,
    );
    const diverged = p.trainLoss.filter((l) => !Number.isFinite(l)).length;
    console.log(
      `  group ${p.group + 1}/${p.groups} (trials ${p.first}..${p.first + p.trainLoss.length - 1}) epoch ${p.epoch}/${p.epochs}: ` +
        (best ? `best dev loss ${best[0].toFixed(4)} (trial ${p.first + best[1]})` : 'no finite dev loss') +
        (diverged > 0 ? `, ${diverged} diverged` : '') +
        `  ${p.seconds.toFixed(1)} s`,
    );
  };
  const emit = printer(opts.json, pooledLabel(job));
  let result: RunResult;
  if (opts.device === 'cpu') {
    result = await runJob(
      job.meta,
      jobData(job), // a sweep has no resume state: --resume is refused with --sweep
      'cpu',
      {
        emit,
        onSweepProgress,
      },
    );
  } else {
    result = await (
      await gpuRunner(opts)
    )(job, emit, undefined, {
      family: opts.matmul,
      onSweepProgress,
      onTune: (r, line) =>
        opts.json ? process.stdout.write(JSON.stringify({ type: 'autotune', ...r }) + '\n') : console.log(line),
    });
  }
  if (result.error) throw new Error(result.error);
  const s = result.sweep;
  if (!s) throw new Error('the sweep ended without results');
  const ranked = rankTrials(s.rows);
  const modelOf = (index: number) => s.models[s.rows.findIndex((r) => r.trial.index === index)]!;
  if (opts.json) {
    for (const r of ranked)
      process.stdout.write(
        JSON.stringify({
          type: 'trial',
          rank: r.rank,
          index: r.trial.index,
          ...r.trial.hyper,
          status: r.status,
          devLoss: r.devLoss,
          devAccuracy: r.devAccuracy,
          trainLoss: r.trainLoss,
          trainAccuracy: r.trainAccuracy,
          testLoss: r.testLoss,
          testAccuracy: r.testAccuracy,
        }) + '\n',
      );
    process.stdout.write(
      JSON.stringify({
        type: 'sweep',
        trials: s.rows.length,
        seconds: s.seconds,
        adapter: s.adapter,
        best: ranked[0]?.trial.index ?? null,
      }) + '\n',
    );
  } else {
    console.log(formatSweepTable(ranked));
    const best = ranked[0]!;
    console.log(
      `${s.rows.length} trials in ${s.seconds.toFixed(1)} s on ${opts.device} (${s.adapter}); best: trial ${best.trial.index} ` +
        `(lr ${compactNumber(best.trial.hyper.lr)}, dev loss ${best.devLoss === null ? 'n/a' : best.devLoss.toFixed(4)}` +
        (best.testLoss !== null ? `, test loss ${best.testLoss.toFixed(4)} acc ${pct(best.testAccuracy)}` : '') +
        ')',
    );
  }
  const best = ranked[0]!;
  if (best.status.kind !== 'ok') throw new Error('every trial diverged: nothing to save (try lower learning rates)');
  if (opts.save) {
    writeAtomic(opts.save, modelOf(best.trial.index));
    if (!opts.json) console.log(`saved the best trial's weights to ${opts.save}`);
  }
  if (opts.exportOnnx) {
    writeAtomic(opts.exportOnnx, modelToOnnx(decodeModel(modelOf(best.trial.index), 'the best trial')));
    if (!opts.json) console.log(`exported the best trial as ONNX to ${opts.exportOnnx}`);
  }
  if (opts.exportPytorch) {
    writePytorchDir(opts.exportPytorch, decodeModel(modelOf(best.trial.index), 'the best trial'), opts.epochs);
    if (!opts.json) console.log(`exported the best trial and its run as PyTorch code to ${opts.exportPytorch}`);
  }
  if (opts.saveAll) {
    mkdirSync(opts.saveAll, { recursive: true });
    for (const r of s.rows)
      writeAtomic(join(opts.saveAll, `trial-${r.trial.index}.safetensors`), modelOf(r.trial.index));
    if (!opts.json) console.log(`saved every trial's weights to ${opts.saveAll}/trial-<n>.safetensors`);
  }
  return 0;
}

run(main);
