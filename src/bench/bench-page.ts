// The browser half of `npm run bench`: fetches the request, times every engine on every configuration
// in this one page (so all figures share a browser, an adapter and a moment), then single kernels, and
// hands the results back through the functions the command exposed.
import { autotuneMatmul } from '../gpu/autotune.ts';
import { acquireDevice, type GpuContext } from '../gpu/device.ts';
import { MATMUL_FAMILIES, type KernelId, type MatmulFamily } from '../gpu/kernels.ts';
import { defaultStepsPerSubmit } from '../gpu/plan.ts';
import { layerCount, size } from '../model.ts';
import { stepFlops, type BenchConfig } from './configs.ts';
import { benchInit, cpuReferenceStepper, timeMatmul, webgpuStepper } from './ours.ts';
import type { BenchHooks, BenchRequest, BenchResults, Engine, KernelResult, StepResult } from './protocol.ts';
import { tfInfo, tfjsStepper, tfMatmulMs, useTfBackend } from './tfjs.ts';
import { timeInterleaved, timeSteps, yieldToEventLoop, type Stepper, type Timed } from './timing.ts';

const hooks = window as unknown as Window & BenchHooks;
const log = (line: string) => void hooks.__benchLog(line);

/** Square matmul variants of ours timed on their own (the families' plain products and the baseline). */
const MATMUL_VARIANTS: readonly KernelId[] = ['matmulTiled', 'matmulBlocked', 'matmulNaive'];

const webgpuAdapter = (ctx: GpuContext, family: MatmulFamily, perSubmit: number) =>
  `${ctx.adapterName} (${family} matmul, ${perSubmit} step${perSubmit > 1 ? 's' : ''} per submit)`;

async function stepEngine(ctx: GpuContext, family: MatmulFamily, engine: Engine, cfg: BenchConfig, req: BenchRequest): Promise<StepResult> {
  const init = benchInit(cfg.spec, cfg.batch);
  let adapter = ctx.adapterName;
  let make: () => Promise<Stepper>;
  const perSubmit = defaultStepsPerSubmit(ctx.adapterName);
  switch (engine) {
    case 'webgpu':
      make = () => webgpuStepper(ctx, init, { matmul: family, stepsPerSubmit: perSubmit });
      adapter = webgpuAdapter(ctx, family, perSubmit);
      break;
    case 'cpu-reference':
      make = () => cpuReferenceStepper(init);
      adapter = 'cpu reference (float64 JS, main thread)';
      break;
    case 'tfjs-webgpu':
    case 'tfjs-wasm': {
      const backend = engine === 'tfjs-webgpu' ? 'webgpu' : 'wasm';
      await useTfBackend(backend);
      make = () => tfjsStepper(init);
      adapter = backend === 'wasm' ? 'tfjs wasm (XNNPACK)' : `tfjs webgpu (${ctx.adapterName})`;
      break;
    }
  }
  const steps = req.steps ?? cfg.steps;
  const t = await timeSteps(make, { blockMs: req.blockMs, repeats: req.repeats, maxStepMs: req.maxStepMs, ...(steps !== undefined ? { steps } : {}) });
  return stepResult(cfg, engine, adapter, t, engine === 'webgpu' ? perSubmit : undefined);
}

/** The WebGPU plan on one configuration at each of `ks` steps per submit, timed in turns (timeInterleaved). */
async function submitSweep(ctx: GpuContext, family: MatmulFamily, cfg: BenchConfig, req: BenchRequest, ks: readonly number[]): Promise<StepResult[]> {
  const init = benchInit(cfg.spec, cfg.batch);
  const steps = req.steps ?? cfg.steps;
  const timed = await timeInterleaved(ks.map((k) => () => webgpuStepper(ctx, init, { matmul: family, stepsPerSubmit: k })),
    { blockMs: req.blockMs, repeats: req.repeats, maxStepMs: req.maxStepMs, ...(steps !== undefined ? { steps } : {}) });
  return timed.map((t, i) => stepResult(cfg, 'webgpu', webgpuAdapter(ctx, family, ks[i]!), t, ks[i]!));
}

function stepResult(cfg: BenchConfig, engine: Engine, adapter: string, t: Timed, stepsPerSubmit: number | undefined): StepResult {
  const flops = stepFlops(cfg.spec, cfg.batch);
  return {
    config: cfg.name, group: cfg.group, sizes: cfg.spec.sizes, batch: cfg.batch, engine, adapter,
    setupMs: t.setupMs, firstStepMs: t.firstStepMs, msPerStep: t.msPerStep, blocksMs: t.blocksMs, stepsPerBlock: t.stepsPerBlock, firstStepOnly: t.firstStepOnly,
    samplesPerSecond: cfg.batch / (t.msPerStep / 1000), gflops: flops / (t.msPerStep * 1e6), flopsPerStep: flops,
    ...(stepsPerSubmit !== undefined ? { stepsPerSubmit } : {}),
  };
}

function fmt(r: StepResult): string {
  return `${r.config.padEnd(22)} ${r.engine.padEnd(13)} ${r.msPerStep.toFixed(2).padStart(10)} ms/step  ${r.samplesPerSecond.toFixed(0).padStart(8)} samples/s  ` +
    `${r.gflops.toFixed(2).padStart(7)} GFLOP/s  (setup ${r.setupMs.toFixed(0)} ms, first step ${r.firstStepMs.toFixed(0)} ms, ` +
    (r.firstStepOnly ? 'FIRST STEP ONLY: an upper bound)' : `${r.blocksMs.length}×${r.stepsPerBlock} steps)`);
}

