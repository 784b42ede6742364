// A first run on a new adapter, measured (a script, not a timed test): milliseconds from createTrainer
// to the first training step in a page and in a module Worker, each in a freshly launched headless
// Chromium (new profile: no IndexedDB, no shader cache, nothing in memory), with matmul 'auto' (the
// default: nothing timed first) and 'tune' (the autotune up front, as createTrainer did before); then
// the CLI's wall time for one moons epoch with an empty tune cache against a warm one, both ways.
// Usage: npx tsx scripts/first-run.ts [--repeat N]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromiumPath } from '../src/cli/chromium.ts';
import { runPage } from '../src/cli/page-runner.ts';
import type { FirstRun } from './first-run/measure.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const repeat = Number(process.argv[process.argv.indexOf('--repeat') + 1] ?? 1) || 1;

function inBrowser(where: 'page' | 'worker', matmul: 'auto' | 'tune'): Promise<FirstRun> {
  return runPage<FirstRun>({
    path: `/scripts/first-run/index.html?where=${where}&matmul=${matmul}`,
    plugin: { name: 'first-run' },
    vite: { cacheDir: 'node_modules/.vite/first-run', optimizeDeps: { noDiscovery: true, include: ['papaparse'] } },
    expose: (done, fail) => ({
      __firstRunDone: (r: FirstRun) => done(r),
      __firstRunError: (m: string) => fail(new Error(m)),
    }),
  });
}

const CLI_JOB = ['--data', 'moons', '--epochs', '1'];

/** Wall seconds of `npm run train -- --data moons --epochs 1 [--matmul tune]` with this tune cache file. */
function cliRun(cache: string, matmul: 'auto' | 'tune'): { seconds: number; tune: string } {
  const args = ['run', 'train', '--', ...CLI_JOB, ...(matmul === 'tune' ? ['--matmul', 'tune'] : [])];
  const t0 = performance.now();
  const r = spawnSync('npm', args, {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, WEBGPU_MLP_TUNE_CACHE: cache },
  });
  const seconds = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`npm ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return { seconds, tune: r.stdout.split('\n').find((l) => l.startsWith('matmul ')) ?? '(no matmul line)' };
}

const ms = (x: number) => `${(x / 1000).toFixed(2)} s`;

const chromium = spawnSync(chromiumPath(), ['--version'], { encoding: 'utf8' }).stdout?.trim() ?? '?';
const load = () => loadavg()[0]!.toFixed(1);
console.log(`first run, ${new Date().toISOString()}, ${chromium}, load ${load()}, repeat ${repeat}`);
/** Every figure by row, for the medians at the end. */
const figures = new Map<string, number[]>();
const note = (row: string, seconds: number) => figures.set(row, [...(figures.get(row) ?? []), seconds]);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;

for (let i = 0; i < repeat; i++) {
  for (const matmul of ['auto', 'tune'] as const)
    for (const where of ['page', 'worker'] as const) {
      const r = await inBrowser(where, matmul);
      note(`${where} matmul ${matmul}: createTrainer to first step`, r.firstStepMs / 1000);
      console.log(
        `load ${load()}: ${where.padEnd(6)} matmul ${matmul.padEnd(4)} createTrainer ${ms(r.createMs)}, plan ${ms(r.planMs)}, first step ${ms(r.firstStepMs)}, epoch ${ms(r.fitMs)} on ${r.adapter}; ${r.tune.join(' / ')}`,
      );
    }
  for (const matmul of ['auto', 'tune'] as const) {
    const dir = mkdtempSync(join(tmpdir(), 'first-run-tune-'));
    try {
      const cache = join(dir, 'autotune.json');
      const first = cliRun(cache, matmul);
      const cached = cliRun(cache, matmul);
      note(`cli matmul ${matmul}: first run (empty cache)`, first.seconds);
      note(`cli matmul ${matmul}: cached run`, cached.seconds);
      note(`cli matmul ${matmul}: first minus cached`, first.seconds - cached.seconds);
      console.log(
        `load ${load()}: cli    matmul ${matmul.padEnd(4)} npm run train -- ${CLI_JOB.join(' ')}: empty cache ${first.seconds.toFixed(1)} s, warm cache ${cached.seconds.toFixed(1)} s (+${(first.seconds - cached.seconds).toFixed(1)} s); ${first.tune} / ${cached.tune}`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}
console.log(`medians of ${repeat}:`);
for (const [row, xs] of figures)
  console.log(`  ${row}: ${median(xs).toFixed(2)} s (${xs.map((x) => x.toFixed(1)).join(', ')})`);
