// The train command as a user runs it: exit codes, messages for bad input, JSON events, saved weights.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { paramsFromSafetensors, paramsToSafetensors } from '../../src/io/safetensors.ts';
import { initParams } from '../../src/init.ts';
import { events, runTrain } from './cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'cli-'));

describe('train command: arguments and bad input', () => {
  // Test that --help prints the usage and exits 0.
  it('--help', () => {
    const r = runTrain(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Usage: npm run train/);
  });
  // Test that an unknown flag exits 2 and names the flag.
  it('unknown flag', () => {
    const r = runTrain(['--bogus', '3']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--bogus/);
  });
  // Test that a learning rate that is not a positive number exits 2 and names --lr.
  it('bad learning rate', () => {
    const r = runTrain(['--lr', '-1']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--lr/);
  });
  // Test that a ragged CSV exits 1 with the line number, not a stack trace.
  it('malformed CSV', () => {
    const f = join(dir, 'ragged.csv');
    writeFileSync(f, 'a,b,label\n1,2,0\n3,1\n');
    const r = runTrain(['--data', f, '--device', 'cpu']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/line 3/);
    expect(r.stderr).not.toMatch(/    at /);
  });
  // Test that a missing CSV file exits 1 naming the path.
  it('missing CSV', () => {
    const r = runTrain(['--data', join(dir, 'nope.csv'), '--device', 'cpu']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/nope\.csv/);
  });
  // Test that --init weights of the wrong shape exit 1 naming the tensor and both shapes.
  it('--init with the wrong architecture', () => {
    const f = join(dir, 'wrong.safetensors');
    const spec = { sizes: [2, 8, 1], activation: 'relu', loss: 'bce' } as const;
    writeFileSync(f, paramsToSafetensors(spec, initParams(spec, 1)));
    const r = runTrain(['--data', 'moons', '--hidden', '16', '--init', f, '--device', 'cpu']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/layers\.0\.weight.*\[16,2\].*\[8,2\]/);
  });
});

