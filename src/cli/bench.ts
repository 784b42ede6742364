// `npm run bench`: times our WebGPU plan, the float64 CPU reference and TensorFlow.js (WebGPU and
// WASM backends) on the same configurations in one headless Chromium page, plus single matmul kernels;
// writes bench-results/bench.json and a self-contained bench-results/bench.html. Served like the train
// command, through page-runner.ts.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Plugin } from 'vite';
import { runPage } from './page-runner.ts';
import { ISSUE_CONFIGS, customConfig, sweepConfigs, type BenchConfig } from '../bench/configs.ts';
import { ENGINES, type BenchRequest, type BenchResults, type Engine } from '../bench/protocol.ts';
import { derive, htmlReport, textSummary } from '../bench/report.ts';


export const BENCH_USAGE = `Usage: npm run bench -- [options]

With no options: the four configurations of issue #6 on every engine, the width / depth / batch sweeps
(WebGPU against the CPU reference), and matmul 1024³ kernel by kernel. About 10-15 minutes on SwiftShader.

  --hidden W1,W2,...   time one configuration 784-W1-W2-...-10 instead (no sweeps)
  --batch-size B       its batch size                                      (default 64)
  --only T1,T2         keep only the configurations whose name contains one of these,
                       e.g. "784-128-10 b64,12288"
  --steps K            steps per timed block (default: as many as fit in --block-ms)
  --steps-per-submit L also time the WebGPU plan of each configuration at each of these
                       training steps per submit, e.g. 1,2,4,8,16 (default: none)
  --engines LIST       comma-separated: ${ENGINES.join(',')}            (default all)
  --no-sweep           skip the width / depth / batch sweeps
  --no-kernels         skip the per-layer kernel timings of the issue configurations
  --matmul N1,N2       square matmul sizes timed kernel by kernel          (default 1024)
  --block-ms T         target wall time of one timed block                 (default 1000)
  --repeats R          timed blocks per measurement, median reported       (default 3)
  --max-step-s S       an engine whose first step takes longer is reported from that step
                       alone, marked as an upper bound                     (default 60)
  --out DIR            where bench.json and bench.html go                  (default bench-results)
  --json               print the results as one JSON object instead of text`;

export interface BenchOptions {
  hidden?: number[];
  only?: string[];
  batch: number;
  steps?: number;
  stepsPerSubmit?: number[];
  engines: Engine[];
  sweep: boolean;
  kernels: boolean;
  matmul: number[];
  blockMs: number;
  repeats: number;
  maxStepS: number;
  out: string;
  json: boolean;
  help: boolean;
}

const ints = (v: string, flag: string): number[] => v.split(',').map((t) => {
  if (!/^\d+$/.test(t.trim()) || Number(t) < 1) throw new Error(`${flag}: each value must be a positive integer, got '${t}' in '${v}'`);
  return Number(t);
});
const int1 = (v: string, flag: string): number => {
  const n = ints(v, flag);
  if (n.length !== 1) throw new Error(`${flag}: expected one positive integer, got '${v}'`);
  return n[0]!;
};

export function parseBenchArgs(argv: readonly string[]): BenchOptions {
  const o: BenchOptions = { batch: 64, engines: [...ENGINES], sweep: true, kernels: true, matmul: [1024], blockMs: 1000, repeats: 3, maxStepS: 60, out: 'bench-results', json: false, help: false };
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
      case '--help': case '-h': o.help = true; break;
      case '--hidden': o.hidden = ints(value(), flag); break;
      case '--batch-size': o.batch = int1(value(), flag); batchGiven = true; break;
      case '--only': o.only = value().split(',').map((t) => t.trim()).filter((t) => t !== ''); break;
      case '--steps': o.steps = int1(value(), flag); break;
      case '--steps-per-submit': o.stepsPerSubmit = ints(value(), flag); break;
      case '--engines': {
        const v = value();
        o.engines = v.split(',').map((e) => {
          const hit = ENGINES.find((x) => x === e.trim());
          if (!hit) throw new Error(`--engines: expected some of ${ENGINES.join(', ')}, got '${e}'`);
          return hit;
        });
        break;
      }
      case '--no-sweep': o.sweep = false; break;
      case '--no-kernels': o.kernels = false; break;
      case '--matmul': { const v = value(); o.matmul = v === 'none' ? [] : ints(v, flag); break; }
      case '--block-ms': o.blockMs = int1(value(), flag); break;
      case '--repeats': o.repeats = int1(value(), flag); break;
      case '--max-step-s': o.maxStepS = int1(value(), flag); break;
      case '--out': o.out = value(); break;
      case '--json': o.json = true; break;
      default: throw new Error(`unknown flag ${flag} (see --help)`);
    }
  }
  if (batchGiven && !o.hidden) throw new Error('--batch-size applies to the configuration given with --hidden');
  return o;
}

