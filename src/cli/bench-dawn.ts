// `npm run bench -- --runtime node`: the benchmark in Node on Dawn. TF.js's packages cannot be imported
// by plain Node (directory imports in its ESM), so this runs what the GPU machine runs
// (docs/device-run.md): src/cli/bench-node.ts bundled by Vite, with the webgpu package's dawn.node and
// TF.js's .wasm files from node_modules. The bundle is rebuilt on every run (seconds).
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dawnNodePath } from './dawn.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Runs the bundled bench with the bench's own options; returns its exit code. */
export function benchInNode(argv: readonly string[]): number {
  const dawn = dawnNodePath();
  const out = join(ROOT, 'node_modules', '.cache', 'bench-node');
  const build = spawnSync(process.execPath, [join(ROOT, 'scripts/device/build-bench-node.mjs'), out], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  if (build.status !== 0) throw new Error(`bundling src/cli/bench-node.ts failed (exit ${build.status})`);
  const wasm = createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm');
  const run = spawnSync(
    process.execPath,
    [join(out, 'bench-node.mjs'), '--dawn', dawn, '--wasm-dir', dirname(wasm), ...argv],
    { stdio: 'inherit' },
  );
  return run.status ?? 1;
}