describe('train command: divergence', () => {
  // Test that a diverging run exits 1 naming the steps, and --save still writes the last good (here: initial) weights.
  it('NaN loss stops training and keeps the last good weights', () => {
    const save = join(dir, 'diverged.safetensors');
    const r = runTrain([
      '--data',
      'moons',
      '--hidden',
      '16',
      '--lr',
      '1e12',
      '--epochs',
      '3',
      '--device',
      'cpu',
      '--save',
      save,
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/loss is (NaN|Infinity) in steps \d+\.\.\d+ \(epoch \d\).*restored to those after step 0/);
    const spec = { sizes: [2, 16, 1], activation: 'relu', loss: 'bce' } as const;
    const saved = paramsFromSafetensors(new Uint8Array(readFileSync(save)), spec);
    expect(saved).toEqual(initParams(spec, 1));
  });
});

describe('train command: training', () => {
  // Test that the CPU reference trains moons well past chance, with JSON events and saved weights that load back.
  it('--device cpu on moons, --json, --save', () => {
    const save = join(dir, 'moons-cpu.safetensors');
    const r = runTrain([
      '--data',
      'moons',
      '--samples',
      '400',
      '--hidden',
      '16',
      '--epochs',
      '30',
      '--lr',
      '0.5',
      '--device',
      'cpu',
      '--json',
      '--save',
      save,
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const ev = events(r.stdout);
    expect(ev[0]?.type).toBe('start');
    expect(ev.some((e) => e.type === 'progress')).toBe(true);
    const summary = ev[ev.length - 1]!;
    expect(summary.type).toBe('summary');
    expect(summary.device).toBe('cpu');
    expect(summary.testAccuracy as number).toBeGreaterThan(0.85);
    const params = paramsFromSafetensors(new Uint8Array(readFileSync(save)), {
      sizes: [2, 16, 1],
      activation: 'relu',
      loss: 'bce',
    });
    expect(params[0]!.weight.length).toBe(32);
  });
  for (const device of ['cpu', 'gpu'] as const) {
    // Test that --batch-norm trains spiral on both devices and saves γ, β and the running stats.
    it(`--batch-norm on spiral, --device ${device}`, () => {
      const save = join(dir, `spiral-bn-${device}.safetensors`);
      const r = runTrain([
        '--data',
        'spiral',
        '--samples',
        '600',
        '--hidden',
        '64,64',
        '--epochs',
        '30',
        '--lr',
        '0.5',
        '--batch-size',
        '32',
        '--batch-norm',
        '--device',
        device,
        '--json',
        '--save',
        save,
      ]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const summary = events(r.stdout).at(-1)!;
      expect(summary.trainAccuracy as number).toBeGreaterThan(0.9);
      expect(summary.testAccuracy as number).toBeGreaterThan(0.85);
      const params = paramsFromSafetensors(new Uint8Array(readFileSync(save)), {
        sizes: [2, 64, 64, 3],
        activation: 'relu',
        loss: 'ce',
        batchNorm: true,
      });
      expect(params[1]!.bn!.var.some((v) => v !== 1)).toBe(true);
      expect(params[0]!.bias.every((v) => v === 0)).toBe(true); // unused with batch norm, never updated
    });
  }
  // Test that WebGPU training on spiral (3 classes, softmax) learns it and reports the adapter.
  it('--device gpu on spiral', () => {
    const r = runTrain([
      '--data',
      'spiral',
      '--samples',
      '600',
      '--hidden',
      '64,64',
      '--epochs',
      '60',
      '--lr',
      '0.5',
      '--batch-size',
      '32',
      '--json',
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const summary = events(r.stdout).at(-1)!;
    expect(summary.device).toBe('gpu');
    expect(String(summary.adapter).length).toBeGreaterThan(0);
    expect(summary.trainAccuracy as number).toBeGreaterThan(0.9);
    expect(summary.testAccuracy as number).toBeGreaterThan(0.85);
  });

  // Test that --plan fused trains on the fused path and the JSON start line names it.
  it('--plan fused names the path in the start line', () => {
    const args = ['--data', 'moons', '--samples', '200', '--hidden', '8,8', '--epochs', '2', '--batch-size', '32'];
    const r = runTrain([...args, '--json', '--plan', 'fused']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(events(r.stdout).find((e) => e.type === 'start')).toMatchObject({ plan: { kind: 'fused' } });
    expect(events(r.stdout).at(-1)!.trainAccuracy as number).toBeGreaterThan(0.7);
  });

  // Test that the GPU run's matmul autotune goes through the CLI's cache file: --matmul tune on a corrupt
  // file measures and rewrites it, the next (default 'auto') run reads it (the same family and times,
  // nothing measured or written).
  it('--matmul tune autotunes once per adapter and caches it in the file; auto reads it', () => {
    const cache = join(dir, 'tune', 'autotune.json');
    mkdirSync(join(dir, 'tune'));
    writeFileSync(cache, '{"adapters": {"google swiftshader": {"key": "x"');
    const args = ['--data', 'xor', '--samples', '64', '--hidden', '8', '--epochs', '1', '--json'];
    const runs = [['--matmul', 'tune'], []].map((matmul) => {
      const r = runTrain([...args, ...matmul], 240_000, { WEBGPU_MLP_TUNE_CACHE: cache });
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const tune = events(r.stdout).filter((e) => e.type === 'autotune');
      expect(tune.length).toBe(1);
      return {
        tune: tune[0]!,
        file: JSON.parse(readFileSync(cache, 'utf8')) as { adapters: Record<string, { key: string; family: string }> },
      };
    });
    const [first, second] = runs as [(typeof runs)[0], (typeof runs)[0]];
    expect(first.tune.source).toBe('measured');
    expect(second.tune).toMatchObject({ source: 'cached', family: first.tune.family, ms: first.tune.ms });
    expect(second.file).toEqual(first.file); // a hit writes nothing
    const entries = Object.values(first.file.adapters);
    expect(entries.length).toBe(1);
    expect(entries[0]).toMatchObject({ family: first.tune.family, ms: first.tune.ms });
    expect(entries[0]!.key).toMatch(/\| matmul shaders [0-9a-f]{8} \|/);
  });

  // Test that a GPU run with no cached tune starts on the adapter's default family with nothing timed
  // first: on SwiftShader (whose answer is known) nothing is timed or written at all; elsewhere the tune
  // comes after training has started and is cached for the next run.
  it('--device gpu with an empty cache trains on the default family, timing nothing first', () => {
    const cache = join(dir, 'empty-tune', 'autotune.json');
    const r = runTrain(['--data', 'xor', '--samples', '64', '--hidden', '8', '--epochs', '1', '--json'], 240_000, {
      WEBGPU_MLP_TUNE_CACHE: cache,
    });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const all = events(r.stdout);
    const tune = all.filter((e) => e.type === 'autotune');
    expect(tune[0]).toMatchObject({ source: 'default' });
    expect(all.findIndex((e) => e.type === 'autotune')).toBeLessThan(all.findIndex((e) => e.type === 'start'));
    if (tune.length === 1) {
      expect(String(all.at(-1)!.adapter)).toMatch(/swiftshader/i);
      expect(existsSync(cache)).toBe(false);
    } else {
      expect(tune[1]).toMatchObject({ source: 'measured' });
      expect(all.indexOf(tune[1]!)).toBeGreaterThan(all.findIndex((e) => e.type === 'start'));
      expect(existsSync(cache)).toBe(true);
    }
  });
});
