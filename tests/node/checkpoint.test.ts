// Checkpoints through the train command: a run resumed from a checkpoint ends bit-for-bit where the
// uninterrupted run does, on the CPU reference and on WebGPU; bad resumes fail clearly.
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runTrain } from './cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'ckpt-'));
const base = ['--data', 'spiral', '--samples', '300', '--hidden', '16', '--lr', '0.5', '--json'];

describe('checkpoint and --resume', () => {
  for (const device of ['cpu', 'gpu'] as const) {
    // Test that stopping after 3 epochs and resuming to 6 gives the same bytes as 6 epochs straight.
    it(`resumes bit-for-bit on --device ${device}`, () => {
      const full = join(dir, `full-${device}.safetensors`);
      const ck = join(dir, `ck-${device}.safetensors`);
      const resumed = join(dir, `resumed-${device}.safetensors`);
      expect(runTrain([...base, '--device', device, '--epochs', '6', '--save', full]).code).toBe(0);
      // 240 training rows, batch 64: 4 steps an epoch. The last checkpoint of 12 steps is at step 10, mid-epoch 3.
      const r1 = runTrain([
        ...base,
        '--device',
        device,
        '--epochs',
        '3',
        '--checkpoint',
        ck,
        '--checkpoint-every',
        '5',
      ]);
      expect(r1.stderr).toBe('');
      expect(r1.code).toBe(0);
      const r2 = runTrain([...base, '--device', device, '--epochs', '6', '--resume', ck, '--save', resumed]);
      expect(r2.stderr).toBe('');
      expect(r2.code).toBe(0);
      expect(Buffer.compare(readFileSync(full), readFileSync(resumed))).toBe(0);
      expect(readdirSync(dir).filter((f) => f.includes('.tmp'))).toEqual([]); // write-then-rename left nothing behind
    });
  }

  for (const device of ['cpu', 'gpu'] as const) {
    // Test that the optimizer state (Adam's moments and step count, which also seeds dropout) survives a resume.
    it(`resumes Adam + L2 + dropout bit-for-bit on --device ${device}`, () => {
      const extra = ['--optimizer', 'adam', '--lr', '0.01', '--l2', '0.1', '--keep-prob', '0.8'];
      const args = [...base.filter((a) => a !== '0.5' && a !== '--lr'), ...extra, '--device', device];
      const full = join(dir, `adam-full-${device}.safetensors`);
      const ck = join(dir, `adam-ck-${device}.safetensors`);
      const resumed = join(dir, `adam-resumed-${device}.safetensors`);
      expect(runTrain([...args, '--epochs', '5', '--save', full]).stderr).toBe('');
      expect(runTrain([...args, '--epochs', '3', '--checkpoint', ck, '--checkpoint-every', '6']).stderr).toBe('');
      const r = runTrain([...args, '--epochs', '5', '--resume', ck, '--save', resumed]);
      expect(r.stderr).toBe('');
      expect(Buffer.compare(readFileSync(full), readFileSync(resumed))).toBe(0);
    });
  }

  for (const device of ['cpu', 'gpu'] as const) {
    // Test that batch norm's running mean and variance (and γ, β, Adam's moments) survive a resume
    // bit-for-bit, and that the checkpoint cannot be resumed without --batch-norm.
    it(`resumes batch norm + Adam bit-for-bit on --device ${device}`, () => {
      const args = [
        ...base.filter((a) => !['0.5', '--lr', '16', '--hidden'].includes(a)),
        '--hidden',
        '16,8',
        '--batch-norm',
        '--optimizer',
        'adam',
        '--lr',
        '0.01',
        '--keep-prob',
        '0.9',
        '--device',
        device,
      ];
      const full = join(dir, `bn-full-${device}.safetensors`);
      const ck = join(dir, `bn-ck-${device}.safetensors`);
      const resumed = join(dir, `bn-resumed-${device}.safetensors`);
      expect(runTrain([...args, '--epochs', '5', '--save', full]).stderr).toBe('');
      expect(runTrain([...args, '--epochs', '3', '--checkpoint', ck, '--checkpoint-every', '6']).stderr).toBe('');
      const r = runTrain([...args, '--epochs', '5', '--resume', ck, '--save', resumed]);
      expect(r.stderr).toBe('');
      expect(Buffer.compare(readFileSync(full), readFileSync(resumed))).toBe(0);
      expect(readFileSync(full).toString('latin1')).toMatch(/layers\.1\.bn_var/);
      const plain = runTrain([...args.filter((a) => a !== '--batch-norm'), '--epochs', '5', '--resume', ck]);
      expect(plain.code).toBe(1);
      expect(plain.stderr).toMatch(/layers\.0\.bn_gamma.*not part of the model/);
    });
  }

  // Test that resuming with different settings fails and names the setting that differs.
  it('refuses a resume with other settings', () => {
    const ck = join(dir, 'ck-cpu.safetensors');
    const r = runTrain([...base, '--device', 'cpu', '--epochs', '6', '--resume', ck, '--seed', '2']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/seed: checkpoint has 1, now 2/);
  });

  // Test that a truncated checkpoint fails with a clear message, not a stack trace.
  it('refuses a truncated checkpoint', () => {
    const bad = join(dir, 'truncated.safetensors');
    writeFileSync(bad, readFileSync(join(dir, 'ck-cpu.safetensors')).subarray(0, 100));
    const r = runTrain([...base, '--device', 'cpu', '--resume', bad]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/--resume .*truncated\.safetensors: .*(truncated|past the end)/);
  });

  // Test that a plain model file is not taken for a checkpoint.
  it('refuses a model file as a checkpoint', () => {
    const model = join(dir, 'full-cpu.safetensors');
    const r = runTrain([...base, '--device', 'cpu', '--resume', model]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/not a checkpoint/);
  });
});
