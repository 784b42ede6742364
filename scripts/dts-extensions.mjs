// Rewrites relative '.ts' specifiers in emitted declarations to '.js' (tsc keeps them as written in
// the sources, and rewriteRelativeImportExtensions touches only JavaScript output), so a consumer's
// tsc resolves './lib/trainer.js' to lib/trainer.d.ts under any moduleResolution.
// Usage: node scripts/dts-extensions.mjs DIR
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2];
if (!dir) throw new Error('usage: node scripts/dts-extensions.mjs DIR');
const specifier = /((?:from|import)\s*\(?\s*['"])(\.{1,2}\/[^'"]+?)\.ts(['"])/g;
let files = 0;
for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
  if (!entry.isFile() || !entry.name.endsWith('.d.ts')) continue;
  const path = join(entry.parentPath, entry.name);
  const text = readFileSync(path, 'utf8');
  const out = text.replace(specifier, '$1$2.js$3');
  if (out !== text) {
    writeFileSync(path, out);
    files++;
  }
}
console.log(`dts-extensions: rewrote .ts specifiers in ${files} files under ${dir}`);
