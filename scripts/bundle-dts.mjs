// Bundles the per-module declarations tsc writes to dist/types (tsconfig.lib.json) into the package's
// two declaration files: dist/lib/index.d.ts (the main entry) and dist/lib/node.d.ts (the node entry,
// which imports every type it shares with the main entry from ./index.js rather than keeping a copy).
// TypeScript 7 has no compiler API, so the bundler is rolldown (Vite's) with rolldown-plugin-dts, which
// reads existing .d.ts files without one. What a public declaration file may not hold is checked by
// tests/node/package.test.ts on the packed files.
// Usage: node scripts/bundle-dts.mjs
import { rolldown } from 'rolldown';
import { dts } from 'rolldown-plugin-dts';

const ENTRIES = { index: 'dist/types/index.d.ts', node: 'dist/types/node.d.ts' };

const bundle = await rolldown({
  input: ENTRIES,
  // The sources import siblings as './x.ts' and tsc keeps that in declarations: read x.d.ts for it.
  resolve: { extensionAlias: { '.ts': ['.d.ts', '.ts'], '.js': ['.d.ts', '.js'] } },
  // node.d.ts imports from index.d.ts (src/node.ts re-exports a type of src/index.ts), so what both
  // reach lands in index.d.ts and node.d.ts takes it from there by its public name: no shared chunk.
  preserveEntrySignatures: 'allow-extension',
  // 'oxc' is never run (every input is a .d.ts already); it keeps the plugin from looking for tsgo.
  plugins: [dts({ dtsOnly: true, tsconfig: false, generator: 'oxc' })],
  logLevel: 'warn',
});
const { output } = await bundle.write({ dir: 'dist/lib', format: 'es' });
await bundle.close();

const chunks = output.filter((o) => o.type === 'chunk').sort((a, b) => a.fileName.localeCompare(b.fileName));
const files = output.map((o) => o.fileName).sort();
const expected = Object.keys(ENTRIES).map((name) => `${name}.d.ts`);
if (files.join() !== expected.join())
  throw new Error(`bundle-dts: expected ${expected.join(' and ')} in dist/lib, got ${files.join(', ')}`);
console.log(
  `bundle-dts: ${chunks.map((c) => `dist/lib/${c.fileName} (${(c.code.length / 1024).toFixed(1)} KiB)`).join(', ')}`,
);
