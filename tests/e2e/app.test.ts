// The web app end to end, in headless Chromium on the built site (WebGPU on whatever adapter the
// machine has: SwiftShader on CI, so the runs are small). Screenshots go to test-results/screenshots/.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright';
import { encodeModel, initParams } from '../../src/index.ts';
import { paramsFromSafetensors, specFromSafetensors } from '../../src/io/safetensors.ts';
import {
  expectAdapter,
  openApp,
  runEvents,
  screenshot,
  readBytes,
  startSite,
  waitForRunEnd,
  workerLog,
  type Site,
} from './site.ts';

let site: Site;

beforeAll(async () => {
  site = await startSite();
});
afterAll(async () => {
  await site?.close();
});

function open(query: string, init?: () => void): Promise<Page> {
  return openApp(site, query, init ? { init } : {});
}

/** Registered before the page's own scripts: records every main-thread task over 50 ms. */
function observeLongTasks(): void {
  const w = window as unknown as { __longTasks: { start: number; duration: number }[] };
  w.__longTasks = [];
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) w.__longTasks.push({ start: e.startTime, duration: e.duration });
  }).observe({ type: 'longtask', buffered: true });
}

const MOONS = 'data=moons&samples=400&hidden=16,16&activation=tanh&lr=0.5&batchSize=32&epochs=30';
/** MOONS at a learning rate that also suits batch norm. */
const MOONS_PLAIN = 'data=moons&samples=400&hidden=16,16&activation=tanh&lr=0.1&batchSize=32&epochs=30';
let savedModel: Buffer | undefined;
let moonsSummary: { testAccuracy: number | null } | undefined;