export function benchRequest(o: BenchOptions): BenchRequest {
  const all: BenchConfig[] = o.hidden ? [customConfig(o.hidden, o.batch)] : [...ISSUE_CONFIGS, ...(o.sweep ? sweepConfigs() : [])];
  const configs = o.only ? all.filter((c) => o.only!.some((t) => c.name.includes(t))) : all;
  if (configs.length === 0) throw new Error(`--only ${o.only!.join(',')}: no configuration matches (names: ${all.map((c) => c.name).join(', ')})`);
  return {
    configs, engines: o.engines, blockMs: o.blockMs, repeats: o.repeats, maxStepMs: o.maxStepS * 1000, matmulSizes: o.matmul, kernels: o.kernels && !o.hidden,
    ...(o.steps !== undefined ? { steps: o.steps } : {}),
    ...(o.stepsPerSubmit ? { stepsPerSubmit: o.stepsPerSubmit } : {}),
  };
}

/** Serves the request and TF.js's .wasm files (from node_modules, so nothing is fetched from a CDN). */
function benchPlugin(req: BenchRequest): Plugin {
  const wasmDir = dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
  return {
    name: 'bench-request',
    configureServer(server) {
      server.middlewares.use('/__bench', (r: IncomingMessage, res: ServerResponse) => {
        const name = (r.url ?? '').replace(/^\//, '').split('?')[0]!;
        if (name === 'request.json') {
          res.setHeader('content-type', 'application/json');
          res.end(JSON.stringify(req));
          return;
        }
        const wasm = /^wasm\/(tfjs-backend-wasm(-simd|-threaded-simd)?\.wasm)$/.exec(name);
        if (wasm) {
          res.setHeader('content-type', 'application/wasm');
          res.end(readFileSync(join(wasmDir, wasm[1]!)));
          return;
        }
        res.statusCode = 404;
        res.end(`no bench part ${name}`);
      });
    },
  };
}

export function runBench(req: BenchRequest, log: (line: string) => void): Promise<BenchResults> {
  return runPage<BenchResults>({
    path: '/src/bench/bench.html',
    plugin: benchPlugin(req),
    noTimeout: true,
    expose: (done, fail) => ({
      __benchLog: (line: string) => log(line),
      __benchDone: (r: BenchResults) => done(r),
      __benchError: (m: string) => fail(new Error(m)),
    }),
  });
}

async function main(): Promise<number> {
  let opts: BenchOptions;
  let req: BenchRequest;
  try {
    opts = parseBenchArgs(process.argv.slice(2));
    if (opts.help) {
      console.log(BENCH_USAGE);
      return 0;
    }
    req = benchRequest(opts);
  } catch (e) {
    console.error(e instanceof Error ? e.message : String(e));
    return 2;
  }
  const command = ['npm run bench', ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : [])].join(' ');
  const results = await runBench(req, (line) => { if (!opts.json) console.log(line); else console.error(line); });
  const derived = derive(results);
  mkdirSync(opts.out, { recursive: true });
  writeFileSync(join(opts.out, 'bench.json'), JSON.stringify({ command, request: req, results, derived }, null, 2) + '\n');
  writeFileSync(join(opts.out, 'bench.html'), htmlReport(results, derived, command));
  if (opts.json) process.stdout.write(JSON.stringify({ command, results, derived }) + '\n');
  else console.log(`\n${textSummary(results, derived)}\n\nwrote ${join(opts.out, 'bench.json')} and ${join(opts.out, 'bench.html')}`);
  return 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().then((code) => process.exit(code), (e: unknown) => {
    console.error(e instanceof Error ? e.message : String(e));
    process.exit(1);
  });
}
