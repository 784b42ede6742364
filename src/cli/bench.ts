// `npm run bench`: times our WebGPU plan, the float64 CPU reference and TensorFlow.js (WebGPU and
// WASM backends) on the same configurations in one headless Chromium page, plus single matmul kernels;
// writes bench-results/bench.json and a self-contained bench-results/bench.html. Served like the train
// command, through page-runner.ts.
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Plugin } from 'vite';
import { runPage } from './page-runner.ts';
import { BENCH_USAGE, benchRequest, parseBenchArgs, saveResults, type BenchOptions } from '../bench/command.ts';
import type { BenchRequest, BenchResults } from '../bench/protocol.ts';

export { BENCH_USAGE, benchRequest, parseBenchArgs, type BenchOptions };

/** Serves the request and TF.js's .wasm files (from node_modules, so nothing is fetched from a CDN),
 *  and makes the page cross-origin isolated: with COOP + COEP it gets SharedArrayBuffer, so TF.js WASM
 *  loads its threaded SIMD build with its default pool, as a user's isolated page would. */
function benchPlugin(req: BenchRequest): Plugin {
  const wasmDir = dirname(
    createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'),
  );
  return {
    name: 'bench-request',
    configureServer(server) {
      // Added before Vite's own middlewares, so every response (page, modules, .wasm) carries them;
      // everything the page loads is same-origin, so require-corp blocks nothing.
      server.middlewares.use((_r: IncomingMessage, res: ServerResponse, next: () => void) => {
        res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
        res.setHeader('Cross-Origin-Embedder-Policy', 'require-corp');
        next();
      });
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

/** --runtime browser | node, taken out of argv (the rest are the bench's own options). */
function takeRuntime(argv: string[]): 'browser' | 'node' {
  const i = argv.findIndex((a) => a === '--runtime' || a.startsWith('--runtime='));
  if (i < 0) return 'browser';
  const value = argv[i]!.includes('=') ? argv[i]!.slice('--runtime='.length) : argv[i + 1];
  argv.splice(i, argv[i]!.includes('=') ? 1 : 2);
  if (value !== 'browser' && value !== 'node') throw new Error(`--runtime: expected browser or node, got ${value}`);
  return value;
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  let runtime: 'browser' | 'node';
  let opts: BenchOptions;
  let req: BenchRequest;
  try {
    runtime = takeRuntime(argv);
    opts = parseBenchArgs(argv);
    if (opts.help) {
      console.log(
        `${BENCH_USAGE}\n  --runtime R          browser | node: headless Chromium, or Node on Dawn (npm i webgpu)`,
      );
      return 0;
    }
    req = benchRequest(opts);
  } catch (e) {
    console.error(e instanceof Error ? e.message : String(e));
    return 2;
  }
  const command = ['npm run bench', ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : [])].join(' ');
  if (runtime === 'node') return (await import('./bench-dawn.ts')).benchInNode(argv);
  const results = await runBench(req, (line) => {
    if (!opts.json) console.log(line);
    else console.error(line);
  });
  saveResults(opts, command, req, results);
  return 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().then(
    (code) => process.exit(code),
    (e: unknown) => {
      console.error(e instanceof Error ? e.message : String(e));
      process.exit(1);
    },
  );
}
