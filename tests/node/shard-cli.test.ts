// --gpu-data-budget: parsed with its suffixes, refused where it means nothing, and a run it forces into
// shards saves the very bytes of the resident run.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseTrainArgs } from '../../src/cli/args.ts';
import { events, runTrain } from './cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'shard-cli-'));

describe('--gpu-data-budget', () => {
  // Test that the flag takes bytes with an optional K, M or G suffix (powers of 1024) and names itself
  // in every refusal, including on the CPU reference, which has no GPU memory to budget.
  it('parses bytes and suffixes, rejects the rest', () => {
    expect(parseTrainArgs(['--gpu-data-budget', '4096']).gpuDataBudget).toBe(4096);
    expect(parseTrainArgs(['--gpu-data-budget=64M']).gpuDataBudget).toBe(64 * 2 ** 20);
    expect(parseTrainArgs(['--gpu-data-budget', '1g']).gpuDataBudget).toBe(2 ** 30);
    expect(parseTrainArgs([]).gpuDataBudget).toBeUndefined();
    for (const bad of ['0', '-1', '1.5M', '64MB', 'lots']) expect(() => parseTrainArgs(['--gpu-data-budget', bad]), bad).toThrow(/--gpu-data-budget: expected a number of bytes/);
    expect(() => parseTrainArgs(['--gpu-data-budget', '1M', '--device', 'cpu'])).toThrow(/--gpu-data-budget is for --device gpu/);
  });

  // Test that 2 epochs on 480 spiral rows with a 5 KiB budget train in 4 shards of 128 rows an epoch
  // (the last one partial, as is the last batch) and save the same model file, byte for byte, as the
  // resident run.
  it('a run forced into 4 shards saves the resident run\'s bytes', () => {
    const base = ['--data', 'spiral', '--samples', '600', '--epochs', '2', '--hidden', '16,16', '--matmul', 'blocked', '--json'];
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
