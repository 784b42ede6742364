// The benchmark itself, wherever it runs: every engine on every configuration with one device (so all
// figures share an adapter and a moment), then single kernels. The Chromium page (bench-page.ts) and
// the browserless Node entry for GPU machines (src/cli/bench-node.ts) differ only in the BenchEnv.
import { autotuneMatmul, describeTune } from '../gpu/autotune.ts';
import { acquireDevice, type GpuContext } from '../gpu/device.ts';
import { MATMUL_FAMILIES, backwardMatmul, forwardMatmul, type KernelId, type MatmulFamily } from '../gpu/kernels.ts';
import { defaultStepsPerSubmit } from '../gpu/plan.ts';
import { layerCount, size } from '../model.ts';
import { stepFlops, type BenchConfig } from './configs.ts';
import { hostFlatness, timeHost } from './host-cost.ts';
import {
  FUSED_STEPS_PER_DISPATCH,
  benchInit,
  cpuReferenceStepper,
  fusedStepper,
  timeMatmul,
  webgpuStepper,
} from './ours.ts';
import type {
  BenchRequest,
  BenchResults,
  Engine,
  HostCostResult,
  HostFlatResult,
  KernelResult,
  StepResult,
} from './protocol.ts';
import { countsText } from './report.ts';
import { tfjsPlainStepper } from './tfjs-plain.ts';
import { tfInfo, tfjsStepper, tfMatmulMs, tfWasmLabel, tfWasmThreadsNote, useTfBackend } from './tfjs.ts';
import { timeInterleaved, timeSteps, yieldToEventLoop, type Stepper, type Timed } from './timing.ts';

/** What the host tells the benchmark: where log lines go and how it describes itself in the results. */
export interface BenchEnv {
  log(line: string): void;
  readonly userAgent: string;
  readonly hardwareConcurrency: number;
  /** False where SharedArrayBuffer (and so TF.js WASM threads) is unavailable: the results note it. */
  readonly crossOriginIsolated: boolean;
}

/** Square matmul variants of ours timed on their own: the families' plain products and the baseline in
 *  A·B, and each vec4 kernel (fixed orientation) beside the blocked kernel in that orientation. */
const MATMUL_VARIANTS: readonly [KernelId, boolean, boolean][] = [
  ['matmulTiled', false, false],
  ['matmulTiled8', false, false],
  ['matmulBlocked', false, false],
  ['matmulNaive', false, false],
  ['matmulVec4NN', false, false],
  ['matmulBlocked', false, true],
  ['matmulVec4NT', false, true],
  ['matmulBlocked', true, false],
  ['matmulVec4TN', true, false],
];
const orientationLabel = (tA: boolean, tB: boolean) => (tA ? 'Aᵀ·B' : tB ? 'A·Bᵀ' : 'A·B');

const webgpuAdapter = (ctx: GpuContext, family: MatmulFamily, perSubmit: number) =>
  `${ctx.adapterName} (${family} matmul, ${perSubmit} step${perSubmit > 1 ? 's' : ''} per submit)`;
const fusedAdapter = (ctx: GpuContext) =>
  `${ctx.adapterName} (fused step, ${FUSED_STEPS_PER_DISPATCH} steps per dispatch)`;

/** The engines timed on a configuration: all asked for on 'issue' and 'small' ones (the fused step on
 *  'small' ones only: the issue configurations are outside its envelope), our plan and the CPU
 *  reference on the sweeps. */
function enginesFor(cfg: BenchConfig, engines: readonly Engine[]): Engine[] {
  if (cfg.group === 'small') return [...engines];
  if (cfg.group === 'issue') return engines.filter((e) => e !== 'webgpu-fused');
  return engines.filter((e) => e === 'webgpu' || e === 'cpu-reference');
}

