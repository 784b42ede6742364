import { defineConfig } from 'vite';

// The library for `npm pack`, as two ES modules in dist/lib, each built alone so neither imports the
// other or a shared chunk: index.js (src/index.ts, the main entry: WGSL that kernels import with `?raw`
// inlined as strings, so using it fetches no files; papaparse, MIT, its header kept, bundled in, so the
// package has no dependencies) and, with `--mode node`, node.js (src/node.ts, Node's file readers; node:
// modules stay imports). Declarations come from `tsc -p tsconfig.lib.json`, bundled into one file per entry
// by scripts/bundle-dts.mjs (npm run build:lib).
export default defineConfig(({ mode }) => {
  const node = mode === 'node';
  return {
    publicDir: false,
    logLevel: 'warn',
    build: {
      lib: { entry: node ? 'src/node.ts' : 'src/index.ts', formats: ['es'], fileName: node ? 'node' : 'index' },
      outDir: 'dist/lib',
      // The main build empties dist/lib; the node build adds to it.
      emptyOutDir: !node,
      target: node ? 'node20' : 'es2022',
      sourcemap: true,
      minify: false,
      rolldownOptions: {
        external: [/^node:/],
        // No `// shaders/x.wgsl?raw` module comments: the sourcemap says where code came from.
        experimental: { attachDebugInfo: 'none' },
      },
    },
  };
});
