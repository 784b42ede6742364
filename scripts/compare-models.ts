// Compares the weights of model files bit for bit: `tsx scripts/compare-models.ts A.safetensors B.safetensors ...`
// (each against the first), or `--pairs DIR_A DIR_B` (every trial-<n>.safetensors of A against B's).
// Prints one line per file and exits 1 when any differs.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { decodeModel } from '../src/lib/model-file.ts';
import { layerTensors } from '../src/model.ts';

function weights(path: string): Uint32Array[] {
  return decodeModel(readFileSync(path), path).params.flatMap((l) =>
    layerTensors(l).map(([, t]) => new Uint32Array(t.buffer, t.byteOffset, t.length)),
  );
}

function same(a: string, b: string): boolean {
  const x = weights(a);
  const y = weights(b);
  return x.length === y.length && x.every((t, i) => t.length === y[i]!.length && t.every((v, j) => v === y[i]![j]));
}

const args = process.argv.slice(2);
const pairs: [string, string][] =
  args[0] === '--pairs'
    ? readdirSync(args[1]!)
        .filter((f) => f.endsWith('.safetensors'))
        .sort()
        .map((f) => [join(args[1]!, f), join(args[2]!, f)])
    : args.slice(1).map((f) => [args[0]!, f]);
let bad = 0;
for (const [a, b] of pairs) {
  const ok = same(a, b);
  if (!ok) bad++;
  console.log(`${ok ? 'identical' : 'DIFFERENT'}  ${a}  ${b}`);
}
console.log(`${pairs.length - bad} of ${pairs.length} identical`);
process.exit(bad > 0 ? 1 : 0);
