// A CSV of random rows for timing at scale: `node scripts/random-csv.mjs ROWS FEATURES CLASSES [SEED] > FILE.csv`.
// Features are uniform in [0, 1] with two decimals, labels uniform in 0..CLASSES-1 (each present once
// the rows are many); seeded (mulberry32), so a file is the same everywhere.
import { createWriteStream } from 'node:fs';

const [rows, features, classes, seed = 1] = process.argv.slice(2).map(Number);
if (!(rows >= classes && features >= 1 && classes >= 2)) {
  console.error('usage: node scripts/random-csv.mjs ROWS FEATURES CLASSES [SEED] > FILE.csv');
  process.exit(2);
}
let s = seed >>> 0;
const next = () => {
  s = (s + 0x6d2b79f5) >>> 0;
  let t = Math.imul(s ^ (s >>> 15), 1 | s);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
};
const out = createWriteStream('', { fd: 1 });
const write = (line) => (out.write(line) ? Promise.resolve() : new Promise((r) => out.once('drain', r)));
await write(Array.from({ length: features }, (_, i) => `f${i}`).join(',') + ',label\n');
for (let r = 0; r < rows; r++) {
  const cells = Array.from({ length: features }, () => (Math.floor(next() * 101) / 100).toString());
  // The first CLASSES rows take each label once, so every class is present.
  await write(cells.join(',') + ',' + (r < classes ? r : Math.floor(next() * classes)) + '\n');
}
out.end();
