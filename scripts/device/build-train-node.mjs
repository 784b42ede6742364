// Bundles src/cli/train.ts (npm run train) and everything it imports (our kernels with their WGSL
// through Vite's `?raw`) into OUT/train/train-node.mjs, which plain Node runs with no node_modules:
// `node train-node.mjs --runtime node ...` on the GPU machine (docs/device-run.md). Vite and Playwright,
// which only --runtime browser loads, stay outside the bundle, in a chunk that is never imported there.
// Usage: node scripts/device/build-train-node.mjs OUT
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

const root = fileURLToPath(new URL('../..', import.meta.url));
const out = resolve(process.argv[2] ?? 'build-device', 'train');
await build({
  configFile: false,
  root,
  logLevel: 'warn',
  ssr: { noExternal: true, external: ['vite', 'playwright'], target: 'node' },
  build: {
    ssr: 'src/cli/train.ts',
    outDir: out,
    emptyOutDir: true,
    target: 'node20',
    minify: false,
    rollupOptions: {
      external: ['vite', 'playwright'],
      output: { format: 'es', entryFileNames: 'train-node.mjs', chunkFileNames: '[name]-[hash].mjs' },
    },
  },
});
console.log(`bundled ${out}/train-node.mjs`);
