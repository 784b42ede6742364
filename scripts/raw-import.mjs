// Lets Node (tsx) load `import text from './file.wgsl?raw'` as Vite does, so the command line can
// import the library (whose kernels import their WGSL that way) without a bundler:
// `tsx --import ./scripts/raw-import.mjs src/cli/…`.
import { register } from 'node:module';

register('./raw-hooks.mjs', import.meta.url);