async function stepEngine(
  ctx: GpuContext,
  family: MatmulFamily,
  engine: Engine,
  cfg: BenchConfig,
  req: BenchRequest,
): Promise<StepResult> {
  const init = benchInit(cfg.spec, cfg.batch);
  let adapter = ctx.adapterName;
  let make: () => Promise<Stepper>;
  const perSubmit = defaultStepsPerSubmit(ctx.adapterName);
  switch (engine) {
    case 'webgpu':
      make = () => webgpuStepper(ctx, init, { matmul: family, stepsPerSubmit: perSubmit });
      adapter = webgpuAdapter(ctx, family, perSubmit);
      break;
    case 'webgpu-fused':
      make = () => fusedStepper(ctx, init);
      adapter = fusedAdapter(ctx);
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
      adapter = backend === 'wasm' ? await tfWasmLabel(false) : `tfjs webgpu (${ctx.adapterName})`;
      break;
    }
    case 'tfjs-wasm-plain':
      await useTfBackend('wasm');
      make = () => tfjsPlainStepper(cfg.spec, cfg.batch);
      adapter = await tfWasmLabel(true);
      break;
  }
  const steps = req.steps ?? cfg.steps;
  const t = await timeSteps(make, {
    blockMs: req.blockMs,
    repeats: req.repeats,
    maxStepMs: req.maxStepMs,
    ...(steps !== undefined ? { steps } : {}),
  });
  const perSubmitOf =
    engine === 'webgpu' ? perSubmit : engine === 'webgpu-fused' ? FUSED_STEPS_PER_DISPATCH : undefined;
  return stepResult(cfg, engine, adapter, t, perSubmitOf);
}

/** TF.js WASM as the bench writes it and the plain hand-written step (tfjs-plain.ts), timed in turns
 *  (timeInterleaved) so that their ratio, the check on the bench's fairness to TF.js, holds under a
 *  drifting load. */
async function tfjsWasmWithPlain(cfg: BenchConfig, req: BenchRequest): Promise<StepResult[]> {
  await useTfBackend('wasm');
  const init = benchInit(cfg.spec, cfg.batch);
  const steps = req.steps ?? cfg.steps;
  const [bench, plain] = await timeInterleaved([() => tfjsStepper(init), () => tfjsPlainStepper(cfg.spec, cfg.batch)], {
    blockMs: req.blockMs,
    repeats: req.repeats,
    maxStepMs: req.maxStepMs,
    ...(steps !== undefined ? { steps } : {}),
  });
  return [
    stepResult(cfg, 'tfjs-wasm', await tfWasmLabel(false), bench!, undefined),
    stepResult(cfg, 'tfjs-wasm-plain', await tfWasmLabel(true), plain!, undefined),
  ];
}

/** Our layered plan and our fused step on one small configuration, timed in turns (timeInterleaved), so
 *  that their ratio holds under a drifting load. */
async function layeredWithFused(
  ctx: GpuContext,
  family: MatmulFamily,
  cfg: BenchConfig,
  req: BenchRequest,
): Promise<StepResult[]> {
  const init = benchInit(cfg.spec, cfg.batch);
  const perSubmit = defaultStepsPerSubmit(ctx.adapterName);
  const steps = req.steps ?? cfg.steps;
  const [layered, fused] = await timeInterleaved(
    [() => webgpuStepper(ctx, init, { matmul: family, stepsPerSubmit: perSubmit }), () => fusedStepper(ctx, init)],
    { blockMs: req.blockMs, repeats: req.repeats, maxStepMs: req.maxStepMs, ...(steps !== undefined ? { steps } : {}) },
  );
  return [
    stepResult(cfg, 'webgpu', webgpuAdapter(ctx, family, perSubmit), layered!, perSubmit),
    stepResult(cfg, 'webgpu-fused', fusedAdapter(ctx), fused!, FUSED_STEPS_PER_DISPATCH),
  ];
}

/** The WebGPU plan on one configuration at each of `ks` steps per submit, timed in turns (timeInterleaved). */
async function submitSweep(
  ctx: GpuContext,
  family: MatmulFamily,
  cfg: BenchConfig,
  req: BenchRequest,
  ks: readonly number[],
): Promise<StepResult[]> {
  const init = benchInit(cfg.spec, cfg.batch);
  const steps = req.steps ?? cfg.steps;
  const timed = await timeInterleaved(
    ks.map((k) => () => webgpuStepper(ctx, init, { matmul: family, stepsPerSubmit: k })),
    { blockMs: req.blockMs, repeats: req.repeats, maxStepMs: req.maxStepMs, ...(steps !== undefined ? { steps } : {}) },
  );
  return timed.map((t, i) => stepResult(cfg, 'webgpu', webgpuAdapter(ctx, family, ks[i]!), t, ks[i]!));
}

