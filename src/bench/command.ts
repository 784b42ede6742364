// The bench command's options and request, shared by `npm run bench` (src/cli/bench.ts, Chromium) and
// the browserless Node entry for GPU machines (src/cli/bench-node.ts); kept free of Vite and Playwright
// so the Node entry bundles without them.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MatmulFamily } from '../index.ts';
import { ISSUE_CONFIGS, SMALL_CONFIGS, customConfig, sweepConfigs, type BenchConfig } from './configs.ts';
import { ENGINES, type BenchRequest, type BenchResults, type Engine } from './protocol.ts';
import { derive, htmlReport, textSummary } from './report.ts';

// Spelt out rather than read from kernels.ts, which imports WGSL through Vite (this file runs under tsx).
const FAMILIES = ['tiled', 'tiled8', 'blocked'] as const satisfies readonly MatmulFamily[];

export const BENCH_USAGE = `Usage: npm run bench -- [options]

With no options: the four configurations of issue #6 and the four small networks of issue 19 (moons,
cancer-like, iris-like, the fused envelope's edge; our fused step timed too) on every engine, the host
cost of our step on each of them, the width / depth / batch sweeps (WebGPU against the CPU reference),
and matmul 1024³ kernel by kernel. About 15 minutes on SwiftShader.

  --small              only the small networks: every engine and their host cost, no sweeps,
                       per-layer kernels or matmul timings (a few minutes)
  --hidden W1,W2,...   time one configuration 784-W1-W2-...-10 instead (no sweeps)
  --batch-size B       its batch size                                      (default 64)
  --only T1,T2         keep only the configurations whose name contains one of these,
                       e.g. "784-128-10 b64,12288"
  --steps K            steps per timed block (default: as many as fit in --block-ms)
  --steps-per-submit L also time the WebGPU plan of each configuration at each of these
                       training steps per submit, e.g. 1,2,4,8,16 (default: none)
  --engines LIST       comma-separated: ${ENGINES.join(',')}
                       (default all; tfjs-wasm-plain, the plainest hand-written TF.js step,
                       is timed in turns with tfjs-wasm as a check on the bench's TF.js step)
  --no-sweep           skip the width / depth / batch sweeps
  --no-kernels         skip the per-layer kernel timings (issue configurations, or the --hidden one)
  --matmul N1,N2       square matmul sizes timed kernel by kernel          (default 1024)
  --family F           time our training steps with this matmul family instead of the
                       autotune's choice: ${FAMILIES.join(' | ')}
  --block-ms T         target wall time of one timed block                 (default 1000)
  --repeats R          timed blocks per measurement, median reported       (default 3)
  --max-step-s S       an engine whose first step takes longer is reported from that step
                       alone, marked as an upper bound                     (default 60)
  --no-host-cost       skip the host cost of our step: the JS time of step() (encode, uniforms,
                       submit; the GPU work drained between blocks, outside the timing) and the
                       dispatches, bind-group sets, buffer writes and submits per step
  --host-only          only that host cost, on our WebGPU engine alone (no step timings,
                       sweeps or kernels); with --only or --hidden as usual
  --host-blocks R      timed blocks of the host cost, median reported      (default 9)
  --host-block K       steps per block at most, fewer where K steps would take over 5 s
                       of wall time, GPU included                          (default 50)
  --host-steps N       also N steps of the first configuration, in blocks of K drained between,
                       JS time reported per 1,000 steps (is it flat over a long run?)
  --out DIR            where bench.json and bench.html go                  (default bench-results)
  --json               print the results as one JSON object instead of text`;

export interface BenchOptions {
  hidden?: number[];
  only?: string[];
  small: boolean;
  batch: number;
  steps?: number;
  stepsPerSubmit?: number[];
  engines: Engine[];
  sweep: boolean;
  kernels: boolean;
  matmul: number[];
  family?: MatmulFamily;
  blockMs: number;
  repeats: number;
  maxStepS: number;
  hostCost: boolean;
  hostOnly: boolean;
  hostBlocks: number;
  hostBlock: number;
  hostSteps?: number;
  out: string;
  json: boolean;
  help: boolean;
}

const ints = (v: string, flag: string): number[] =>
  v.split(',').map((t) => {
    if (!/^\d+$/.test(t.trim()) || Number(t) < 1)
      throw new Error(`${flag}: each value must be a positive integer, got '${t}' in '${v}'`);
    return Number(t);
  });
const int1 = (v: string, flag: string): number => {
  const n = ints(v, flag);
  if (n.length !== 1) throw new Error(`${flag}: expected one positive integer, got '${v}'`);
  return n[0]!;
};

