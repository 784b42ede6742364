// `npm run train -- --sweep` on the CPU reference (trials one after another): the ranked trials as
// JSON lines, every trial's model with --save-all, the best one with --save, and a trial's weights
// equal to the solo run with the same hyperparameters (the data and split from --seed, the trial's seed
// as --init-seed).
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeModel } from '../../src/lib/model-file.ts';
import { layerTensors, type Params } from '../../src/model.ts';
import { events, runTrain } from './cli.ts';

const bits = (p: Params) =>
  p.flatMap((l) => layerTensors(l).map(([, t]) => [...new Uint32Array(t.buffer, t.byteOffset, t.length)]));
const COMMON = [
  '--device',
  'cpu',
  '--data',
  'moons',
  '--samples',
  '200',
  '--hidden',
  '8',
  '--epochs',
  '3',
  '--batch-size',
  '16',
  '--dev-split',
  '0.2',
  '--seed',
  '1',
];

describe('train --sweep (cpu)', () => {
  it('ranks the trials, saves each and the best, and a trial equals its solo run', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sweep-'));
    const r = runTrain([
      ...COMMON,
      '--sweep',
      'lr=0.1,0.5, seed=1..2',
      '--save-all',
      join(dir, 'all'),
      '--save',
      join(dir, 'best.safetensors'),
      '--json',
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const ev = events(r.stdout);
    const trials = ev.filter((e) => e.type === 'trial');
    expect(trials.map((t) => t.rank)).toEqual([1, 2, 3, 4]);
    expect(trials.map((t) => [t.lr, t.seed]).sort()).toEqual([
      [0.1, 1],
      [0.1, 2],
      [0.5, 1],
      [0.5, 2],
    ]);
    const devLosses = trials.map((t) => t.devLoss as number);
    expect([...devLosses].sort((a, b) => a - b)).toEqual(devLosses);
    const sweep = ev.find((e) => e.type === 'sweep')!;
    expect(sweep.trials).toBe(4);
    expect(sweep.best).toBe(trials[0]!.index);
    expect(readdirSync(join(dir, 'all')).sort()).toEqual([
      'trial-0.safetensors',
      'trial-1.safetensors',
      'trial-2.safetensors',
      'trial-3.safetensors',
    ]);
    expect(readFileSync(join(dir, 'best.safetensors'))).toEqual(
      readFileSync(join(dir, 'all', `trial-${String(sweep.best)}.safetensors`)),
    );
    // The grid's order: lr varies slowest, so trial 2 is lr 0.5 with seed 1 — the run's own seed.
    const trial = decodeModel(readFileSync(join(dir, 'all', 'trial-2.safetensors')), 'trial 2');
    expect(trial.info.trainedWith).toMatchObject({ lr: 0.5, initSeed: 1, sweepTrial: 2 });
    const solo = runTrain([...COMMON, '--lr', '0.5', '--save', join(dir, 'solo.safetensors')]);
    expect(solo.code).toBe(0);
    expect(bits(trial.params)).toEqual(bits(decodeModel(readFileSync(join(dir, 'solo.safetensors')), 'solo').params));
    // Trial 3 (lr 0.5, seed 2) starts from seed 2's init: its solo run is --init-seed 2 on the same data.
    const trial3 = decodeModel(readFileSync(join(dir, 'all', 'trial-3.safetensors')), 'trial 3');
    expect(trial3.info.trainedWith).toMatchObject({ lr: 0.5, initSeed: 2, seed: 1 });
    const solo3 = runTrain([...COMMON, '--lr', '0.5', '--init-seed', '2', '--save', join(dir, 'solo3.safetensors')]);
    expect(solo3.code).toBe(0);
    expect(bits(trial3.params)).toEqual(
      bits(decodeModel(readFileSync(join(dir, 'solo3.safetensors')), 'solo 3').params),
    );
    expect(bits(trial3.params)).not.toEqual(bits(trial.params));
  });

  it('prints the ranked table', () => {
    const r = runTrain([...COMMON, '--sweep', 'lr=0.1,0.5']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^rank +trial +lr +l2 +keep +beta1 +beta2 +seed +dev loss +dev acc +train loss +status$/m);
    expect(r.stdout).toMatch(/2 trials in [\d.]+ s on cpu/);
  });

  it('refuses a sweep without a dev split', () => {
    const r = runTrain(['--device', 'cpu', '--data', 'moons', '--sweep', 'lr=0.1,0.5']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--sweep ranks the trials by dev loss: add --dev-split/);
  });
});