function stepResult(
  cfg: BenchConfig,
  engine: Engine,
  adapter: string,
  t: Timed,
  stepsPerSubmit: number | undefined,
): StepResult {
  const flops = stepFlops(cfg.spec, cfg.batch);
  return {
    config: cfg.name,
    group: cfg.group,
    sizes: cfg.spec.sizes,
    batch: cfg.batch,
    engine,
    adapter,
    setupMs: t.setupMs,
    firstStepMs: t.firstStepMs,
    msPerStep: t.msPerStep,
    blocksMs: t.blocksMs,
    stepsPerBlock: t.stepsPerBlock,
    firstStepOnly: t.firstStepOnly,
    samplesPerSecond: cfg.batch / (t.msPerStep / 1000),
    gflops: flops / (t.msPerStep * 1e6),
    flopsPerStep: flops,
    ...(stepsPerSubmit !== undefined ? { stepsPerSubmit } : {}),
  };
}

function fmt(r: StepResult): string {
  return (
    `${r.config.padEnd(22)} ${r.engine.padEnd(13)} ${r.msPerStep.toFixed(2).padStart(10)} ms/step  ${r.samplesPerSecond.toFixed(0).padStart(8)} samples/s  ` +
    `${r.gflops.toFixed(2).padStart(7)} GFLOP/s  (setup ${r.setupMs.toFixed(0)} ms, first step ${r.firstStepMs.toFixed(0)} ms, ` +
    (r.firstStepOnly ? 'FIRST STEP ONLY: an upper bound)' : `${r.blocksMs.length}×${r.stepsPerBlock} steps)`)
  );
}

/** Steps per reported block of the long-run host cost check. */
const HOST_REPORT_STEPS = 1000;

/** Host cost of our step (host-cost.ts) on every issue and small configuration (the fused step too on
 *  small ones), then the long run on the first configuration when asked for. */
async function hostBench(
  ctx: GpuContext,
  family: MatmulFamily,
  req: BenchRequest,
  log: (line: string) => void,
  notes: string[],
): Promise<{ hostCost: HostCostResult[]; hostFlat?: HostFlatResult }> {
  const hostCost: HostCostResult[] = [];
  const h = req.hostCost;
  if (!h) return { hostCost };
  const perSubmit = defaultStepsPerSubmit(ctx.adapterName);
  const make = (cfg: BenchConfig, fused = false) => {
    const init = benchInit(cfg.spec, cfg.batch);
    return fused
      ? () => fusedStepper(ctx, init)
      : () => webgpuStepper(ctx, init, { matmul: family, stepsPerSubmit: perSubmit });
  };
  // The layered plan on issue and small configurations, the fused step too on small ones.
  const runs = req.configs.flatMap((cfg) =>
    cfg.group === 'issue' || cfg.group === 'small'
      ? [{ cfg, fused: false }, ...(cfg.group === 'small' ? [{ cfg, fused: true }] : [])]
      : [],
  );
  for (const { cfg, fused } of runs) {
    const engine = fused ? 'webgpu-fused' : 'webgpu';
    try {
      const t = await timeHost(make(cfg, fused), h);
      const r: HostCostResult = {
        config: cfg.name,
        ...(fused ? { engine: 'webgpu-fused' as const } : {}),
        sizes: cfg.spec.sizes,
        batch: cfg.batch,
        adapter: fused ? fusedAdapter(ctx) : webgpuAdapter(ctx, family, perSubmit),
        stepsPerSubmit: fused ? FUSED_STEPS_PER_DISPATCH : perSubmit,
        ...t,
      };
      hostCost.push(r);
      log(
        `host ${r.config.padEnd(22)} ${engine} ${r.jsMsPerStep.toFixed(4).padStart(8)} ms JS/step (${r.blocksMs.length}×${r.stepsPerBlock} steps: ` +
          `${Math.min(...r.blocksMs).toFixed(4)}–${Math.max(...r.blocksMs).toFixed(4)}, mean ${r.meanMsPerStep.toFixed(4)}; lead ${r.firstAfterDrainMs.toFixed(3)} ms; step wall ${r.stepWallMs.toFixed(1)} ms)  ${countsText(r.perStep)}`,
      );
    } catch (e) {
      const m = `${cfg.name} ${engine} host cost: failed: ${e instanceof Error ? e.message : String(e)}`;
      notes.push(m);
      log(m);
    }
    await yieldToEventLoop();
  }
  const cfg = req.configs[0];
  if (!h.flatSteps || !cfg) return { hostCost };
  try {
    log(
      `host ${cfg.name}: ${h.flatSteps} steps in chunks of ${h.blockSteps}, JS time reported per ${HOST_REPORT_STEPS} steps ...`,
    );
    const f = await hostFlatness(make(cfg), h.flatSteps, HOST_REPORT_STEPS, h.blockSteps);
    const hostFlat: HostFlatResult = { config: cfg.name, ...f };
    log(
      `host ${cfg.name} over ${f.steps} steps: ${f.blocksMs.map((m) => m.toFixed(4)).join(' ')} ms JS/step per ${f.reportSteps} steps (median of chunks; ${f.wallS.toFixed(0)} s wall)  ${countsText(f.perStep)}`,
    );
    return { hostCost, hostFlat };
  } catch (e) {
    const m = `${cfg.name} webgpu host cost over ${h.flatSteps} steps: failed: ${e instanceof Error ? e.message : String(e)}`;
    notes.push(m);
    log(m);
    return { hostCost };
  }
}

