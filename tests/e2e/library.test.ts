// The packed library as a user gets it: `npm pack` (its prepack builds dist/lib), the tarball installed
// offline into a fresh Vite project under the OS temp folder (no Vite of its own: this repo's builds
// it), served on 127.0.0.1 and run in headless Chromium, in the page and in a module Worker; and the
// README's example copied into that project unchanged, built, run and type-checked against the packed
// declarations. No WebGPU adapter fails these tests (createTrainer throws 'no-webgpu'); nothing skips.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright';
import { build } from 'vite';
import { launchChromium, ROOT, serveDir } from './site.ts';

const run = promisify(execFile);
/** Per-test limit of the two browser tests: each takes 30-70 s here, depending on the load. */
const SLOW = 180_000;
const NAME = 'webgpu-mlp-trainer';

let tmp: string;
let project: string;
let packed: { filename: string; size: number; files: { path: string }[] };
let browser: Browser;

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'mlp-lib-'));
  // prepack builds the library first; its build logs share stdout with the JSON report.
  const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', tmp], {
    cwd: ROOT,
    maxBuffer: 16 << 20,
  });
  packed = (JSON.parse(stdout.slice(stdout.search(/^\[/m))) as (typeof packed)[])[0]!;
  project = join(tmp, 'app');
  mkdirSync(project);
  writeFileSync(
    join(project, 'package.json'),
    JSON.stringify({ name: 'consumer', private: true, type: 'module' }, null, 2),
  );
  // --offline works because the package has no dependencies: npm needs nothing but the tarball.
  await run('npm', ['install', '--offline', '--no-audit', '--no-fund', join(tmp, packed.filename)], { cwd: project });
  browser = await launchChromium();
  console.log(`packed ${packed.filename}: ${packed.files.length} files, ${(packed.size / 1024).toFixed(1)} KiB`);
});

