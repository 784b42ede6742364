// Bundles src/cli/bench-node.ts and everything it imports (our kernels with their WGSL through Vite's
// `?raw`, TF.js) into one ESM file that plain Node runs with no node_modules: OUT/bench-node.mjs.
// Usage: node scripts/device/build-bench-node.mjs OUT
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

const root = fileURLToPath(new URL('../..', import.meta.url));
const out = resolve(process.argv[2] ?? 'build-device');
await build({
  configFile: false,
  root,
  logLevel: 'warn',
  ssr: { noExternal: true, target: 'node' },
  build: {
    ssr: 'src/cli/bench-node.ts',
    outDir: out,
    emptyOutDir: false,
    target: 'node20',
    minify: false,
    rollupOptions: {
      output: {
        format: 'es',
        entryFileNames: 'bench-node.mjs',
        codeSplitting: false,
        // TF.js WASM's Emscripten loader is CommonJS and reads __dirname / __filename under Node.
        banner:
          "import { fileURLToPath as __toPath } from 'node:url';\n" +
          "const __filename = __toPath(import.meta.url);\nconst __dirname = __toPath(new URL('.', import.meta.url));",
      },
    },
  },
});
console.log(`bundled ${out}/bench-node.mjs`);
