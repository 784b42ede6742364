// The benchmark without a browser, for GPU machines that have no Chromium (see docs/device-run.md):
// Dawn's Node bindings (the `dawn.node` of the npm package `webgpu`, loaded from a path, not a
// dependency of this project) provide navigator.gpu, and the same run.ts that the Chromium page runs
// times every engine. It only runs bundled (scripts/device/prepare.sh): the WGSL comes in through
// Vite's `?raw` imports, which tsx cannot load.
//
//   node bench-node.mjs [--dawn FILE] [--wasm-dir DIR] [--dawn-flag F]... [npm run bench options]
//
// --dawn defaults to dawn.node and --wasm-dir to the directory beside this script; --dawn-flag passes
// a Dawn option to create() (e.g. backend=vulkan, adapter=NAME, enable-dawn-features=T1,T2).
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { createRequire } from 'node:module';
import { slowDawnPoll } from './dawn-poll.ts';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BENCH_USAGE, benchRequest, parseBenchArgs, saveResults } from '../bench/command.ts';

interface DawnModule {
  create(flags: string[]): GPU;
  /** GPUBufferUsage, GPUMapMode, GPUShaderStage and the interface classes, for globalThis. */
  globals: Record<string, unknown>;
}

interface NodeOptions {
  dawn: string;
  wasmDir: string;
  dawnFlags: string[];
  rest: string[];
}

/** Takes this entry's own flags out of argv; the rest are the bench command's. */
function splitArgs(argv: readonly string[], here: string): NodeOptions {
  const o: NodeOptions = { dawn: join(here, 'dawn.node'), wasmDir: here, dawnFlags: [], rest: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const own = ['--dawn', '--wasm-dir', '--dawn-flag'].find((f) => arg === f || arg.startsWith(`${f}=`));
    if (!own) {
      o.rest.push(arg);
      continue;
    }
    const value = arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : argv[++i];
    if (value === undefined) throw new Error(`${own} needs a value`);
    if (own === '--dawn') o.dawn = resolve(value);
    else if (own === '--wasm-dir') o.wasmDir = resolve(value);
    else o.dawnFlags.push(value);
  }
  return o;
}

async function main(): Promise<number> {
  const here = dirname(fileURLToPath(import.meta.url));
  let node: NodeOptions;
  let opts: ReturnType<typeof parseBenchArgs>;
  let req: ReturnType<typeof benchRequest>;
  try {
    node = splitArgs(process.argv.slice(2), here);
    opts = parseBenchArgs(node.rest);
    req = benchRequest(opts);
  } catch (e) {
    console.error(e instanceof Error ? e.message : String(e));
    return 2;
  }
  if (opts.help) {
    console.log(
      `${BENCH_USAGE.replace('npm run bench --', 'node bench-node.mjs')}\n\n  --dawn FILE          Dawn's dawn.node (default: beside this script)\n  --wasm-dir DIR       TF.js's .wasm files (default: beside this script)\n  --dawn-flag F        a Dawn option for create(), repeatable`,
    );
    return 0;
  }
  if (!existsSync(node.dawn)) {
    console.error(`--dawn ${node.dawn}: no such file (dawn.node from the npm package 'webgpu', dist/linux-x64/)`);
    return 1;
  }
  const dawn = createRequire(import.meta.url)(node.dawn) as DawnModule;
  Object.assign(globalThis, dawn.globals);
  const gpu = dawn.create(node.dawnFlags);
  // As installDawn does (dawn.ts): on a CPU adapter, Dawn's spinning poll would take the cores the
  // device runs on, and time the spin rather than the kernels.
  if ((await gpu.requestAdapter({ powerPreference: 'high-performance' }))?.info.isFallbackAdapter) slowDawnPoll();
  // Node 20 has no navigator; Node 21+ has one without gpu.
  if (typeof navigator === 'undefined')
    Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true });
  else Object.defineProperty(navigator, 'gpu', { value: gpu, configurable: true });
  // Imported only now: our GPU modules read GPUBufferUsage and friends when they load.
  const { runBenchmark } = await import('../bench/run.ts');
  const { setTfWasmPrefix } = await import('../bench/tfjs.ts');
  setTfWasmPrefix(node.wasmDir + '/');

  const command = ['node bench-node.mjs', ...process.argv.slice(2)].join(' ');
  const results = await runBenchmark(req, {
    log: (line) => {
      if (!opts.json) console.log(line);
      else console.error(line);
    },
    userAgent: `Node ${process.version} + dawn.node (flags: ${node.dawnFlags.join(' ') || 'none'})`,
    hardwareConcurrency: availableParallelism(),
    // Node has SharedArrayBuffer without isolation; whether TF.js WASM used threads is in results.tfjs.
    crossOriginIsolated: true,
  });
  saveResults(opts, command, req, results);
  return 0;
}

// Dawn keeps the process alive while navigator.gpu is referenced, so exit explicitly.
main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e instanceof Error ? `${e.message}\n${e.stack ?? ''}` : String(e));
    process.exit(1);
  },
);