describe('web app', () => {
  it('Test that the page finds the adapter and reads its settings from the URL and writes them back', async () => {
    const page = await open('data=xor&hidden=8,4&epochs=7&lr=0.25');
    expect(await page.locator('select[name=data]').inputValue()).toBe('xor');
    // The data before any training: the xor points, drawn without a boundary.
    await expect.poll(() => page.locator('#boundary-panel').isVisible()).toBe(true);
    expect(await page.locator('#boundary-title').textContent()).toContain('The data: training points');
    const preview = (await workerLog(page)).find((m) => m.type === 'preview');
    expect(preview?.type === 'preview' && preview.view.kind === 'points' && preview.view.labels.length).toBe(1000);
    await screenshot(page, 'data-first');
    expect(await page.locator('input[name=hidden]').inputValue()).toBe('8,4');
    expect(await page.locator('input[name=epochs]').inputValue()).toBe('7');
    await page.locator('input[name=epochs]').fill('9');
    await page.waitForFunction(() => location.search.includes('epochs=9'));
    expect(new URL(page.url()).searchParams.get('lr')).toBe('0.25');
    await page.context().close();
  });

  it("Test that the page compiles the form's run before Start: the worker says so after load, not again for a change that keeps the plan, and again after the architecture changes", async () => {
    const page = await open('data=xor&hidden=8,4&epochs=7');
    const warmed = async () => (await workerLog(page)).flatMap((m) => (m.type === 'warmed' ? [m.sizes] : []));
    await expect.poll(warmed, { timeout: 60_000 }).toEqual([[2, 8, 4, 1]]);
    expect(await page.locator('#start').getAttribute('data-warm')).toBe('ready');
    await page.locator('input[name=epochs]').fill('9'); // the same plan: nothing to compile
    await page.locator('input[name=hidden]').fill('8,8');
    await expect.poll(warmed, { timeout: 60_000 }).toEqual([
      [2, 8, 4, 1],
      [2, 8, 8, 1],
    ]);
    expect((await workerLog(page)).some((m) => m.type === 'ready')).toBe(false); // no run made a trainer
    await page.context().close();
  });

  it('Test that a bad setting marks its field and names it as labelled, and the mark clears when fixed', async () => {
    const page = await open('data=xor');
    const rows = page.locator('input[name=samples]');
    await rows.fill('5');
    await expect.poll(() => rows.getAttribute('aria-invalid')).toBe('true');
    expect(await rows.getAttribute('class')).toContain('invalid');
    const message = "rows must be an integer in [10, 1000000], got '5'";
    expect(await page.locator('#samples-error').textContent()).toBe(message);
    expect(await page.locator('#samples-error').isVisible()).toBe(true);
    expect(await page.locator('#error').textContent()).toBe(`Settings: ${message}`);
    await screenshot(page, 'settings-field-error');
    await rows.fill('100');
    await expect.poll(() => rows.getAttribute('aria-invalid')).toBeNull();
    expect(await rows.getAttribute('class')).not.toContain('invalid');
    expect(await page.locator('#samples-error').textContent()).toBe('');
    expect(await page.locator('#error').textContent()).toBe('');
    await page.context().close();
  });

  it('Test that Copy share link shows the link on a line of its own and keeps the model summary', async () => {
    const page = await open('data=xor&samples=100&hidden=4&epochs=2&device=cpu');
    await page.click('#start');
    expect(await waitForRunEnd(page, 60_000)).toBe('done');
    const summary = (await page.locator('#model-info').textContent()) ?? '';
    expect(summary).toMatch(/^Model: sizes \[2, 4, 1\]/);
    await page.click('#share');
    await expect.poll(() => page.locator('#share-status').textContent()).toContain(page.url());
    expect(await page.locator('#share-status').textContent()).toMatch(/^(Link copied|Share this link): /);
    expect(await page.locator('#model-info').textContent()).toBe(summary);
    await page.context().close();
  });

  it('Test that the page has a favicon, a header that keeps its height once the adapter and run lines arrive, and legends that show the latest values before any hover', async () => {
    const page = await open('data=xor&samples=100&hidden=4&epochs=2&device=cpu', () => {
      document.addEventListener('DOMContentLoaded', () => {
        (window as unknown as { __headerHeight: number }).__headerHeight = document
          .querySelector('header')!
          .getBoundingClientRect().height;
      });
    });
    const failed: string[] = [];
    page.on('response', (r) => void (r.status() >= 400 && failed.push(`${r.status()} ${r.url()}`)));
    await page.reload(); // with the listener on from the first request
    await expectAdapter(page);
    // Before any run the legends are hidden (no "epoch: _ train: _"), and no table rule underlines their cells.
    expect(await page.locator('#loss-chart .u-legend').isVisible()).toBe(false);
    const border = await page.evaluate(
      () => getComputedStyle(document.querySelector('#loss-chart .u-legend td')!).borderBottomStyle,
    );
    expect(border).toBe('none');
    expect(await page.locator('link[rel=icon]').getAttribute('href')).toMatch(/^data:image\/svg\+xml,/);
    await page.click('#start');
    expect(await waitForRunEnd(page, 60_000)).toBe('done');
    await page.waitForFunction(() => (document.getElementById('matmul')?.textContent ?? '') !== '');
    expect(await page.locator('#memory').textContent()).toContain('CPU reference');
    const heights = await page.evaluate(() => [
      (window as unknown as { __headerHeight: number }).__headerHeight,
      document.querySelector('header')!.getBoundingClientRect().height,
    ]);
    expect(heights[1], 'header height after load vs at first paint').toBe(heights[0]);
    expect(await page.locator('#matmul').isVisible()).toBe(false); // behind the one collapsible line
    await page.locator('#device-details summary').click();
    expect(await page.locator('#matmul').isVisible()).toBe(true);
    for (const chart of ['#loss-chart', '#acc-chart']) {
      expect(await page.locator(`${chart} .u-legend`).isVisible(), chart).toBe(true);
      const values = await page.locator(`${chart} .u-legend .u-value`).allTextContents();
      expect(values.length, chart).toBe(3);
      for (const v of values) expect(v, `${chart} legend: ${values.join(' / ')}`).toMatch(/^\d+(\.\d+)?%?$/);
    }
    await screenshot(page, 'header-legends');
    expect(failed).toEqual([]);
    await page.context().close();
  });

  it('Test that the page shows the matmul family beside the adapter: the default where the answer is known (SwiftShader: nothing timed), else measured on the first visit and read from IndexedDB after a reload', async () => {
    const page = await open('data=xor');
    const tuneLine = async () => {
      await page.waitForFunction(() => (document.getElementById('matmul')?.textContent ?? '') !== '', null, {
        timeout: 60_000,
      });
      return (await page.locator('#matmul').textContent()) ?? '';
    };
    const adapter = (await page.locator('#adapter').textContent()) ?? '';
    const first = await tuneLine();
    const known = /swiftshader/i.test(adapter);
    if (known) expect(first).toMatch(/^matmul blocked \(the default for .*swiftshader.*: nothing timed\)$/);
    else
      expect(first).toMatch(
        /^matmul (tiled|blocked|tiled8) \(autotune: tiled [\d.]+ ms, blocked [\d.]+ ms, tiled8 [\d.]+ ms for forward \+ dW \+ dA of .*; measured in [\d.]+ s\)$/,
      );
    await page.reload();
    await expectAdapter(page);
    const second = await tuneLine();
    expect(second).toBe(known ? first : first.replace(/measured in [\d.]+ s/, 'cached'));
    await page.context().close();
  });

  it('Test that a 2-D run lowers the loss, raises the accuracy, draws the boundary, with no main-thread task over 100 ms', async () => {
    const page = await open(MOONS, observeLongTasks);
    // Only tasks from the click on count: page load happens before, and pipeline compilation and data
    // loading run in the worker, so everything from here on is the training the user watches.
    // The observer must see a task we know is long, or "no long tasks" would prove nothing.
    // The busy loop runs as an ordinary timer task of the page; observer callbacks come late under load.
    await page.evaluate(
      () =>
        new Promise<void>((resolve) =>
          setTimeout(() => {
            const end = performance.now() + 150;
            while (performance.now() < end);
            resolve();
          }, 0),
        ),
    );
    await expect
      .poll(() => page.evaluate(() => (window as unknown as { __longTasks: unknown[] }).__longTasks.length), {
        timeout: 15_000,
      })
      .toBeGreaterThan(0);
    const t0 = await page.evaluate(() => performance.now());
    // Every status line from the click on, to check that the wait before the first step says what it is.
    await page.evaluate(() => {
      const w = window as unknown as { __statuses: string[] };
      const status = document.getElementById('status')!;
      w.__statuses = [];
      new MutationObserver(() => w.__statuses.push(status.textContent ?? '')).observe(status, {
        childList: true,
        characterData: true,
        subtree: true,
      });
    });
    await page.click('#start');
    expect(await waitForRunEnd(page, 90_000)).toBe('done');
    const statuses = await page.evaluate(() => (window as unknown as { __statuses: string[] }).__statuses);
    expect(statuses).toEqual(
      expect.arrayContaining([
        'loading: acquiring the GPU device…',
        'training: compiling kernels and uploading the data…',
        'training',
      ]),
    );
    const { progress, epochs, summary } = runEvents(await workerLog(page));
    expect(progress.length).toBeGreaterThan(10);
    expect(progress.at(-1)!.loss).toBeLessThan(progress[0]!.loss * 0.6);
    expect(epochs.at(-1)!.testAccuracy!).toBeGreaterThan(epochs[0]!.testAccuracy!);
    expect(summary!.testAccuracy!).toBeGreaterThan(0.9);
    moonsSummary = summary;
    await expect.poll(() => page.locator('#boundary-panel').isVisible()).toBe(true);
    // The confusion matrix of the 80 test rows: its diagonal is the test accuracy.
    const confusion = (await workerLog(page)).find((m) => m.type === 'confusion');
    if (confusion?.type !== 'confusion') throw new Error('no confusion matrix after the run');
    expect(confusion.split).toBe('test');
    const cells = confusion.metrics.confusion;
    expect(cells.flat().reduce((a, b) => a + b, 0)).toBe(80);
    expect(Math.abs((cells[0]![0]! + cells[1]![1]!) / 80 - summary!.testAccuracy!)).toBeLessThanOrEqual(1 / 80);
    await expect.poll(() => page.locator('#confusion-panel').isVisible()).toBe(true);
    expect(await page.locator('#confusion-table tr').count()).toBe(4); // head, two classes, precision
    // Try the model: a click on the plane gets predict's class and probabilities at that point.
    await page.locator('#boundary').click({ position: { x: 80, y: 240 } });
    await expect.poll(() => page.locator('#probe').textContent()).toMatch(/^At \(-?[\d.]+, -?[\d.]+\): class [01] · /);
    const probe = (await workerLog(page)).find((m) => m.type === 'probe');
    if (probe?.type !== 'probe') throw new Error('no probe answer');
    expect(probe.values.length).toBe(2); // a sigmoid model's 1 − p, p
    expect(probe.values[0]! + probe.values[1]!).toBeCloseTo(1, 5);
    expect(probe.cls).toBe(probe.values[1]! > probe.values[0]! ? 1 : 0);
    await screenshot(page, 'moons-probed');
    const longTasks = await page.evaluate(
      (from) =>
        (window as unknown as { __longTasks: { start: number; duration: number }[] }).__longTasks.filter(
          (t) => t.start >= from,
        ),
      t0,
    );
    expect(
      longTasks.filter((t) => t.duration > 100),
      `main-thread long tasks during training: ${JSON.stringify(longTasks)}`,
    ).toEqual([]);
    await screenshot(page, 'moons-trained');

    // Save: the download is a safetensors file of the model.
    const download = page.waitForEvent('download');
    await page.click('#save');
    const file = await (await download).path();
    savedModel = readBytes(file);
    expect(savedModel.length).toBeGreaterThan(8 + 4 * (2 * 16 + 16 + 16 * 16 + 16 + 16 + 1)); // header + float32 weights
    expect((await download).suggestedFilename()).toBe('mlp-moons-2x16x16x1.safetensors');
    // Same layout as the CLI writes: the architecture in the metadata, layers.{i}.weight/bias tensors.
    const spec = specFromSafetensors(savedModel);
    expect(spec).toEqual({ sizes: [2, 16, 16, 1], activation: 'tanh', loss: 'bce' });
    expect(paramsFromSafetensors(savedModel, spec!).map((l) => l.weight.length)).toEqual([32, 256, 16]);

    // Another data set: the moons' boundary goes (it would stand for data no longer chosen).
    await page.selectOption('select[name=data]', 'csv');
    expect(await page.locator('#boundary-panel').isHidden()).toBe(true);
    await page.context().close();
  });

  it('Test that a saved model reloads into a fresh page with the same accuracy, and one that does not fit gets a clear error', async () => {
    expect(savedModel, 'the 2-D test saves the model').toBeDefined();
    const page = await open(MOONS);
    await page.setInputFiles('#model-file', {
      name: 'moons.safetensors',
      mimeType: 'application/octet-stream',
      buffer: savedModel!,
    });
    await page.waitForFunction(() => (document.getElementById('model-info')?.textContent ?? '').startsWith('Loaded'));
    const loaded = (await workerLog(page)).find((m) => m.type === 'loaded');
    if (loaded?.type !== 'loaded') throw new Error('no loaded message');
    expect(loaded.testAccuracy).toBeCloseTo(moonsSummary!.testAccuracy!, 6);
    await expect.poll(() => page.locator('#save').isEnabled()).toBe(true);
    await screenshot(page, 'moons-reloaded');

    // A file that is not a model at all.
    await page.setInputFiles('#model-file', {
      name: 'junk.safetensors',
      mimeType: 'application/octet-stream',
      buffer: Buffer.from('not a model'),
    });
    await expect.poll(() => page.locator('#error').textContent()).toMatch(/^Load model: junk\.safetensors: /);

    // The same file in a page set to another architecture: the form takes the file's (issue 20: it no
    // longer has to be matched by hand) and the model loads.
    await page.locator('input[name=hidden]').fill('8');
    await page.setInputFiles('#model-file', {
      name: 'moons.safetensors',
      mimeType: 'application/octet-stream',
      buffer: savedModel!,
    });
    await expect.poll(() => page.locator('input[name=hidden]').inputValue()).toBe('16,16');
    await expect.poll(async () => (await workerLog(page)).filter((m) => m.type === 'loaded').length).toBe(2);

    // A file the settings' data cannot feed (3 inputs, no record of its data): a clear error.
    const threeSpec = { sizes: [3, 16, 16, 1], activation: 'tanh', loss: 'bce' } as const;
    await page.setInputFiles('#model-file', {
      name: 'three.safetensors',
      mimeType: 'application/octet-stream',
      buffer: Buffer.from(encodeModel({ spec: threeSpec, params: initParams(threeSpec, 1), info: {} })),
    });
    await expect.poll(() => page.locator('#error').textContent()).toContain('does not fit');
    expect(await page.locator('#error').textContent()).toContain('sizes [3,16,16,1]');
    await page.context().close();
  });

  it('Test that check-this-step compares one GPU step (the path training takes) with the CPU reference layer by layer', async () => {
    const page = await open(MOONS);
    await page.click('#check');
    await page.waitForFunction(() => document.getElementById('check-title')?.textContent?.includes('loss GPU'), null, {
      timeout: 60_000,
    });
    const check = (await workerLog(page)).find((m) => m.type === 'check');
    if (check?.type !== 'check') throw new Error('no check message');
    expect(check.layers.length).toBe(3);
    for (const l of check.layers) expect(l.ok, JSON.stringify(l)).toBe(true);
    expect(check.path).toBe('fused'); // moons [2,16,16,1]: inside the fused kernel's envelope
    expect(await page.locator('#check-title').textContent()).toContain('(fused step)');
    expect(await page.locator('#check-table tr').count()).toBe(4);
    await screenshot(page, 'check-step');
    await page.context().close();
  });

  it('Test that a batch-norm model trains from the page, reloads from its file into a fresh page with the same accuracy, and its step checks against the reference', async () => {
    const page = await open(`${MOONS_PLAIN}&batchNorm=true`);
    expect(await page.locator('input[name=batchNorm]').isChecked()).toBe(true);
    await page.click('#start');
    expect(await waitForRunEnd(page, 90_000)).toBe('done');
    const log = await workerLog(page);
    const ready = log.find((m) => m.type === 'ready');
    expect(ready?.type === 'ready' && ready.spec).toEqual({
      sizes: [2, 16, 16, 1],
      activation: 'tanh',
      loss: 'bce',
      batchNorm: true,
    });
    const { epochs, summary } = runEvents(log);
    expect(epochs.at(-1)!.testAccuracy!).toBeGreaterThan(epochs[0]!.testAccuracy!);
    expect(summary!.testAccuracy!).toBeGreaterThan(0.9);
    expect(await page.locator('#model-info').textContent()).toContain('tanh + batch norm');
    await screenshot(page, 'moons-batchnorm-trained');
    const file = await download(page);
    const spec = specFromSafetensors(file);
    expect(spec).toEqual({ sizes: [2, 16, 16, 1], activation: 'tanh', loss: 'bce', batchNorm: true });
    const params = paramsFromSafetensors(file, spec!);
    expect(params.map((l) => l.bn !== undefined)).toEqual([true, true, false]);
    expect(
      Array.from(params[0]!.bn!.var).some((v) => v !== 1),
      'the running variance moved during training',
    ).toBe(true);
    await page.context().close();

    // A fresh page without batch norm: the file ticks the box (the form takes the file's architecture,
    // issue 20), the URL follows, and the file loads with the accuracy the run ended with.
    const fresh = await open(MOONS_PLAIN);
    expect(await fresh.locator('input[name=batchNorm]').isChecked()).toBe(false);
    await fresh.setInputFiles('#model-file', {
      name: 'moons-bn.safetensors',
      mimeType: 'application/octet-stream',
      buffer: file,
    });
    await fresh.waitForFunction(() => location.search.includes('batchNorm=true'));
    expect(await fresh.locator('input[name=batchNorm]').isChecked()).toBe(true);
    await fresh.waitForFunction(() => (document.getElementById('model-info')?.textContent ?? '').startsWith('Loaded'));
    const loaded = (await workerLog(fresh)).find((m) => m.type === 'loaded');
    if (loaded?.type !== 'loaded') throw new Error('no loaded message');
    expect(loaded.spec.batchNorm).toBe(true);
    expect(loaded.testAccuracy).toBeCloseTo(summary!.testAccuracy!, 6);

    // Check this step from the loaded weights (trained γ, β and running stats): every tensor, dγ and dβ
    // included, within tolerance of the float64 reference.
    await fresh.click('#check');
    await fresh.waitForFunction(() => document.getElementById('check-title')?.textContent?.includes('loss GPU'), null, {
      timeout: 60_000,
    });
    const check = (await workerLog(fresh)).find((m) => m.type === 'check');
    if (check?.type !== 'check') throw new Error('no check message');
    expect(check.spec.batchNorm).toBe(true);
    expect(check.layers.map((l) => l.bn !== undefined)).toEqual([true, true, false]);
    for (const l of check.layers) expect(l.ok, JSON.stringify(l)).toBe(true);
    const bnMax = Math.max(...check.layers.flatMap((l) => (l.bn ? Object.values(l.bn) : [])));
    expect(bnMax, 'the batch-norm differences were measured').toBeLessThan(1e-3);
    expect(await fresh.locator('#check-table tr').count()).toBe(4);
    expect(await fresh.locator('#check-table th').allTextContents()).toContain('max |Δdγ|');
    await screenshot(fresh, 'check-step-batchnorm');
    // Unticked again, the loaded model cannot start a run, and the message says batch norm is why.
    await fresh.uncheck('input[name=batchNorm]');
    await fresh.click('#start');
    await expect
      .poll(() => fresh.locator('#error').textContent())
      .toContain('the loaded model moons-bn.safetensors differs only in batch norm: it is a batch-norm model');
    await fresh.context().close();
  });

  it('Test that the optimizer settings live in the form and the URL, and one step with Adam, L2 and dropout matches the reference', async () => {
    const page = await open('data=moons&samples=200&hidden=8&optimizer=adam&beta1=0.8&l2=0.05&keepProb=0.75&lr=0.01');
    expect(await page.locator('select[name=optimizer]').inputValue()).toBe('adam');
    expect(await page.locator('input[name=beta1]').inputValue()).toBe('0.8');
    expect(await page.locator('input[name=beta2]').inputValue()).toBe('0.999');
    expect(await page.locator('input[name=l2]').inputValue()).toBe('0.05');
    expect(await page.locator('input[name=keepProb]').inputValue()).toBe('0.75');
    await page.locator('input[name=beta2]').fill('0.99');
    await page.waitForFunction(() => location.search.includes('beta2=0.99'));
    await page.locator('select[name=optimizer]').selectOption('momentum');
    await page.waitForFunction(() => location.search.includes('optimizer=momentum'));
    expect(await page.locator('input[name=beta2]').isVisible()).toBe(false); // momentum has no second moment
    expect(await page.locator('input[name=beta1]').isVisible()).toBe(true);
    await page.locator('select[name=optimizer]').selectOption('adam');
    await page.locator('input[name=keepProb]').fill('1.5');
    await expect
      .poll(() => page.locator('#error').textContent())
      .toBe(`Settings: keep-prob must be a probability in (0, 1], got '1.5'`);
    await page.locator('input[name=keepProb]').fill('0.75');
    // The config reaches the GPU plan: one Adam step with L2 and dropout equals the reference's.
    await page.click('#check');
    await page.waitForFunction(() => document.getElementById('check-title')?.textContent?.includes('loss GPU'), null, {
      timeout: 60_000,
    });
    const check = (await workerLog(page)).find((m) => m.type === 'check');
    if (check?.type !== 'check') throw new Error('no check message');
    for (const l of check.layers) expect(l.ok, JSON.stringify(l)).toBe(true);
    await page.context().close();
  });

  it('Test that the gradient check runs in the page for the current architecture and every tensor is below 1e-7', async () => {
    const page = await open('data=spiral&hidden=16,8&activation=relu&l2=0.3&keepProb=0.8');
    await page.click('#gradcheck');
    await page.waitForFunction(
      () => !(document.getElementById('gradcheck-title')?.textContent ?? '').endsWith('running…'),
      null,
      { timeout: 60_000 },
    );
    const m = (await workerLog(page)).find((l) => l.type === 'gradcheck');
    if (m?.type !== 'gradcheck')
      throw new Error(
        `no gradient check result; the page shows '${await page.locator('#gradcheck-title').textContent()}' / '${await page.locator('#error').textContent()}'`,
      );
    expect(m.spec.sizes).toEqual([2, 16, 8, 3]);
    expect(m.results.map((r) => r.name)).toEqual([
      'layers.0.weight',
      'layers.0.bias',
      'layers.1.weight',
      'layers.1.bias',
      'layers.2.weight',
      'layers.2.bias',
    ]);
    for (const r of m.results) {
      expect(r.relDiff, r.name).toBeLessThan(1e-7);
      expect(r.relDiff, `${r.name}: a zero difference would mean the check compared nothing`).toBeGreaterThan(0);
    }
    expect(await page.locator('#gradcheck-title').textContent()).toContain('every tensor below 1e-7');
    expect(await page.locator('#gradcheck-table tr.ok').count()).toBe(6);
    await screenshot(page, 'gradcheck');
    await page.context().close();
  });

  it('Test that pause holds the steps, a bad click while paused is refused without losing the run, resume goes on and stop ends it', async () => {
    const page = await open('data=spiral&samples=600&hidden=16&epochs=100000&batchSize=16');
    await page.click('#start');
    await page.waitForFunction(() => document.getElementById('status')?.dataset.state === 'training', null, {
      timeout: 60_000,
    });
    const steps = async () => runEvents(await workerLog(page)).progress.at(-1)?.step ?? 0;
    await expect.poll(steps, { timeout: 30_000 }).toBeGreaterThan(20);
    await page.click('#pause');
    await page.waitForFunction(() => document.getElementById('status')?.dataset.state === 'paused');
    await page.waitForTimeout(500); // reports already in flight land
    const held = await steps();
    await page.waitForTimeout(800);
    expect(await steps()).toBe(held);
    await page.setInputFiles('#model-file', {
      name: 'junk.safetensors',
      mimeType: 'application/octet-stream',
      buffer: Buffer.from('not a model'),
    });
    await expect.poll(() => page.locator('#error').textContent()).toContain('junk.safetensors');
    expect(await page.locator('#status').getAttribute('data-state')).toBe('paused');
    await screenshot(page, 'paused-with-error');
    await page.click('#resume');
    await expect.poll(steps, { timeout: 30_000 }).toBeGreaterThan(held);
    // The run in progress is not offered as a run to resume, paused or not; once stopped it is.
    expect(await page.locator('#saved-run').isHidden()).toBe(true);
    await page.click('#stop');
    expect(await waitForRunEnd(page, 30_000)).toBe('stopped');
    const { summary } = runEvents(await workerLog(page));
    expect(summary!.steps).toBeLessThan(100_000 * Math.ceil(480 / 16));
    await expect.poll(() => page.locator('#saved-run').isVisible()).toBe(true);
    expect(await page.locator('#progress-text').textContent()).toContain('steps in');

    // Start again: from the click to the first step the stopped run's line is gone, the bar waits
    // (empty, pulsing, aria-busy), and the status says what the wait is for.
    const waits = await page.evaluate(() => {
      const status = document.getElementById('status')!;
      const bar = document.getElementById('progress') as HTMLProgressElement;
      const line = document.getElementById('progress-text')!;
      const seen = () => ({
        status: status.textContent ?? '',
        bar: bar.classList.contains('waiting') && bar.getAttribute('aria-busy') === 'true' ? 'waiting' : bar.value,
        line: line.textContent ?? '',
      });
      const w = window as unknown as { __waits: ReturnType<typeof seen>[] };
      w.__waits = [];
      new MutationObserver(() => w.__waits.push(seen())).observe(status, { childList: true, subtree: true });
      document.getElementById('start')!.click();
      return seen();
    });
    expect(waits).toEqual({ status: 'loading', bar: 'waiting', line: '' });
    await page.waitForFunction(() => document.getElementById('status')?.textContent === 'training', null, {
      timeout: 60_000,
    });
    const before = await page.evaluate(() => {
      const w = (window as unknown as { __waits: { status: string; bar: string | number; line: string }[] }).__waits;
      return w.slice(
        0,
        w.findIndex((x) => x.status === 'training'),
      );
    });
    expect(before.map((x) => x.status)).toEqual(
      expect.arrayContaining(['loading: preparing spiral', 'training: compiling kernels and uploading the data…']),
    );
    for (const x of before) expect(x, 'before the first step').toMatchObject({ bar: 'waiting', line: '' });
    expect(await page.locator('#saved-run').isHidden()).toBe(true);
    await page.click('#stop');
    expect(await waitForRunEnd(page, 30_000)).toBe('stopped');
    await page.context().close();
  });

  it('Test that Stop is answered at once at hidden 1024,1024 (no view of the run computed on its thread holds it)', async () => {
    const page = await open('data=spiral&samples=200&hidden=1024,1024&epochs=5000&batchSize=32');
    // Warned before it starts: 25,000 steps of 100 M multiply-adds (about half a second each on SwiftShader).
    await expect
      .poll(() => page.locator('#estimate').textContent())
      .toMatch(/^This run should take about [\d.]+ (min|h) on /);
    await screenshot(page, 'estimate-warning');
    await page.click('#start');
    // Past the first epoch, after which the boundary is refreshed from a checkpoint (64×64 points on the
    // float64 reference held the training thread, and Stop with it, for seconds; the grid's final
    // prediction on the GPU took 17 s).
    await expect
      .poll(async () => runEvents(await workerLog(page)).epochs.length, { timeout: 60_000 })
      .toBeGreaterThanOrEqual(1);
    const t0 = Date.now();
    await page.click('#stop');
    await page.waitForFunction(
      () => ['stopping', 'stopped'].includes(document.getElementById('status')?.dataset.state ?? ''),
      null,
      { timeout: 30_000 },
    );
    const answered = Date.now() - t0;
    expect(await waitForRunEnd(page, 60_000)).toBe('stopped');
    const ended = Date.now() - t0;
    expect(answered, 'ms from Stop to "stopping"').toBeLessThan(1000);
    expect(ended, 'ms from Stop to "stopped"').toBeLessThan(10_000);
    await page.context().close();
  });

  it('Test that the CPU reference device trains from the page too', async () => {
    const page = await open('data=xor&samples=200&hidden=8&epochs=40&lr=0.5&device=cpu');
    await page.click('#start');
    expect(await waitForRunEnd(page, 60_000)).toBe('done');
    const { summary } = runEvents(await workerLog(page));
    expect(summary!.device).toBe('cpu');
    expect(summary!.trainAccuracy).toBeGreaterThan(0.85);
    expect(await page.locator('#memory').textContent()).toContain('CPU reference');
    await page.context().close();
  });

  it('Test that MNIST trains: loss falls, accuracy rises, the digit grid marks the mistakes', async () => {
    const page = await open('data=mnist&samples=2000&hidden=32&lr=0.1&batchSize=64&epochs=4');
    await page.click('#start');
    expect(await waitForRunEnd(page, 110_000)).toBe('done');
    const { progress, epochs, summary } = runEvents(await workerLog(page));
    expect(progress.at(-1)!.loss).toBeLessThan(progress[0]!.loss * 0.6);
    expect(epochs.at(-1)!.testAccuracy!).toBeGreaterThan(epochs[0]!.testAccuracy!);
    expect(summary!.testAccuracy!).toBeGreaterThan(0.75);
    await expect.poll(() => page.locator('#digits figure').count()).toBe(40);
    await expect.poll(() => page.locator('#digits figcaption').first().textContent()).not.toContain('?');
    await screenshot(page, 'mnist-trained');
    await page.context().close();
  });

  it('Test that malformed CSV files get a clear message naming the line, and a good one trains', async () => {
    const page = await open('data=csv&samples=1000&hidden=8&epochs=5');
    const pick = (name: string, text: string) =>
      page.setInputFiles('#csv-file', { name, mimeType: 'text/csv', buffer: Buffer.from(text) });
    const cases: [string, string, string][] = [
      ['ragged.csv', 'a,b,label\n1,2,0\n3,4\n5,6,1\n', 'ragged.csv line 3: expected 3 columns (a,b,label), got 2'],
      ['text.csv', 'a,b,label\n1,2,0\n3,abc,1\n', `text.csv line 3, column "b": not a number: 'abc'`],
      // 1-based labels: classes 1..k (whole numbers that are not classes 0..k−1 otherwise read as regression).
      [
        'label.csv',
        'a,b,label\n1,2,1\n3,4,2\n',
        'label.csv: labels must be 0..k-1 with every class present; the largest label is 2 but no row has label 0 (1-based labels?)',
      ],
    ];
    for (const [name, text, message] of cases) {
      await pick(name, text);
      await expect.poll(() => page.locator('#error').textContent()).toContain(message);
      if (name === 'ragged.csv') await screenshot(page, 'csv-error');
    }
    const rows = Array.from({ length: 60 }, (_, i) => `${(i % 2) * 2 - 1 + 0.01 * i},${0.02 * i},${i % 2}`);
    await pick('good.csv', `x,y,label\n${rows.join('\n')}\n`);
    await expect.poll(() => page.locator('#csv-name').textContent()).toContain('60 rows, 2 features, 2 classes');
    await page.click('#start');
    expect(await waitForRunEnd(page, 60_000)).toBe('done');
    expect(await page.locator('#error').textContent()).toBe('');
    await page.context().close();
  });

  it('Test that a model past the adapter limits gets a message naming the buffer and the limit, and the page keeps working', async () => {
    const page = await open('data=moons&samples=200&hidden=100000,100000&epochs=1');
    await page.click('#start');
    expect(
      await page.waitForFunction(() => document.getElementById('status')?.dataset.state === 'failed', null, {
        timeout: 30_000,
      }),
    ).toBeTruthy();
    const error = (await page.locator('#error').textContent()) ?? '';
    expect(error).toMatch(/buffer 'params' needs 37\.3 GiB, over .*'s (maxStorageBufferBindingSize|maxBufferSize) of/);
    await screenshot(page, 'limits-error');
    await page.locator('input[name=hidden]').fill('4');
    await page.click('#start');
    expect(await waitForRunEnd(page, 60_000)).toBe('done');
    await page.context().close();
  });
});

// A run long enough to interrupt: 240 train rows in batches of 16, 15 steps an epoch, a checkpoint
// every epoch (stored at most once a second), 18,000 steps (a few seconds on the fused path, which it
// takes: 1500 ended before a second checkpoint was stored, and 6000, once an epoch's end no longer
// waited for its evaluation, before the device-loss test's loss came). Adam, L2 and dropout, so a
// resume must also restore the optimizer moments and the step count (Adam's bias correction and the
// dropout masks use it).
const LONG =
  'data=spiral&samples=300&hidden=16&activation=tanh&optimizer=adam&lr=0.01&l2=0.01&keepProb=0.9&batchSize=16&epochs=1200';
const LONG_STEPS = 18_000;
let uninterrupted: Buffer | undefined;

async function download(page: Page): Promise<Buffer> {
  const pending = page.waitForEvent('download');
  await page.click('#save');
  return readBytes(await (await pending).path());
}

/** Waits until the worker has stored a checkpoint at or after `step`; returns its step. */
async function savedCheckpoint(page: Page, step: number): Promise<number> {
  const saved = async () =>
    (await workerLog(page)).flatMap((m) => (m.type === 'saved-run' && m.info ? [m.info.step] : [])).at(-1) ?? 0;
  await expect.poll(saved, { timeout: 60_000, interval: 100 }).toBeGreaterThanOrEqual(step);
  return saved();
}

describe('checkpoints and device loss', () => {
  it('Test that an uninterrupted run completes and leaves no saved run behind', async () => {
    const page = await open(LONG);
    await page.click('#start');
    expect(await waitForRunEnd(page, 110_000)).toBe('done');
    expect(runEvents(await workerLog(page)).summary!.steps).toBe(LONG_STEPS);
    uninterrupted = await download(page);
    await expect.poll(() => page.locator('#saved-run').isHidden()).toBe(true);
    await page.context().close();
  });

  it('Test that a page reloaded mid-run offers the saved run, restores its settings and ends bit-for-bit like the uninterrupted run', async () => {
    expect(uninterrupted, 'the uninterrupted run saves its weights').toBeDefined();
    const page = await open(LONG);
    await page.click('#start');
    await savedCheckpoint(page, 45);
    // Back to the bare page: the settings must come from the saved run, not from the link.
    await page.goto(site.url);
    await expectAdapter(page);
    await expect.poll(() => page.locator('#saved-run').isVisible(), { timeout: 10_000 }).toBe(true);
    const info = (await workerLog(page)).find((m) => m.type === 'saved-run');
    if (info?.type !== 'saved-run' || !info.info) throw new Error(`no saved run offered: ${JSON.stringify(info)}`);
    const at = info.info.step;
    expect(at % 15).toBe(0);
    expect(at).toBeGreaterThanOrEqual(45);
    expect(at).toBeLessThan(LONG_STEPS);
    expect(await page.locator('#saved-run-text').textContent()).toContain(`step ${at} of ${LONG_STEPS}`);
    expect(await page.locator('input[name=hidden]').inputValue()).toBe('32,32'); // defaults until resumed
    // Offered without scrolling, on a 1280×800 screen.
    const box = await page.locator('#resume-saved').boundingBox();
    expect(box && box.y + box.height).toBeLessThanOrEqual(800);
    await screenshot(page, 'resume-offered');
    await page.click('#resume-saved');
    expect(await page.locator('input[name=hidden]').inputValue()).toBe('16');
    expect(await page.locator('select[name=data]').inputValue()).toBe('spiral');
    expect(await waitForRunEnd(page, 110_000)).toBe('done');
    const log = await workerLog(page);
    const ready = log.find((m) => m.type === 'ready');
    expect(ready?.type === 'ready' && ready.initFrom).toBe(
      `checkpoint at step ${at} (epoch ${at / 15 + 1}) of the saved run`,
    );
    // The curves from before the reload come back: the points up to the checkpoint, before the run's own.
    const history = log.find((m) => m.type === 'history');
    if (history?.type !== 'history') throw new Error('no chart points from before the reload');
    expect(history.points.filter((p) => p.loss !== null).length).toBeGreaterThanOrEqual(3);
    expect(Math.max(...history.points.map((p) => p.step))).toBeLessThanOrEqual(at);
    expect(log.indexOf(history)).toBeLessThan(log.findIndex((m) => m.type === 'event'));
    const { progress, summary } = runEvents(log);
    expect(progress[0]!.step).toBeGreaterThan(at);
    expect(summary!.steps).toBe(LONG_STEPS);
    const resumed = await download(page);
    expect(resumed.equals(uninterrupted!), 'resumed weights differ from the uninterrupted run').toBe(true);
    await page.context().close();
  });

  it('Test that a GPU device lost mid-run is replaced, the page says so, and the run ends bit-for-bit like the uninterrupted one', async () => {
    expect(uninterrupted, 'the uninterrupted run saves its weights').toBeDefined();
    const page = await open(LONG);
    await page.click('#start');
    await savedCheckpoint(page, 45);
    await page.evaluate(() => (window as unknown as { __trainer: { loseDevice: () => void } }).__trainer.loseDevice());
    expect(await waitForRunEnd(page, 110_000)).toBe('done');
    const text = (await page.locator('#notice').textContent()) ?? '';
    const m = /^GPU device lost at step (\d+); resumed from the checkpoint at step (\d+) on a new device/.exec(text);
    if (!m) throw new Error(`no device-loss notice, the page shows '${text}'`);
    const [lostAt, from] = [Number(m[1]), Number(m[2])];
    expect(from).toBeGreaterThanOrEqual(45);
    expect(from % 15).toBe(0);
    expect(lostAt).toBeGreaterThanOrEqual(from);
    const log = await workerLog(page);
    expect(log.filter((l) => l.type === 'adapter').length).toBe(2); // the first device and its replacement
    const recovered = log.flatMap((l) => (l.type === 'event' && l.event.type === 'recovered' ? [l.event] : []));
    expect(recovered.map((r) => r.fromStep)).toEqual([from]);
    expect(runEvents(log).summary!.steps).toBe(LONG_STEPS);
    await screenshot(page, 'device-lost-recovered');
    const after = await download(page);
    expect(after.equals(uninterrupted!), 'weights after the recovery differ from the uninterrupted run').toBe(true);
    await page.context().close();
  });
});
