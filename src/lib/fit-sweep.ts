// The sweep driver: a trainer's trials in groups, each group one backend of N models trained side by
// side by the shared epoch loop (train/group.ts). On the GPU a group is as many trials as fit the
// device; the sequential baseline (and the CPU reference) trains them one at a time through the same
// loop. Every trial ends bit-identical to its solo fit.
import { planMemory, type PlanRows } from '../gpu/plan.ts';
import type { ModelSpec, Params } from '../model.ts';
import type { Stats, TrainConfig } from '../train/backend.ts';
import { runGroup, type GroupResult } from '../train/group.ts';
import { TrainerError } from '../errors.ts';
import type { LabeledData } from './data.ts';
import type { Engine } from './engine.ts';
import { EMPTY_SPLIT, type ModelData } from './model-data.ts';
import type { SweepFitOptions, SweepTrialResult } from './options.ts';
import type { Trial } from './sweep.ts';

/** What a sweep needs of its trainer. */
export interface SweepHost {
  readonly spec: ModelSpec;
  readonly config: TrainConfig;
  readonly engine: Engine;
  readonly data: ModelData;
  /** A trial's starting weights (those of a trainer created with its seed). */
  startParams(seed: number): Params;
  /** Gives the event loop a turn (between epochs). */
  yieldNow(): Promise<void>;
  /** True once the trainer is destroyed: the sweep stops at the next epoch's end. */
  cancelled(): boolean;
}

/** Trials per plan: as many as keep the plan's largest buffer (N models × the largest per-model one)
 *  within half the device's storage binding limit, at most 64. */
function groupSize(
  spec: ModelSpec,
  config: TrainConfig,
  limits: GPUSupportedLimits | undefined,
  batch: number,
  rows: PlanRows,
): number {
  if (!limits) return 1;
  const one = planMemory(spec, config, batch, rows, limits.minStorageBufferOffsetAlignment);
  const largest = Math.max(...one.filter((b) => !/^(train|test|dev)\.|^identity$/.test(b.name)).map((b) => b.bytes));
  return Math.max(1, Math.min(64, Math.floor(limits.maxStorageBufferBindingSize / 2 / largest)));
}

/** Mean loss and accuracy (null for a regression model, whose `correct` is not an accuracy). */
function meanOf(regression: boolean) {
  return (s: Stats) => ({
    loss: s.count > 0 ? s.lossSum / s.count : NaN,
    accuracy: s.count > 0 && !regression ? s.correct / s.count : null,
  });
}

/** Trial m of a group's result; a diverged trial has no figures, only its parameters. */
function trialResult(trial: Trial, r: GroupResult, m: number, regression: boolean): SweepTrialResult {
  const mean = meanOf(regression);
  const d = r.diverged[m];
  const ok = d === undefined;
  const trM = mean(r.train[m]!);
  const dvM = mean(r.dev[m]!);
  const teM = r.test ? mean(r.test[m]!) : undefined;
  return {
    trial,
    status: ok ? { kind: 'ok' } : { kind: 'diverged', epoch: d },
    devLoss: ok ? dvM.loss : null,
    devAccuracy: ok ? dvM.accuracy : null,
    trainLoss: ok ? trM.loss : null,
    trainAccuracy: ok ? trM.accuracy : null,
    testLoss: ok && teM ? teM.loss : null,
    testAccuracy: ok && teM ? teM.accuracy : null,
    params: r.params[m]!,
  };
}

/** Trains every trial on `train` (raw rows); `configs` are the trials' configurations (trialConfigs). */
export async function runSweep(
  host: SweepHost,
  train: LabeledData,
  trials: readonly Trial[],
  configs: readonly TrainConfig[],
  o: SweepFitOptions,
): Promise<SweepTrialResult[]> {
  const { data, engine } = host;
  const bad = (m: string) => new TrainerError('bad-input', `fitSweep: ${m}`);
  data.fitScalings(train, 'fitSweep: train');
  const tr = data.split(train, 'fitSweep: train');
  const dv = data.split(o.dev, 'fitSweep: dev');
  const te = o.test ? data.split(o.test, 'fitSweep: test') : EMPTY_SPLIT;
  if (tr.n < 1) throw bad('the training rows are empty');
  if (dv.n < 1) throw bad('the dev rows are empty (trials are ranked by dev loss)');
  const batch = Math.min(o.batchSize, tr.n);
  const rows = { train: tr.n, test: te.n, dev: dv.n };
  const sequential = o.sequential === true || engine.device === 'cpu';
  const group = sequential
    ? 1
    : Math.min(trials.length, o.groupSize ?? groupSize(host.spec, host.config, engine.limits, batch, rows));
  const groups = Math.ceil(trials.length / group);
  const mean = meanOf(data.regression);
  const results: SweepTrialResult[] = [];
  const t0 = performance.now();
  const stop = () => o.signal?.aborted === true || host.cancelled();
  for (let g = 0; g < groups && !stop(); g++) {
    const members = trials.slice(g * group, (g + 1) * group);
    const models = configs.slice(g * group, (g + 1) * group);
    const init = {
      spec: host.spec,
      params: host.startParams(members[0]!.hyper.seed),
      train: tr,
      test: te,
      dev: dv,
      maxBatch: batch,
      config: models[0]!,
      regression: data.regression,
    };
    const backend = await engine.backend(init, { models, what: 'fitSweep' });
    try {
      members.forEach((t, m) => {
        if (m > 0) backend.setParams(host.startParams(t.hyper.seed), m);
      });
      const run = {
        trainRows: tr.n,
        batch,
        epochs: o.epochs,
        lr: members.map((t) => t.hyper.lr),
        seeds: members.map((t) => t.hyper.seed),
        shuffle: o.shuffle ?? true,
        ...(o.lrDecay ? { lrDecay: o.lrDecay } : {}),
      };
      const r = await runGroup(backend, run, te.n, async (e) => {
        o.onProgress?.({
          group: g,
          groups,
          first: g * group,
          epoch: e.epoch,
          epochs: o.epochs,
          trainLoss: e.train.map((s) => mean(s).loss),
          devLoss: e.dev.map((s) => mean(s).loss),
          seconds: (performance.now() - t0) / 1000,
        });
        await host.yieldNow(); // let a page paint and a signal arrive between epochs
        return stop();
      });
      members.forEach((t, m) => results.push(trialResult(t, r, m, data.regression)));
    } finally {
      backend.destroy();
    }
  }
  return results;
}