afterAll(async () => {
  await browser?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

/** Builds the temp project (index.html → main.ts) with this repo's Vite and a default configuration. */
async function buildProject(files: Record<string, string>): Promise<string> {
  for (const [name, text] of Object.entries(files)) writeFileSync(join(project, name), text);
  const outDir = join(project, 'dist');
  await build({ root: project, configFile: false, logLevel: 'warn', build: { outDir, emptyOutDir: true } });
  return outDir;
}

/** Serves `dir`, opens it in a fresh page and collects its console lines (also with the seconds since
 *  page load) and uncaught errors. */
async function openBuilt(
  dir: string,
): Promise<{ page: Page; log: string[]; times: string[]; errors: string[]; close(): Promise<void> }> {
  const server = await serveDir(dir);
  const context = await browser.newContext();
  const page = await context.newPage();
  const log: string[] = [];
  const times: string[] = [];
  const errors: string[] = [];
  const t0 = Date.now();
  page.on('console', (m) => {
    log.push(m.text());
    times.push(`${((Date.now() - t0) / 1000).toFixed(1)} s  ${m.text()}`);
  });
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(server.url);
  return {
    page,
    log,
    times,
    errors,
    close: async () => {
      await context.close();
      await server.close();
    },
  };
}

const INDEX_HTML =
  '<!doctype html>\n<html><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>consumer</title></head>\n<body><script type="module" src="./main.ts"></script></body></html>\n';

// The consumer's own code: the same routine in the page and in a Worker, through the public API only.
const MOONS_TS = `import { createTrainer, decodeModel, labeled, splitDataset, toyDataset, TrainerError } from '${NAME}';

export interface Outcome {
  adapter?: string;
  seconds?: { create: number; fit: number; total: number }; testAccuracy?: number; predictAccuracy?: number;
  before?: number[]; after?: number[]; identical?: boolean; error?: string;
}

export async function trainMoons(): Promise<Outcome> {
  const t0 = performance.now();
  try {
    const { train, test } = splitDataset(toyDataset('moons', 1000, 1), { testSplit: 0.2, seed: 1 });
    // A fixed matmul family skips the autotune (the README example runs it): 15-25 s a context here.
    const trainer = await createTrainer({ inputs: 2, hidden: [16, 16], classes: 2, activation: 'tanh', optimizer: 'adam', device: 'gpu', matmul: 'blocked' });
    const created = (performance.now() - t0) / 1000;
    const summary = await trainer.fit(labeled(train), { epochs: 50, batchSize: 32, lr: 0.01, test: labeled(test) });
    const { accuracy } = await trainer.evaluate(labeled(test));
    const before = await trainer.predict(test.x);
    const bytes = await trainer.save();
    const adapter = trainer.adapter;
    trainer.destroy();
    const reloaded = await createTrainer({ model: decodeModel(bytes), device: 'gpu', matmul: 'blocked' });
    const after = await reloaded.predict(test.x);
    reloaded.destroy();
    const seconds = { create: created, fit: summary.seconds, total: (performance.now() - t0) / 1000 };
    const right = Array.from(before.classes ?? []).filter((c, i) => c === test.labels[i]).length;
    return {
      adapter, seconds, testAccuracy: accuracy, predictAccuracy: right / test.n,
      before: Array.from(before.values), after: Array.from(after.values),
      identical: before.values.length === after.values.length && before.values.every((v, i) => v === after.values[i]),
    };
  } catch (e) {
    return { error: e instanceof TrainerError ? \`TrainerError \${e.code}: \${e.message}\` : String(e) };
  }
}
`;

const MAIN_TS = `import { trainMoons, type Outcome } from './moons.ts';

const page = await trainMoons();
const worker = await new Promise<Outcome>((resolve) => {
  const w = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
  w.onmessage = (e: MessageEvent<Outcome>) => resolve(e.data);
  w.onerror = (e) => resolve({ error: \`worker: \${e.message}\` });
});
(window as unknown as { __result: unknown }).__result = { page, worker };
`;

const WORKER_TS = `import { trainMoons } from './moons.ts';

void trainMoons().then((outcome) => postMessage(outcome));
`;

// Types through the node entry: its functions' results are the main entry's types.
const NODE_ENTRY_TS = `import { createTrainer, labeled, type Dataset, type Loaded as MainLoaded } from '${NAME}';
import { loadNpz, readCsvFile, type Loaded } from '${NAME}/node';

export async function trainFile(path: string): Promise<number> {
  const dataset: Dataset = readCsvFile(path, { label: 'label' }).dataset;
  const { data }: MainLoaded = loadNpz('digits.npz') satisfies Loaded;
  const trainer = await createTrainer({ inputs: dataset.features, classes: dataset.classes, device: 'cpu' });
  await trainer.fit(labeled(dataset), { epochs: 1, batchSize: 8, lr: 0.1 });
  return (await trainer.evaluate(labeled('test' in data ? data.test : data))).loss;
}
`;

interface Outcome {
  adapter?: string;
  seconds?: { create: number; fit: number; total: number };
  testAccuracy?: number;
  predictAccuracy?: number;
  before?: number[];
  after?: number[];
  identical?: boolean;
  error?: string;
}

/** The README's marked example: the ```ts block after the `<!-- library-example` comment. */
function readmeExample(): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const m = /<!-- library-example[^\n]*-->\n```ts\n([\s\S]*?)\n```/.exec(readme);
  if (!m) throw new Error('README.md has no ```ts block marked <!-- library-example -->');
  return `${m[1]!}\n`;
}

describe('packed library', () => {
  it('Test that the tarball holds only the library build, installs with no dependencies, and imports and trains on the CPU in Node', async () => {
    const paths = packed.files.map((f) => f.path).sort();
    expect(paths.filter((p) => !p.startsWith('dist/lib/'))).toEqual([
      'CHANGELOG.md',
      'LICENSE',
      'README.md',
      'package.json',
    ]);
    // One declaration file per entry (tests/node/package.test.ts checks what they hold).
    expect(paths.filter((p) => p.endsWith('.d.ts'))).toEqual(['dist/lib/index.d.ts', 'dist/lib/node.d.ts']);
    expect(paths).toContain('dist/lib/index.js');
    expect(paths).toContain('dist/lib/node.js');
    const installed = join(project, 'node_modules', NAME);
    const pkg = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as Record<string, unknown>;
    expect(pkg.dependencies ?? {}).toEqual({});
    expect(pkg.peerDependencies ?? {}).toEqual({});
    // The WGSL is in the bundle as text: no ?raw import, no shader file fetched, no import at all.
    const js = readFileSync(join(installed, 'dist/lib/index.js'), 'utf8');
    expect(js).not.toMatch(/\?raw/);
    expect(js).not.toMatch(/\bfetch\(|new URL\(|import\s*\(|^import /m);
    expect(js).toContain('@compute @workgroup_size');
    // node.d.ts takes the types it shares from index.d.ts, as './index.js' (no '.ts' specifier).
    expect(readFileSync(join(installed, 'dist/lib/node.d.ts'), 'utf8')).toMatch(
      /^import \{[^}]+\} from "\.\/index\.js";$/m,
    );
    // Importing it in Node touches no GPU global; device 'cpu' (the float64 reference) trains there. The
    // second entry reads a CSV file by path.
    writeFileSync(join(project, 'xor.csv'), 'a,b,label\n0,0,no\n0,1,yes\n1,0,yes\n1,1,no\n');
    const script = `import * as lib from '${NAME}';
import { readCsvFile } from '${NAME}/node';
const d = lib.toyDataset('moons', 200, 1);
const t = await lib.createTrainer({ inputs: 2, hidden: [8], classes: 2, optimizer: 'adam', device: 'cpu' });
await t.fit(lib.labeled(d), { epochs: 10, batchSize: 32, lr: 0.02 });
const csv = readCsvFile('xor.csv').dataset;
console.log(JSON.stringify({ exports: Object.keys(lib).sort(), accuracy: (await t.evaluate(lib.labeled(d))).accuracy, csv: [csv.n, csv.features, csv.classNames] }));`;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: project });
    const out = JSON.parse(stdout) as { exports: string[]; accuracy: number; csv: unknown };
    expect(out.csv).toEqual([4, 2, ['no', 'yes']]);
    expect(out.exports).toEqual([
      'DEFAULT_CHECKPOINT_STEPS',
      'DivergenceError',
      'GRADCHECK_THRESHOLD',
      'GpuFailureError',
      'GpuSession',
      'HIDDEN_ACTIVATIONS',
      'LOSSES',
      'MAX_TRIALS',
      'OPTIMIZERS',
      'PLAN_CHOICES',
      'SWEEP_COLUMNS',
      'SYNTHETIC_NAMES',
      'Trainer',
      'TrainerError',
      'adapterLimits',
      'applyNormalization',
      'buildSpec',
      'capRows',
      'checkFits',
      'checkHostMemory',
      'checkSameRun',
      'classificationMetrics',
      'compactFraction',
      'compactNumber',
      'createTrainer',
      'dataNames',
      'datasetInfo',
      'decodeCheckpoint',
      'decodeModel',
      'describePath',
      'describeSpec',
      'encodeCheckpoint',
      'encodeModel',
      'encodeOnnx',
      'expandTrials',
      'filterNormalize',
      'fitNormalization',
      'formatBytes',
      'formatSweepTable',
      'forwardMacs',
      'gradcheckSuite',
      'ineffectiveAxis',
      'initParams',
      'isArrayFiles',
      'labeled',
      'mnistDataset',
      'modelToOnnx',
      'openGpu',
      'paramCount',
      'paramLabel',
      'paramsFromSafetensors',
      'paramsToSafetensors',
      'parseCsv',
      'parseSweepSpec',
      'predictionTable',
      'predictionsCsv',
      'probeAdapter',
      'profileCsv',
      'projectOntoPlane',
      'pytorchFiles',
      'rankTrials',
      'readArrayBlobs',
      'readCsvBlob',
      'readCsvBlobHeader',
      'referenceActivations',
      'referencePredict',
      'sameSpec',
      'specDifference',
      'splitDataset',
      'surfaceDirections',
      'sweepRowCells',
      'sweepShape',
      'targetCount',
      'toyDataset',
      'trialInfo',
    ]);
    expect(out.accuracy).toBeGreaterThan(0.8);
  });

  it(
    'Test that a Vite project using the tarball trains moons to >= 95% on WebGPU in the page and in a Worker, and a saved, reloaded model predicts identically',
    async () => {
      const dist = await buildProject({
        'index.html': INDEX_HTML,
        'moons.ts': MOONS_TS,
        'main.ts': MAIN_TS,
        'worker.ts': WORKER_TS,
      });
      const site = await openBuilt(dist);
      try {
        await site.page.waitForFunction(
          () => (window as unknown as { __result?: unknown }).__result !== undefined,
          null,
          { timeout: 160_000 },
        );
        const result = await site.page.evaluate(
          () => (window as unknown as { __result: { page: Outcome; worker: Outcome } }).__result,
        );
        expect(site.errors).toEqual([]);
        for (const [where, o] of Object.entries(result)) {
          expect(o.error, `${where}: ${o.error}`).toBeUndefined();
          expect(o.adapter, where).toBeTruthy();
          expect(o.testAccuracy!, where).toBeGreaterThanOrEqual(0.95);
          expect(o.predictAccuracy!, where).toBeCloseTo(o.testAccuracy!, 10);
          expect(o.before!.length, where).toBe(200 * 2);
          expect(o.after, `${where}: predictions after save and reload`).toEqual(o.before);
          expect(o.identical, where).toBe(true);
        }
        for (const [where, o] of Object.entries(result))
          console.log(
            `library in the ${where}: test accuracy ${o.testAccuracy} on ${o.adapter}; createTrainer ${o.seconds?.create.toFixed(1)} s, fit ${o.seconds?.fit.toFixed(1)} s, all ${o.seconds?.total.toFixed(1)} s`,
          );
      } finally {
        await site.close();
      }
    },
    SLOW,
  );

  it(
    'Test that the README example runs unchanged from the tarball, reaches >= 95% test accuracy, reloads identically and type-checks against the packed declarations',
    async () => {
      const example = readmeExample();
      const lines = example.trimEnd().split('\n').length;
      expect(lines).toBeGreaterThanOrEqual(15);
      expect(lines).toBeLessThanOrEqual(25);
      // Strict tsc over the example, a use of the node entry and the packed .d.ts files (skipLibCheck
      // off); TypeScript 7's DOM lib carries the WebGPU types the declarations name, with nothing added.
      writeFileSync(join(project, 'example.ts'), example);
      writeFileSync(join(project, 'node-entry.ts'), NODE_ENTRY_TS);
      writeFileSync(
        join(project, 'tsconfig.json'),
        JSON.stringify(
          {
            compilerOptions: {
              target: 'ES2022',
              module: 'ESNext',
              moduleResolution: 'bundler',
              lib: ['ES2022', 'DOM'],
              types: [],
              strict: true,
              noEmit: true,
              skipLibCheck: false,
            },
            files: ['example.ts', 'node-entry.ts'],
          },
          null,
          2,
        ),
      );
      const t0 = Date.now();
      const tsc = await run(join(ROOT, 'node_modules/.bin/tsc'), ['-p', project], { cwd: project }).then(
        () => '',
        (e: { stdout?: string; message: string }) => e.stdout || e.message,
      );
      expect(tsc, 'tsc on the README example').toBe('');

      const t1 = Date.now();
      const dist = await buildProject({ 'index.html': INDEX_HTML, 'main.ts': example });
      console.log(`tsc ${((t1 - t0) / 1000).toFixed(1)} s, vite build ${((Date.now() - t1) / 1000).toFixed(1)} s`);
      const site = await openBuilt(dist);
      try {
        const done = () =>
          site.errors.length > 0 || site.log.some((l) => l.startsWith('same predictions after reload:'));
        await expect.poll(done, { timeout: 160_000, interval: 250 }).toBe(true);
        expect(site.errors, `page errors; console:\n${site.log.join('\n')}`).toEqual([]);
        const acc = site.log.map((l) => /^test accuracy ([\d.]+)/.exec(l)).find((m) => m);
        expect(acc, site.log.join('\n')).toBeTruthy();
        expect(Number(acc![1])).toBeGreaterThanOrEqual(0.95);
        expect(site.log).toContain('same predictions after reload: true');
        console.log(`README example (seconds from page load):\n  ${site.times.join('\n  ')}`);
      } finally {
        await site.close();
      }
    },
    SLOW,
  );
});