async function kernelBench(
  ctx: GpuContext,
  fam: MatmulFamily,
  req: BenchRequest,
  engines: readonly Engine[],
  env: BenchEnv,
): Promise<KernelResult[]> {
  const out: KernelResult[] = [];
  const push = (r: KernelResult) => {
    out.push(r);
    env.log(
      `kernel ${r.label.padEnd(34)} ${r.engine.padEnd(12)} ${r.kernel.padEnd(16)} ${r.ms.toFixed(3).padStart(10)} ms  ${r.gflops.toFixed(2).padStart(7)} GFLOP/s  (${r.timer}, ${r.repeats} runs)`,
    );
  };
  for (const n of req.matmulSizes) {
    const flops = 2 * n * n * n;
    for (const [id, tA, tB] of MATMUL_VARIANTS) {
      const t = await timeMatmul(ctx, id, n, n, n, tA, tB);
      const label = tA || tB ? `matmul ${n}³ ${orientationLabel(tA, tB)}` : `matmul ${n}³`;
      push({
        label,
        engine: 'webgpu',
        kernel: id,
        M: n,
        N: n,
        K: n,
        ms: t.ms,
        gflops: flops / (t.ms * 1e6),
        timer: t.timer,
        repeats: t.repeats,
      });
      await yieldToEventLoop();
    }
    for (const engine of engines.filter((e) => e === 'tfjs-webgpu' || e === 'tfjs-wasm')) {
      await useTfBackend(engine === 'tfjs-webgpu' ? 'webgpu' : 'wasm');
      const t = await tfMatmulMs(n, n, n);
      push({
        label: `matmul ${n}³`,
        engine,
        kernel: 'tf.matMul',
        M: n,
        N: n,
        K: n,
        ms: t.ms,
        gflops: flops / (t.ms * 1e6),
        timer: 'wall',
        repeats: t.repeats,
      });
    }
  }
  if (!req.kernels) return out;
  // Every product of a training step of each issue configuration, on its own, with the kernel the plan
  // uses on this adapter (forwardMatmul, backwardMatmul) and, where that is a vec4 kernel, the family's
  // scalar one beside it: forward Z = A·Wᵀ, dW = dZᵀ·A, dA = dZ·W.
  const scalar = MATMUL_FAMILIES[fam].plain;
  for (const cfg of req.configs.filter((c) => c.group === 'issue')) {
    const B = cfg.batch;
    for (let l = 0; l < layerCount(cfg.spec); l++) {
      const nIn = size(cfg.spec, l);
      const nOut = size(cfg.spec, l + 1);
      const bwd = backwardMatmul(fam, nIn, nOut);
      const shapes: [string, KernelId, number, number, number, boolean, boolean][] = [
        [`L${l} forward`, forwardMatmul(fam, nIn).plain, B, nOut, nIn, false, true],
        [`L${l} dW`, bwd.dW.id, nOut, nIn, B, true, false],
        ...(l > 0
          ? [
              [`L${l} dA`, bwd.dA.plain, B, nIn, nOut, false, false] as [
                string,
                KernelId,
                number,
                number,
                number,
                boolean,
                boolean,
              ],
            ]
          : []),
      ];
      for (const [what, planId, M, N, K, tA, tB] of shapes) {
        for (const id of planId === scalar ? [scalar] : [scalar, planId]) {
          const t = await timeMatmul(ctx, id, M, N, K, tA, tB);
          push({
            label: `${cfg.name} ${what}`,
            config: cfg.name,
            engine: 'webgpu',
            kernel: id,
            M,
            N,
            K,
            ms: t.ms,
            gflops: (2 * M * N * K) / (t.ms * 1e6),
            timer: t.timer,
            repeats: t.repeats,
          });
        }
      }
    }
  }
  return out;
}