async function kernelBench(ctx: GpuContext, fam: MatmulFamily, req: BenchRequest, engines: readonly Engine[]): Promise<KernelResult[]> {
  const out: KernelResult[] = [];
  const push = (r: KernelResult) => {
    out.push(r);
    log(`kernel ${r.label.padEnd(34)} ${r.engine.padEnd(12)} ${r.kernel.padEnd(16)} ${r.ms.toFixed(3).padStart(10)} ms  ${r.gflops.toFixed(2).padStart(7)} GFLOP/s  (${r.timer}, ${r.repeats} runs)`);
  };
  for (const n of req.matmulSizes) {
    const flops = 2 * n * n * n;
    for (const id of MATMUL_VARIANTS) {
      const t = await timeMatmul(ctx, id, n, n, n);
      push({ label: `matmul ${n}³`, engine: 'webgpu', kernel: id, M: n, N: n, K: n, ms: t.ms, gflops: flops / (t.ms * 1e6), timer: t.timer, repeats: t.repeats });
      await yieldToEventLoop();
    }
    for (const engine of engines.filter((e) => e.startsWith('tfjs-'))) {
      await useTfBackend(engine === 'tfjs-webgpu' ? 'webgpu' : 'wasm');
      const t = await tfMatmulMs(n, n, n);
      push({ label: `matmul ${n}³`, engine, kernel: 'tf.matMul', M: n, N: n, K: n, ms: t.ms, gflops: flops / (t.ms * 1e6), timer: 'wall', repeats: t.repeats });
    }
  }
  if (!req.kernels) return out;
  // Every product of a training step of each issue configuration, on its own, with the family the
  // plan uses on this adapter: forward Z = A·Wᵀ, dW = dZᵀ·A, dA = dZ·W.
  const family = MATMUL_FAMILIES[fam];
  for (const cfg of req.configs.filter((c) => c.group === 'issue')) {
    const B = cfg.batch;
    for (let l = 0; l < layerCount(cfg.spec); l++) {
      const nIn = size(cfg.spec, l);
      const nOut = size(cfg.spec, l + 1);
      const shapes: [string, number, number, number, boolean, boolean][] = [
        [`L${l} forward`, B, nOut, nIn, false, true], [`L${l} dW`, nOut, nIn, B, true, false],
        ...(l > 0 ? [[`L${l} dA`, B, nIn, nOut, false, false] as [string, number, number, number, boolean, boolean]] : []),
      ];
      for (const [what, M, N, K, tA, tB] of shapes) {
        const t = await timeMatmul(ctx, family.plain, M, N, K, tA, tB);
        push({ label: `${cfg.name} ${what}`, config: cfg.name, engine: 'webgpu', kernel: family.plain, M, N, K, ms: t.ms, gflops: (2 * M * N * K) / (t.ms * 1e6), timer: t.timer, repeats: t.repeats });
      }
    }
  }
  return out;
}

async function main(): Promise<void> {
  const req = (await (await fetch('/__bench/request.json')).json()) as BenchRequest;
  const ctx = await acquireDevice();
  log(`adapter: ${ctx.adapterName}; features: ${ctx.features.join(', ') || 'none'}; timestamp-query ${ctx.features.includes('timestamp-query') ? 'used' : 'not available: kernels timed by wall clock'}`);
  const tuned = await autotuneMatmul(ctx);
  log(`autotune: ${tuned.family} matmul (${Object.entries(tuned.ms).map(([f, ms]) => `${f} ${ms.toFixed(2)} ms`).join(', ')} on 256×512×512)`);
  const steps: StepResult[] = [];
  const notes: string[] = [];
  for (const cfg of req.configs) {
    const engines = cfg.group === 'issue' ? req.engines : req.engines.filter((e) => e === 'webgpu' || e === 'cpu-reference');
    for (const engine of engines) {
      try {
        const r = await stepEngine(ctx, tuned.family, engine, cfg, req);
        steps.push(r);
        log(fmt(r));
      } catch (e) {
        const m = `${cfg.name} ${engine}: failed: ${e instanceof Error ? e.message : String(e)}`;
        notes.push(m);
        log(m);
      }
      await yieldToEventLoop();
    }
  }
  // Steps per submit: every configuration at every value, the values timed in turns.
  const sweep: StepResult[] = [];
  for (const cfg of req.stepsPerSubmit ? req.configs : []) {
    try {
      for (const r of await submitSweep(ctx, tuned.family, cfg, req, req.stepsPerSubmit ?? [])) {
        sweep.push(r);
        log(`${fmt(r)}  [${r.stepsPerSubmit ?? '?'} per submit]`);
      }
    } catch (e) {
      const m = `${cfg.name} webgpu, steps per submit ${req.stepsPerSubmit?.join(',') ?? ''}: failed: ${e instanceof Error ? e.message : String(e)}`;
      notes.push(m);
      log(m);
    }
    await yieldToEventLoop();
  }
  const kernels = await kernelBench(ctx, tuned.family, req, req.engines);
  const info = await tfInfo();
  if (!crossOriginIsolated) notes.push('TF.js WASM ran single-threaded: the page is not cross-origin isolated, so SharedArrayBuffer (and WASM threads) are unavailable.');
  const results: BenchResults = {
    date: new Date().toISOString(), adapter: ctx.adapterName, features: ctx.features, userAgent: navigator.userAgent,
    hardwareConcurrency: navigator.hardwareConcurrency, crossOriginIsolated, tfjs: info, autotune: tuned, steps, kernels, submitSweep: sweep, notes,
  };
  ctx.device.destroy();
  await hooks.__benchDone(results);
}

main().catch((e: unknown) => void hooks.__benchError(e instanceof Error ? `${e.message}\n${e.stack ?? ''}` : String(e)));
