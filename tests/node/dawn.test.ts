// The Node runtime on Dawn (npm package webgpu), on SwiftShader's Vulkan driver as the browser tests run
// Chromium's: the library takes Dawn's GPUDevice with no GPU global installed, its step matches the
// float64 reference, and the default MNIST job's first 20 steps match the Chromium run's step by step
// under the one tolerance rule. Without an adapter every test fails (beforeAll throws): CI installs
// libvulkan1 and the package (.ci/run), so a missing one is a broken setup, not a reason to skip.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { assertClose, TOL } from '../../src/check.ts';
import { parseTrainArgs } from '../../src/cli/args.ts';
import { installDawn, noAdapterReason, SWIFTSHADER_ICD } from '../../src/cli/dawn.ts';
import { isDawnPoll } from '../../src/cli/dawn-poll.ts';
import { buildJob } from '../../src/cli/job.ts';
import { runJob } from '../../src/cli/run-job.ts';
import { createTrainer, decodeModel, type LabeledData, type TrainEvent } from '../../src/index.ts';
import { Rng } from '../../src/rng.ts';
import { runTrain } from './cli.ts';

// SwiftShader unless the machine names its own Vulkan driver; set before Dawn starts Vulkan.
if (!process.env.VK_DRIVER_FILES && !process.env.VK_ICD_FILENAMES && existsSync(SWIFTSHADER_ICD))
  process.env.VK_DRIVER_FILES = SWIFTSHADER_ICD;

let gpu: GPU;
beforeAll(async () => {
  gpu = await installDawn();
}, 60_000);

/** n rows of k features in [-1, 1) with labels in 0..classes-1, from a seed. */
function randomData(n: number, k: number, classes: number, seed: number): LabeledData {
  const rng = new Rng(seed);
  const x = Float32Array.from({ length: n * k }, () => 2 * rng.next() - 1);
  const labels = Uint32Array.from({ length: n }, () => Math.floor(rng.next() * classes));
  return { x, labels };
}