export async function runBenchmark(req: BenchRequest, env: BenchEnv): Promise<BenchResults> {
  const { log } = env;
  const ctx = await acquireDevice();
  log(
    `adapter: ${ctx.adapterName}; features: ${ctx.features.join(', ') || 'none'}; timestamp-query ${ctx.features.includes('timestamp-query') ? 'used' : 'not available: kernels timed by wall clock'}`,
  );
  const tuned = await autotuneMatmul(ctx);
  log(describeTune(tuned, ctx.adapterName));
  const family = req.family ?? tuned.family;
  if (req.family) log(`matmul ${family} for our steps and kernels (--family; the autotune chose ${tuned.family})`);
  const steps: StepResult[] = [];
  const notes: string[] = [];
  for (const cfg of req.configs) {
    const engines = enginesFor(cfg, req.engines);
    const paired = engines.includes('tfjs-wasm') && engines.includes('tfjs-wasm-plain');
    const ours = engines.includes('webgpu') && engines.includes('webgpu-fused');
    for (const engine of engines) {
      if (paired && engine === 'tfjs-wasm-plain') continue; // timed in turns with tfjs-wasm
      if (ours && engine === 'webgpu-fused') continue; // timed in turns with webgpu
      try {
        const rs =
          paired && engine === 'tfjs-wasm'
            ? await tfjsWasmWithPlain(cfg, req)
            : ours && engine === 'webgpu'
              ? await layeredWithFused(ctx, family, cfg, req)
              : [await stepEngine(ctx, family, engine, cfg, req)];
        for (const r of rs) {
          steps.push(r);
          log(fmt(r));
        }
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
      for (const r of await submitSweep(ctx, family, cfg, req, req.stepsPerSubmit ?? [])) {
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
  const host = await hostBench(ctx, family, req, log, notes);
  const kernels = await kernelBench(ctx, family, req, req.engines, env);
  const info = await tfInfo();
  if (req.engines.some((e) => e.startsWith('tfjs'))) {
    const threads = tfWasmThreadsNote(info, env.crossOriginIsolated, env.hardwareConcurrency);
    log(threads);
    notes.push(threads);
  }
  const results: BenchResults = {
    date: new Date().toISOString(),
    adapter: ctx.adapterName,
    features: ctx.features,
    userAgent: env.userAgent,
    hardwareConcurrency: env.hardwareConcurrency,
    crossOriginIsolated: env.crossOriginIsolated,
    tfjs: info,
    autotune: tuned,
    family,
    steps,
    kernels,
    submitSweep: sweep,
    ...host,
    notes,
  };
  ctx.device.destroy();
  return results;
}
