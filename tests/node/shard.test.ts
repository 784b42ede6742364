// Data past the budget or the limits: the size check lets it through as shards, --gpu-data-budget is
// parsed with its suffixes and refused where it means nothing, and a run it forces into shards saves
// the very bytes of the resident run.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseTrainArgs } from '../../src/cli/args.ts';
import { DEFAULT_DATA_BUDGET, dataLayout } from '../../src/gpu/shards.ts';
import { checkFits } from '../../src/lib/budget.ts';
import type { ModelSpec } from '../../src/model.ts';
import { events, runTrain } from './cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'shard-cli-'));

describe('data layout and the size check', () => {
  const spec: ModelSpec = { sizes: [784, 256, 128, 10], activation: 'relu', loss: 'ce' };
  const limits = { maxBufferSize: 2 ** 30, maxStorageBufferBindingSize: 2 ** 30 };
  const rowBytes = (784 + 10) * 4;

  // Test that MNIST-sized data stays resident by default, and that a training set whose x is past one
  // buffer's limit (2,000,000 rows: 5.8 GiB) is not refused but streamed in shards that fit both the
  // limit and the default budget, which the size check then reports as the largest buffer.
  it('resident when it fits, shards past the limit', () => {
    expect(dataLayout(spec, { train: 60_000, test: 10_000, dev: 0 }, 64, limits)).toEqual({ mode: 'resident' });
    const rows = { train: 2_000_000, test: 0, dev: 0 };
    const layout = dataLayout(spec, rows, 64, limits);
    expect(layout.mode).toBe('sharded');
    const shardRows = layout.mode === 'sharded' ? layout.shardRows : 0;
    expect(shardRows % 64).toBe(0);
    expect(2 * shardRows * rowBytes).toBeLessThanOrEqual(DEFAULT_DATA_BUDGET);
    expect(2 * (shardRows + 64) * rowBytes).toBeGreaterThan(DEFAULT_DATA_BUDGET);
    expect(checkFits(spec, {}, 'gpu', limits, 'test adapter', { batchSize: 64, rows })).toEqual({
      name: 'shard0.x',
      bytes: shardRows * 784 * 4,
    });
  });

  // Test that a budget below one batch still gives shards of one batch (the least a step needs), and a
  // budget above the data cannot make a split past the limit resident.
  it('at least one batch a shard; the limit wins over the budget', () => {
    expect(dataLayout(spec, { train: 1000, test: 0, dev: 0 }, 64, limits, 100)).toEqual({
      mode: 'sharded',
      shardRows: 64,
    });
    const small = { maxBufferSize: 2 ** 30, maxStorageBufferBindingSize: 2 ** 20 };
    expect(dataLayout(spec, { train: 1000, test: 0, dev: 0 }, 64, small, 2 ** 40)).toEqual({
      mode: 'sharded',
      shardRows: 320,
    }); // 320 × 3136 B ≤ 1 MiB
    expect(() => dataLayout(spec, { train: 1, test: 0, dev: 0 }, 1, limits, 0)).toThrow(
      /data budget must be a positive number/,
    );
  });
});

describe('--gpu-data-budget', () => {
  // Test that the flag takes bytes with an optional K, M or G suffix (powers of 1024) and names itself
  // in every refusal, including on the CPU reference, which has no GPU memory to budget.
  it('parses bytes and suffixes, rejects the rest', () => {
    expect(parseTrainArgs(['--gpu-data-budget', '4096']).gpuDataBudget).toBe(4096);
    expect(parseTrainArgs(['--gpu-data-budget=64M']).gpuDataBudget).toBe(64 * 2 ** 20);
    expect(parseTrainArgs(['--gpu-data-budget', '1g']).gpuDataBudget).toBe(2 ** 30);
    expect(parseTrainArgs([]).gpuDataBudget).toBeUndefined();
    for (const bad of ['0', '-1', '1.5M', '64MB', 'lots'])
      expect(() => parseTrainArgs(['--gpu-data-budget', bad]), bad).toThrow(
        /--gpu-data-budget: expected a number of bytes/,
      );
    expect(() => parseTrainArgs(['--gpu-data-budget', '1M', '--device', 'cpu'])).toThrow(
      /--gpu-data-budget is for --device gpu/,
    );
  });

  // Test that 2 epochs on 480 spiral rows with a 5 KiB budget train in 4 shards of 128 rows an epoch
  // (the last one partial, as is the last batch) and save the same model file, byte for byte, as the
  // resident run.
  it("a run forced into 4 shards saves the resident run's bytes", () => {
    const base = [
      '--data',
      'spiral',
      '--samples',
      '600',
      '--epochs',
      '2',
      '--hidden',
      '16,16',
      '--matmul',
      'blocked',
      '--plan',
      'layered', // resident and sharded on the same path (sharded data is never fused)
      '--json',
    ];
    const resident = runTrain([...base, '--save', join(dir, 'resident.safetensors')]);
    expect(resident.code, resident.stderr).toBe(0);
    const sharded = runTrain([...base, '--gpu-data-budget', '5K', '--save', join(dir, 'sharded.safetensors')]);
    expect(sharded.code, sharded.stderr).toBe(0);
    const memory = (stdout: string) => events(stdout).find((e) => e.type === 'memory');
    expect(memory(resident.stdout)).toMatchObject({ data: { mode: 'resident' } });
    expect(memory(sharded.stdout)).toMatchObject({ data: { mode: 'sharded', shardRows: 128, shards: 4 } });
    const [a, b] = [readFileSync(join(dir, 'resident.safetensors')), readFileSync(join(dir, 'sharded.safetensors'))];
    expect(a.length).toBeGreaterThan(1000);
    expect(b.equals(a)).toBe(true);
  });
});