describe('Node runtime on Dawn', () => {
  // Test that createTrainer takes Dawn's GPUDevice with no GPU globals installed, and that one step of each
  // kind of layer (matmul, bias and activation, batch norm, softmax-CE and BCE, Adam) matches the reference.
  it.each([
    { label: 'relu softmax-CE, SGD', hidden: [24, 16], classes: 5, batchNorm: false, optimizer: 'sgd' as const },
    { label: 'tanh BCE, batch norm, Adam', hidden: [33], classes: 2, batchNorm: true, optimizer: 'adam' as const },
  ])('takes a borrowed Dawn device: $label step matches the reference', async (c) => {
    expect('GPUBufferUsage' in globalThis).toBe(false);
    const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
    const device = await adapter!.requestDevice();
    const trainer = await createTrainer({
      inputs: 19,
      hidden: c.hidden,
      classes: c.classes,
      activation: c.label.startsWith('tanh') ? 'tanh' : 'relu',
      batchNorm: c.batchNorm,
      optimizer: c.optimizer,
      device,
    });
    try {
      expect(trainer.adapter).toMatch(/swiftshader|nvidia|amd|intel|apple/i);
      const check = await trainer.checkStep(randomData(70, 19, c.classes, 7), { lr: 0.05, rows: 65 });
      expect(check.layers.filter((l) => !l.ok)).toEqual([]);
      assertClose('loss', [check.gpuLoss], [check.cpuLoss], TOL.value);
    } finally {
      trainer.destroy();
      device.destroy();
    }
  });

  // Test that dawn.node still polls through setImmediate with the callback isDawnPoll recognises, and that
  // on a CPU adapter installDawn sends that callback to a timer (a sleep), any other to setImmediate.
  it('polls for a pending promise on a timer on a CPU adapter, not a setImmediate spin', async () => {
    const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
    const device = await adapter!.requestDevice();
    const installed = globalThis.setImmediate;
    const polls: string[] = [];
    const spy = (fn: (...args: unknown[]) => void, ...args: unknown[]) => {
      const handle = installed(fn, ...args);
      if (isDawnPoll(fn)) polls.push(handle.constructor.name);
      return handle;
    };
    globalThis.setImmediate = Object.assign(spy, { __promisify__: installed.__promisify__ }) as typeof setImmediate;
    try {
      // The first wait may ride on a poll queued before the spy (requestDevice's); the next ones start their own.
      for (let i = 0; i < 3; i++) await device.queue.onSubmittedWorkDone();
    } finally {
      globalThis.setImmediate = installed;
      device.destroy();
    }
    expect(polls.length).toBeGreaterThan(0);
    // Slowed on a CPU adapter only (SwiftShader here); a GPU keeps Dawn's own setImmediate poll.
    expect(new Set(polls)).toEqual(new Set([adapter!.info.isFallbackAdapter ? 'Timeout' : 'Immediate']));
    // A function of ours and a promise's native resolve function still run as Immediates.
    expect(setImmediate(() => {}).constructor.name).toBe('Immediate');
    await new Promise((resolve) => expect(setImmediate(resolve).constructor.name).toBe('Immediate'));
  });

  // Test that the default MNIST job's first 20 steps in Node match the Chromium run's (the fixture's
  // header has the command that made it), loss by loss, and that the start event names a software adapter.
  it("matches the Chromium run's first 20 steps of the default MNIST job", async () => {
    const fixture = JSON.parse(
      readFileSync(new URL('./fixtures/mnist-20-steps-chromium.json', import.meta.url), 'utf8'),
    ) as { losses: number[]; adapter: string };
    const job = buildJob(parseTrainArgs(['--eval-every', '1']));
    const losses: number[] = [];
    let start: TrainEvent | undefined;
    const enough = new Error('20 steps');
    const emit = (e: TrainEvent) => {
      if (e.type === 'start') start = e;
      if (e.type !== 'progress') return;
      losses[e.step - 1] = e.loss;
      if (e.step >= 20) throw enough; // the run ends here: its trainer is destroyed by runJob
    };
    await expect(runJob(job.meta, { train: job.train, test: job.test, dev: job.dev }, 'gpu', { emit })).rejects.toBe(
      enough,
    );
    expect(losses).toHaveLength(20);
    assertClose('loss by step (Node on Dawn vs Chromium)', losses, fixture.losses.slice(0, 20), TOL.value);
    if (start?.type !== 'start') throw new Error('no start event');
    if (/swiftshader/i.test(start.adapter)) expect(start.software).toMatch(/software one \(SwiftShader/);
  });
});

describe('npm run train -- --runtime node', () => {
  // Test that the command trains on Dawn and, on a software adapter, says so right after the device line.
  it('trains and warns of a software adapter at the start', () => {
    const r = runTrain(['--runtime', 'node', '--data', 'xor', '--epochs', '1'], 240_000);
    // SwiftShader's Vulkan driver prints 'error: XDG_RUNTIME_DIR is invalid…' (it looks for a display); not ours.
    const errors = r.stderr.split('\n').filter((l) => l.startsWith('error') && !l.includes('XDG_RUNTIME_DIR'));
    expect(errors).toEqual([]);
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    const device = lines.findIndex((l) => l.startsWith('device gpu ('));
    expect(device).toBeGreaterThanOrEqual(0);
    if (/swiftshader/i.test(lines[device]!))
      expect(lines[device + 1]).toMatch(/^warning: the WebGPU adapter .* is a software one \(SwiftShader/);
    expect(r.stdout).toMatch(/^final: .* on gpu \(/m);
  });
  // Test that a net within the fused kernel's widths trains on the fused path in Node (it once read the
  // page's GPUBufferUsage global, which Node lacks).
  it('trains a small net on the fused path', () => {
    const r = runTrain([
      '--runtime',
      'node',
      '--data',
      'spiral',
      '--samples',
      '300',
      '--hidden',
      '16',
      '--epochs',
      '1',
    ]);
    expect(r.stderr.split('\n').filter((l) => l.startsWith('error') && !l.includes('XDG_RUNTIME_DIR'))).toEqual([]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^device gpu \(.*plan fused/m);
  });
});

describe('checkpoints across runtimes', () => {
  // Test that a checkpoint written in Node resumes in the page, whose checkpoint resumes in Node, ending
  // where an uninterrupted Node run ends (same SwiftShader; Dawn's versions differ, so under the rule).
  it('Node → Chromium → Node ends where Node alone does', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dawn-ckpt-'));
    const f = (name: string) => join(dir, name);
    const base = ['--data', 'spiral', '--samples', '300', '--hidden', '16', '--lr', '0.5', '--checkpoint-every', '5'];
    const node = ['--runtime', 'node'];
    // 240 training rows, batch 64: 4 steps an epoch; checkpoints every 5 steps.
    expect(runTrain([...base, ...node, '--epochs', '6', '--save', f('full')]).code).toBe(0);
    expect(runTrain([...base, ...node, '--epochs', '3', '--checkpoint', f('ck1')]).code).toBe(0);
    const page = runTrain([...base, '--epochs', '5', '--resume', f('ck1'), '--checkpoint', f('ck2')]);
    expect(page.stderr).toBe('');
    expect(page.code).toBe(0);
    expect(runTrain([...base, ...node, '--epochs', '6', '--resume', f('ck2'), '--save', f('resumed')]).code).toBe(0);
    const full = decodeModel(new Uint8Array(readFileSync(f('full')))).params;
    const resumed = decodeModel(new Uint8Array(readFileSync(f('resumed')))).params;
    full.forEach((layer, i) => {
      assertClose(`layers.${i}.weight`, resumed[i]!.weight, layer.weight, TOL.value);
      assertClose(`layers.${i}.bias`, resumed[i]!.bias, layer.bias, TOL.value);
    });
  });
});

describe('noAdapterReason', () => {
  const host = (platform: NodeJS.Platform, files: string[], env: Record<string, string> = {}) => ({
    platform,
    env,
    exists: (p: string) => files.includes(p),
  });

  // Test that each missing piece is named with the package that provides it.
  it('names the Vulkan loader, then the driver, then the OS', () => {
    expect(noAdapterReason(host('linux', []))).toMatch(/^no Vulkan loader .*apt-get install -y libvulkan1/);
    expect(noAdapterReason(host('linux', ['/opt/vk/libvulkan.so.1'], { LD_LIBRARY_PATH: '/opt/vk' }))).toMatch(
      /^Dawn found no Vulkan adapter: install the GPU's Vulkan driver/,
    );
    const withSwift = noAdapterReason(host('linux', ['/usr/lib/x86_64-linux-gnu/libvulkan.so.1', SWIFTSHADER_ICD]));
    expect(withSwift).toContain(`VK_DRIVER_FILES=${SWIFTSHADER_ICD}`);
    expect(noAdapterReason(host('darwin', []))).toContain('Metal');
    expect(noAdapterReason(host('win32', []))).toContain('GPU driver');
  });
});
