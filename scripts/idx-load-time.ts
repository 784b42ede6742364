// Load time and peak memory of the CLI's IDX reader at MNIST's full size: writes 60,000 + 10,000
// random 28×28 uint8 images with labels as the four gzipped IDX files into a temporary directory, then
// times loadIdxDir (gunzip, parse, ÷255 into float32) in a fresh process and reports its peak RSS.
// Usage: npx tsx --import ./scripts/raw-import.mjs scripts/idx-load-time.ts
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { idxFile } from '../tests/node/array-files.ts';

if (process.argv[2] === '--load') {
  const { loadIdxDir } = await import('../src/node.ts');
  const t0 = performance.now();
  const { data } = loadIdxDir(process.argv[3]!);
  const ms = performance.now() - t0;
  if (!('train' in data)) throw new Error('expected a given train/test split');
  const bytes = data.train.x.byteLength + data.test.x.byteLength;
  const rss = process.resourceUsage().maxRSS * 1024;
  console.log(
    `${data.train.n} + ${data.test.n} rows in ${ms.toFixed(0)} ms; float32 data ${(bytes / 2 ** 20).toFixed(0)} MiB; peak RSS ${(rss / 2 ** 20).toFixed(0)} MiB (${(rss / bytes).toFixed(2)}× the data)`,
  );
} else {
  const dir = mkdtempSync(join(tmpdir(), 'idx60k-'));
  let s = 1;
  const byte = () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) >>> 24;
  for (const [name, n] of [
    ['train', 60000],
    ['t10k', 10000],
  ] as const) {
    writeFileSync(
      join(dir, `${name}-images-idx3-ubyte.gz`),
      gzipSync(idxFile([n, 28, 28], Uint8Array.from({ length: n * 784 }, byte))),
    );
    writeFileSync(
      join(dir, `${name}-labels-idx1-ubyte.gz`),
      gzipSync(
        idxFile(
          [n],
          Uint8Array.from({ length: n }, (_, i) => i % 10),
        ),
      ),
    );
  }
  for (let i = 0; i < 3; i++) {
    process.stdout.write(
      execFileSync(
        process.execPath,
        ['--import', 'tsx', '--import', './scripts/raw-import.mjs', 'scripts/idx-load-time.ts', '--load', dir],
        { encoding: 'utf8' },
      ),
    );
  }
}