export function parseBenchArgs(argv: readonly string[]): BenchOptions {
  const o: BenchOptions = {
    small: false,
    batch: 64,
    engines: [...ENGINES],
    sweep: true,
    kernels: true,
    matmul: [1024],
    blockMs: 1000,
    repeats: 3,
    maxStepS: 60,
    hostCost: true,
    hostOnly: false,
    hostBlocks: 9,
    hostBlock: 50,
    out: 'bench-results',
    json: false,
    help: false,
  };
  let batchGiven = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const eq = arg.indexOf('=');
    const flag = eq < 0 ? arg : arg.slice(0, eq);
    const value = (): string => {
      if (eq >= 0) return arg.slice(eq + 1);
      const next = argv[++i];
      if (next === undefined || next.startsWith('--')) throw new Error(`${flag} needs a value`);
      return next;
    };
    switch (flag) {
      case '--help':
      case '-h':
        o.help = true;
        break;
      case '--hidden':
        o.hidden = ints(value(), flag);
        break;
      case '--batch-size':
        o.batch = int1(value(), flag);
        batchGiven = true;
        break;
      case '--small':
        o.small = true;
        break;
      case '--only':
        o.only = value()
          .split(',')
          .map((t) => t.trim())
          .filter((t) => t !== '');
        break;
      case '--steps':
        o.steps = int1(value(), flag);
        break;
      case '--steps-per-submit':
        o.stepsPerSubmit = ints(value(), flag);
        break;
      case '--engines': {
        const v = value();
        o.engines = v.split(',').map((e) => {
          const hit = ENGINES.find((x) => x === e.trim());
          if (!hit) throw new Error(`--engines: expected some of ${ENGINES.join(', ')}, got '${e}'`);
          return hit;
        });
        break;
      }
      case '--no-sweep':
        o.sweep = false;
        break;
      case '--no-kernels':
        o.kernels = false;
        break;
      case '--matmul': {
        const v = value();
        o.matmul = v === 'none' ? [] : ints(v, flag);
        break;
      }
      case '--family': {
        const v = value();
        const hit = FAMILIES.find((f) => f === v);
        if (!hit) throw new Error(`--family: expected one of ${FAMILIES.join(', ')}, got '${v}'`);
        o.family = hit;
        break;
      }
      case '--block-ms':
        o.blockMs = int1(value(), flag);
        break;
      case '--repeats':
        o.repeats = int1(value(), flag);
        break;
      case '--max-step-s':
        o.maxStepS = int1(value(), flag);
        break;
      case '--no-host-cost':
        o.hostCost = false;
        break;
      case '--host-only':
        o.hostOnly = true;
        break;
      case '--host-blocks':
        o.hostBlocks = int1(value(), flag);
        break;
      case '--host-block':
        o.hostBlock = int1(value(), flag);
        break;
      case '--host-steps':
        o.hostSteps = int1(value(), flag);
        break;
      case '--out':
        o.out = value();
        break;
      case '--json':
        o.json = true;
        break;
      default:
        throw new Error(`unknown flag ${flag} (see --help)`);
    }
  }
  if (o.small && o.hidden) throw new Error('--small and --hidden each choose the configurations: give one');
  if (batchGiven && !o.hidden) throw new Error('--batch-size applies to the configuration given with --hidden');
  if (o.hostOnly && !o.hostCost) throw new Error('--host-only and --no-host-cost ask for opposite things');
  if (o.hostSteps !== undefined && !o.hostCost)
    throw new Error('--host-steps is part of the host cost, which --no-host-cost skips');
  if (o.hostSteps !== undefined && !o.hostOnly && !o.engines.includes('webgpu'))
    throw new Error('--host-steps measures our webgpu engine: add it to --engines (or use --host-only)');
  return o;
}

/** Wall time, GPU included, one block of the host cost may take. On SwiftShader: 50 steps of
 *  784-128-10 b64, 3-7 of 784-512-512-10 b256, 11-19 of 12288-20-7-5-1 b209 (fewer steps let one GC
 *  pause or preemption decide a block), one of 784-2048x3-10 b512. */
const HOST_BLOCK_MS = 5000;

export function benchRequest(o: BenchOptions): BenchRequest {
  // --host-only keeps its issue configurations unless --small asks for the small ones.
  const all: BenchConfig[] = o.hidden
    ? [customConfig(o.hidden, o.batch)]
    : o.small
      ? [...SMALL_CONFIGS]
      : [...ISSUE_CONFIGS, ...(o.hostOnly ? [] : SMALL_CONFIGS), ...(o.sweep && !o.hostOnly ? sweepConfigs() : [])];
  const configs = o.only ? all.filter((c) => o.only!.some((t) => c.name.includes(t))) : all;
  if (configs.length === 0)
    throw new Error(
      `--only ${o.only!.join(',')}: no configuration matches (names: ${all.map((c) => c.name).join(', ')})`,
    );
  const host = o.hostOnly || (o.hostCost && o.engines.includes('webgpu'));
  return {
    configs,
    engines: o.hostOnly ? [] : o.engines,
    blockMs: o.blockMs,
    repeats: o.repeats,
    maxStepMs: o.maxStepS * 1000,
    matmulSizes: o.hostOnly || o.small ? [] : o.matmul,
    kernels: o.kernels && !o.hostOnly && !o.small,
    ...(o.steps !== undefined ? { steps: o.steps } : {}),
    ...(o.family ? { family: o.family } : {}),
    ...(o.stepsPerSubmit && !o.hostOnly ? { stepsPerSubmit: o.stepsPerSubmit } : {}),
    ...(host
      ? {
          hostCost: {
            blocks: o.hostBlocks,
            blockSteps: o.hostBlock,
            blockMs: HOST_BLOCK_MS,
            ...(o.hostSteps !== undefined ? { flatSteps: o.hostSteps } : {}),
          },
        }
      : {}),
  };
}

/** Writes bench.json and bench.html into o.out and prints the summary (or the JSON line with --json). */
export function saveResults(o: BenchOptions, command: string, req: BenchRequest, results: BenchResults): void {
  const derived = derive(results);
  mkdirSync(o.out, { recursive: true });
  writeFileSync(join(o.out, 'bench.json'), JSON.stringify({ command, request: req, results, derived }, null, 2) + '\n');
  writeFileSync(join(o.out, 'bench.html'), htmlReport(results, derived, command));
  if (o.json) process.stdout.write(JSON.stringify({ command, results, derived }) + '\n');
  else
    console.log(
      `\n${textSummary(results, derived)}\n\nwrote ${join(o.out, 'bench.json')} and ${join(o.out, 'bench.html')}`,
    );
}
