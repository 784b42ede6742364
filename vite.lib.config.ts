import { defineConfig } from 'vite';

// The library (src/index.ts) as one ES module in dist/lib, for `npm pack`: the WGSL that kernels import
// with `?raw` is inlined as strings, so using it fetches no files; papaparse (MIT, its header kept) is
// bundled in, so the package has no dependencies. Declarations come from `tsc -p tsconfig.lib.json` (npm run build:lib).
export default defineConfig({
  publicDir: false,
  logLevel: 'warn',
  build: {
    lib: { entry: 'src/index.ts', formats: ['es'], fileName: 'index' },
    outDir: 'dist/lib',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    minify: false,
    // No `// shaders/x.wgsl?raw` module comments: the sourcemap says where code came from.
    rolldownOptions: { experimental: { attachDebugInfo: 'none' } },
  },
});
