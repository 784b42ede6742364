// Measures the CSV reader on a generated numeric file: MB/s (wall clock and per CPU second) and peak RSS
// against the float32 size of the table. Usage: npx tsx scripts/csv-throughput.ts [--mb 200] [--file
// PATH] [--papaparse] (the file is generated once, if missing: 9 features with 6 decimals and an
// integer label 0..4, seeded; --papaparse sends every window through papaparse, for comparison).
import { closeSync, existsSync, openSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCsvFile } from '../src/data/csv-file.ts';

const arg = (flag: string, fallback: string) => {
  const i = process.argv.indexOf(flag);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
};
const mb = Number(arg('--mb', '200'));
const file = arg('--file', join(tmpdir(), `csv-throughput-${mb}mb.csv`));

if (!existsSync(file)) {
  const fd = openSync(file, 'w');
  let state = 12345;
  const rand = () => (state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32;
  writeSync(fd, 'f1,f2,f3,f4,f5,f6,f7,f8,f9,label\n');
  let bytes = 0;
  while (bytes < mb * 1e6) {
    const lines: string[] = [];
    for (let i = 0; i < 10000; i++) {
      const row: string[] = [];
      for (let j = 0; j < 9; j++) row.push((rand() * 20 - 10).toFixed(6));
      row.push(String(Math.floor(rand() * 5)));
      lines.push(row.join(','));
    }
    const chunk = lines.join('\n') + '\n';
    writeSync(fd, chunk);
    bytes += chunk.length;
  }
  closeSync(fd);
}

const size = statSync(file).size;
const rssBefore = process.memoryUsage().rss;
const cpu0 = process.cpuUsage();
const t0 = performance.now();
const { dataset: d } = readCsvFile(file, {}, '--file', !process.argv.includes('--papaparse'));
const seconds = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
const cpuSeconds = (cpu.user + cpu.system) / 1e6;
const peak = process.resourceUsage().maxRSS * 1024;
const f32 = d.n * (d.features + 1) * 4;
const MiB = (b: number) => `${(b / 2 ** 20).toFixed(0)} MiB`;
console.log(
  `${file}: ${(size / 1e6).toFixed(0)} MB, ${d.n} rows x ${d.features + 1} columns in ${seconds.toFixed(2)} s: ${(size / 1e6 / seconds).toFixed(1)} MB/s ` +
    `(${cpuSeconds.toFixed(2)} s of CPU time: ${(size / 1e6 / cpuSeconds).toFixed(1)} MB/s per CPU second; load average ${(await import('node:os')).loadavg()[0]!.toFixed(1)})`,
);
console.log(
  `peak RSS ${MiB(peak)} (${MiB(rssBefore)} before reading) = ${(peak / f32).toFixed(2)}x the float32 table (${MiB(f32)}); ${((peak - rssBefore) / f32).toFixed(2)}x counting only what reading added`,
);
