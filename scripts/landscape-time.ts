// The 41×41 loss surface of the app's default spiral net (1000 rows, hidden 32,32 relu) timed in headless
// Chromium on whatever adapter it finds (SwiftShader on a machine without a GPU): a script, not a timed
// test. Prints the UTC time, Chromium, the load average before and after, and the milliseconds of the
// first call (kernel compile included) and of each later one (one dispatch and the read-back).
// Usage: npx tsx scripts/landscape-time.ts [--repeat N]
import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { chromiumPath } from '../src/cli/chromium.ts';
import { runPage } from '../src/cli/page-runner.ts';
import type { SurfaceTime } from './landscape-time/page.ts';

const repeat = Number(process.argv[process.argv.indexOf('--repeat') + 1] ?? 3) || 3;
const chromium = spawnSync(chromiumPath(), ['--version'], { encoding: 'utf8' }).stdout?.trim() ?? '?';
const load = () =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');
console.log(`loss surface time, ${new Date().toISOString()}, ${chromium}, load ${load()}`);
const r = await runPage<SurfaceTime>({
  path: `/scripts/landscape-time/index.html?repeat=${repeat}`,
  plugin: { name: 'landscape-time' },
  vite: { cacheDir: 'node_modules/.vite/landscape-time', optimizeDeps: { noDiscovery: true, include: ['papaparse'] } },
  noTimeout: true,
  expose: (done, fail) => ({
    __surfaceDone: (x: SurfaceTime) => done(x),
    __surfaceError: (m: string) => fail(new Error(m)),
  }),
});
const sorted = [...r.ms].sort((a, b) => a - b);
const median = sorted[Math.floor((sorted.length - 1) / 2)]!;
console.log(`adapter ${r.adapter}, ${r.points} points × ${r.rows} rows, centre cost ${r.centre.toFixed(4)}`);
console.log(
  `first call ${(r.firstMs / 1000).toFixed(2)} s (compile included); then ${r.ms.map((m) => (m / 1000).toFixed(2)).join(', ')} s, median ${(median / 1000).toFixed(2)} s`,
);
console.log(`load after ${load()}, ${new Date().toISOString()}`);
