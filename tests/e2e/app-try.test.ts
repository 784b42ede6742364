// Try the model in the page: draw a digit (and, below, the other views that answer with the library's
// predict). Screenshots go to test-results/screenshots/.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright';
import * as ort from 'onnxruntime-web';
import { createTrainer } from '../../src/index.ts';
import { decodeModel, type SavedModel } from '../../src/lib/model-file.ts';
import { HINTS } from '../../src/app/hints.ts';
import { openApp, readBytes, screenshot, startSite, waitForRunEnd, workerLog, type Site } from './site.ts';

// One thread: no worker threads to start or leave behind, and the machine is shared.
ort.env.wasm.numThreads = 1;

let site: Site;

beforeAll(async () => {
  site = await startSite();
});
afterAll(async () => {
  await site?.close();
});

async function download(page: Page, button: string): Promise<{ name: string; bytes: Buffer }> {
  const pending = page.waitForEvent('download');
  await page.click(button);
  const d = await pending;
  return { name: d.suggestedFilename(), bytes: readBytes(await d.path()) };
}

/** Drags the mouse through `points` (fractions of the element's box) as one stroke. */
async function stroke(page: Page, selector: string, points: [number, number][]): Promise<void> {
  const box = (await page.locator(selector).boundingBox())!;
  const at = ([fx, fy]: [number, number]) => [box.x + fx * box.width, box.y + fy * box.height] as const;
  await page.mouse.move(...at(points[0]!));
  await page.mouse.down();
  for (const p of points.slice(1)) await page.mouse.move(...at(p), { steps: 6 });
  await page.mouse.up();
}

/** The library's predict (float64, on the CPU) for a saved model's rows. */
async function cpuPredict(model: SavedModel, x: Float32Array) {
  const cpu = await createTrainer({ model, device: 'cpu' });
  try {
    return await cpu.predict(x);
  } finally {
    cpu.destroy();
  }
}

const pickCsv = (page: Page, name: string, text: string) =>
  page.setInputFiles('#csv-file', { name, mimeType: 'text/csv', buffer: Buffer.from(text) });

const fieldValues = (page: Page, names: string[]) =>
  Promise.all(names.map((n) => page.locator(`[name=${n}]`).inputValue()));

type Digit = Extract<Awaited<ReturnType<typeof workerLog>>[number], { type: 'digit' }>;
const digits = async (page: Page): Promise<Digit[]> =>
  (await workerLog(page)).filter((m): m is Digit => m.type === 'digit');

describe('web app: try the model', () => {
  it('Test that a digit drawn with the mouse gets the class and probabilities the library’s predict gives for the pixels the app sent', async () => {
    const page = await openApp(site, 'data=mnist&samples=1500&hidden=32&lr=0.1&batchSize=64&epochs=3');
    await page.click('#start');
    expect(await waitForRunEnd(page, 120_000)).toBe('done');
    await expect.poll(() => page.locator('#draw-panel').isVisible()).toBe(true);
    // A "7": the bar across the top, then the long stroke down to the left.
    await stroke(page, '#draw-pad', [
      [0.25, 0.2],
      [0.75, 0.2],
      [0.45, 0.85],
    ]);
    // Answers come while drawing (throttled) and after the pen lifts; the page shows the latest.
    await expect.poll(async () => (await digits(page)).length, { timeout: 20_000 }).toBeGreaterThan(0);
    await page.waitForTimeout(1500);
    const answers = await digits(page);
    const last = answers.at(-1)!;
    const out = page.locator('#draw-out');
    expect(await out.getAttribute('data-class')).toBe(String(last.cls));
    expect(await out.textContent()).toBe(`The model says ${last.cls} (${(100 * last.values[last.cls]!).toFixed(1)}%)`);
    expect(await page.locator('#draw-bars .bar').count()).toBe(10);
    // MNIST's input: 784 pixels in the data's range [0, 1], inked, with the digit in the middle.
    const pixels = Float32Array.from(Object.values(last.pixels));
    expect(pixels.length).toBe(784);
    expect(Math.max(...pixels)).toBeLessThanOrEqual(1);
    expect(pixels.filter((v) => v > 0.5).length).toBeGreaterThan(20);
    // The library's predict on the same pixels, from the model file the page saves (float64 on the CPU
    // against the page's float32 on WebGPU): the same class, the probabilities within the tolerance rule.
    const saved = decodeModel((await download(page, '#save')).bytes, 'the saved model');
    const p = await cpuPredict(saved, pixels);
    expect(p.classes![0]).toBe(last.cls);
    p.values.forEach((v, k) => expect(Math.abs(last.values[k]! - v)).toBeLessThanOrEqual(1e-4 + 1e-3 * Math.abs(v)));
    await screenshot(page, 'digit-drawn');
    // Clear wipes the drawing and the answer.
    await page.click('#draw-clear');
    expect(await out.getAttribute('data-class')).toBeNull();
    await page.context().close();
  });

  it('Test that a model file sets the form from its architecture and settings and loads, and Download ONNX gives the model that onnxruntime runs as predict does', async () => {
    const fields = ['data', 'samples', 'hidden', 'activation', 'lr', 'l2', 'batchSize', 'epochs', 'seed'];
    const trained = await openApp(
      site,
      'data=moons&samples=300&hidden=12,6&activation=tanh&lr=0.2&l2=0.001&batchSize=16&epochs=8&seed=3',
    );
    const want = await fieldValues(trained, fields);
    await trained.click('#start');
    expect(await waitForRunEnd(trained, 90_000)).toBe('done');
    const file = await download(trained, '#save');
    const onnx = await download(trained, '#save-onnx');
    expect(onnx.name).toBe('mlp-moons-2x12x6x1.onnx');
    await trained.context().close();
    // ONNX, run by onnxruntime, against the library's predict on the same rows.
    const model = decodeModel(file.bytes, file.name);
    const x = Float32Array.from({ length: 2 * 9 }, (_, i) => Math.sin(1.7 * i) * 1.5);
    const session = await ort.InferenceSession.create(new Uint8Array(onnx.bytes));
    const out = await session.run({ input: new ort.Tensor('float32', x, [9, 2]) });
    const p = await cpuPredict(model, x);
    const got = out.output!.data as Float32Array;
    expect(got.length).toBe(9);
    // The graph outputs the sigmoid p; predict gives 1 − p, p per row.
    got.forEach((v, r) => expect(Math.abs(v - p.values[2 * r + 1]!)).toBeLessThanOrEqual(1e-5));
    // A page at the defaults (spiral, hidden 32,32, relu…): the file sets the form, then loads.
    const page = await openApp(site, '');
    await page.setInputFiles('#model-file', {
      name: file.name,
      mimeType: 'application/octet-stream',
      buffer: file.bytes,
    });
    await expect.poll(() => fieldValues(page, fields)).toEqual(want);
    await page.waitForFunction(() => location.search.includes('hidden=12%2C6'));
    await expect
      .poll(() => page.locator('#model-info').textContent(), { timeout: 30_000 })
      .toContain(`Loaded ${file.name}`);
    expect(await page.locator('#notice').textContent()).toBe(
      `The form now has ${file.name}'s architecture and settings.`,
    );
    const loaded = (await workerLog(page)).find((m) => m.type === 'loaded');
    expect(loaded?.type === 'loaded' && loaded.spec.sizes).toEqual([2, 12, 6, 1]);
    await screenshot(page, 'model-loaded');
    await page.context().close();
  });

  it('Test that a CSV model file chooses its label column and loads, and a file without one of its columns is refused by name', async () => {
    const rows = Array.from({ length: 120 }, (_, i) => {
      const k = i % 2;
      const a = (k ? 1 : -1) + 0.3 * Math.sin(i),
        b = 0.5 * Math.cos(3 * i),
        c = 0.1 * i + 0.25;
      return `${a.toFixed(3)},${b.toFixed(3)},${k ? 'yes' : 'no'},${c.toFixed(3)}`;
    });
    const csv = ['a,b,kind,c', ...rows].join('\n') + '\n';
    const trained = await openApp(site, 'data=csv&hidden=4&epochs=5&lr=0.1');
    await pickCsv(trained, 'kinds.csv', csv);
    await expect.poll(() => trained.locator('#csv-label').isDisabled()).toBe(false);
    await trained.selectOption('#csv-label', 'kind');
    await expect.poll(() => trained.locator('#csv-name').textContent()).toContain('2 classes (no, yes) in "kind"');
    await trained.click('#start');
    expect(await waitForRunEnd(trained, 90_000)).toBe('done');
    const file = await download(trained, '#save');
    await trained.context().close();
    expect(decodeModel(file.bytes, file.name).info.featureNames).toEqual(['a', 'b', 'c']);
    // A fresh page reads the file with its default label, the last column: c, which leaves the text
    // column kind as an input, and fails.
    const page = await openApp(site, 'data=csv');
    await pickCsv(page, 'kinds.csv', csv);
    await expect.poll(() => page.locator('#error').textContent()).toContain('kind');
    expect(await page.locator('#csv-label').inputValue()).toBe('c');
    await page.setInputFiles('#model-file', {
      name: file.name,
      mimeType: 'application/octet-stream',
      buffer: file.bytes,
    });
    await expect
      .poll(() => page.locator('#model-info').textContent(), { timeout: 30_000 })
      .toContain(`Loaded ${file.name}`);
    expect(await page.locator('#csv-label').inputValue()).toBe('kind');
    expect(await fieldValues(page, ['hidden', 'epochs', 'lr'])).toEqual(['4', '5', '0.1']);
    // A file without the column b: refused, naming it.
    await pickCsv(
      page,
      'no-b.csv',
      [
        'a,kind,c',
        ...rows.map((r) =>
          r
            .split(',')
            .filter((_, i) => i !== 1)
            .join(','),
        ),
      ].join('\n'),
    );
    await expect.poll(() => page.locator('#csv-label option').allTextContents()).toEqual(['a', 'kind', 'c']);
    await page.setInputFiles('#model-file', {
      name: file.name,
      mimeType: 'application/octet-stream',
      buffer: file.bytes,
    });
    await expect
      .poll(() => page.locator('#error').textContent())
      .toBe(`Load model: ${file.name} does not fit the data file: the file has no column "b"`);
    // Rows to predict without the column b: the library's reader names it.
    await page.setInputFiles('#rows-file', {
      name: 'no-b.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from('a,kind,c\n1,yes,2\n'),
    });
    await expect
      .poll(() => page.locator('#error').textContent())
      .toContain(`no-b.csv: missing the model's feature column "b"`);
    await page.context().close();
  });

  it('Test that a picked CSV shows its first rows and each column’s type, range and missing cells before training, also when the reader refuses it', async () => {
    const rows = Array.from({ length: 40 }, (_, i) => `${i % 7},${(0.5 * i).toFixed(1)},${i % 2 ? 'yes' : 'no'},${-i}`);
    rows[2] = '2,,yes,-2'; // a gap, and text among the features (the label is the last column): refused
    const page = await openApp(site, 'data=csv');
    await pickCsv(page, 'gap.csv', ['a,b,kind,c', ...rows].join('\n') + '\n');
    await expect.poll(() => page.locator('#profile-panel').isVisible()).toBe(true);
    expect(await page.locator('#profile-title').textContent()).toBe(
      'gap.csv: the first 5 rows, and each column over all 40 rows',
    );
    expect(await page.locator('#profile-rows tr').count()).toBe(6);
    expect(await page.locator('#profile-rows td.missing').count()).toBe(1);
    const table = await page
      .locator('#profile-columns tr')
      .evaluateAll((trs) => trs.map((tr) => [...tr.children].map((c) => c.textContent)));
    expect(table).toEqual([
      ['column', 'type', 'values', 'missing', 'distinct'],
      ['a', 'integer', '0 … 6', '0', '7'],
      ['b', 'number', '0 … 19.5', '1', '39'],
      ['kind', 'text', '"no", "yes"', '0', '2'],
      ['c', 'integer', '-39 … 0', '0', '40'],
    ]);
    await expect.poll(() => page.locator('#error').textContent()).toContain('column "kind": text in a feature column');
    await screenshot(page, 'csv-profile');
    await page.context().close();
  });

  it('Test that rows picked as a CSV get predict’s classes and probabilities in a table and a CSV to download, with the accuracy when labelled', async () => {
    const page = await openApp(site, 'data=moons&samples=300&hidden=8&activation=tanh&lr=0.5&batchSize=32&epochs=10');
    await page.click('#start');
    expect(await waitForRunEnd(page, 90_000)).toBe('done');
    await expect.poll(() => page.locator('#rows-panel').isVisible()).toBe(true);
    // The model, layer by layer: input, two dense layers, the total (33 parameters: 2·8 + 8 + 8 + 1).
    expect(await page.locator('#layers-title').textContent()).toBe(
      'The model, layer by layer (float32; a batch of 32 rows, sgd)',
    );
    const layers = await page
      .locator('#layers-table tr')
      .evaluateAll((trs) => trs.map((tr) => [...tr.children].map((c) => c.textContent)));
    expect(layers.map((r) => r.slice(0, 4))).toEqual([
      ['layer', 'output', 'tensors', 'parameters'],
      ['input', '[32, 2]', '', ''],
      ['1: dense, tanh', '[32, 8]', 'W [8, 2], b [8]', '24'],
      ['2: dense, sigmoid', '[32, 1]', 'W [1, 8], b [1]', '9'],
      ['total', '', '', '33'],
    ]);
    const points = [
      [-1, 0.5],
      [0, 1],
      [1, 0],
      [2, 0.2],
      [0.5, -0.4],
      [1.5, -0.5],
      [-0.8, 0.2],
      [0.2, 0.9],
      [1.8, -0.1],
      [0.9, 0.6],
      [1, -0.5],
      [-0.5, 0.9],
    ];
    const labels = [0, 0, 0, 1, 1, 1, 0, 0, 1, 0, 1, 0];
    const csv = ['x,y,label', ...points.map(([a, b], i) => `${a},${b},${labels[i]}`)].join('\n') + '\n';
    await page.setInputFiles('#rows-file', { name: 'points.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
    await expect
      .poll(() => page.locator('#rows-out').textContent(), { timeout: 20_000 })
      .toMatch(/^12 predictions · accuracy /);
    expect(await page.locator('#rows-table tr').count()).toBe(11); // header, the first 10
    expect(await page.locator('#rows-table th').allTextContents()).toEqual(['x', 'y', 'prediction', '0', '1']);
    const got = await download(page, '#rows-save');
    expect(got.name).toBe('points-predictions.csv');
    const model = decodeModel((await download(page, '#save')).bytes, 'the model');
    const p = await cpuPredict(model, Float32Array.from(points.flat()));
    const lines = got.bytes.toString().trim().split('\n');
    expect(lines[0]).toBe('prediction,0,1');
    expect(lines.length).toBe(13);
    lines.slice(1).forEach((line, r) => {
      const [cls, ...probs] = line.split(',');
      expect(Number(cls)).toBe(p.classes![r]);
      probs.forEach((v, k) =>
        expect(Math.abs(Number(v) - p.values[2 * r + k]!)).toBeLessThanOrEqual(1e-4 + 1e-3 * p.values[2 * r + k]!),
      );
    });
    const right = labels.filter((l, r) => l === p.classes![r]).length;
    expect(await page.locator('#rows-out').textContent()).toBe(
      `12 predictions · accuracy ${((100 * right) / 12).toFixed(1)}% (${right} of 12) on these rows · the first 10 shown`,
    );
    await screenshot(page, 'rows-predicted');
    // A file whose columns do not fit a model without column names: refused, saying why.
    await page.setInputFiles('#rows-file', {
      name: 'wide.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from('a,b,c,d\n1,2,3,4\n'),
    });
    await expect
      .poll(() => page.locator('#error').textContent())
      .toBe(
        'Try the model: wide.csv: 4 columns; the model takes 2 inputs (and optionally a label last), and records no column names to pick them by',
      );
    await page.context().close();
  });

  it('Test that each field has a plain-words hint that shows and hides with it, the long paragraphs wait behind a "?", and the adapter is one collapsed line', async () => {
    const page = await openApp(site, 'data=spiral');
    const visible = (sel: string) => page.locator(sel).isVisible();
    for (const key of ['data', 'noise', 'samples', 'hidden', 'lr', 'l2', 'keepProb', 'epochs', 'device'] as const) {
      expect(await page.locator(`#${key}-hint`).textContent()).toBe(HINTS[key]);
      expect(await visible(`#${key}-hint`)).toBe(true);
      expect(await page.locator(`[name=${key}]`).getAttribute('aria-describedby')).toBe(`${key}-hint`);
    }
    // β1 only with the optimizers that use it, noise only for the 2-D sets: their hints go with them.
    expect(await visible('#beta1-hint')).toBe(false);
    await page.selectOption('select[name=optimizer]', 'adam');
    await expect.poll(() => visible('#beta1-hint')).toBe(true);
    // A bad value: its message and its hint both describe the field.
    await page.locator('input[name=lr]').fill('-1');
    await expect.poll(() => page.locator('input[name=lr]').getAttribute('aria-describedby')).toBe('lr-error lr-hint');
    // The data-file paragraph: only for files, and behind its "?".
    const csvMore = page.locator('details.more[data-for=csv]');
    expect(await csvMore.isVisible()).toBe(false);
    await page.selectOption('select[name=data]', 'csv');
    await expect.poll(() => csvMore.isVisible()).toBe(true);
    expect(await visible('#noise-hint')).toBe(false);
    expect(await csvMore.locator('p').isVisible()).toBe(false);
    await csvMore.locator('summary').click();
    expect(await csvMore.locator('p').textContent()).toContain('CSV or TSV with a header row');
    expect(await csvMore.locator('p').isVisible()).toBe(true);
    const sweepMore = page.locator('#sweep-form details.more p');
    expect(await sweepMore.isVisible()).toBe(false);
    // The adapter: one line, its details folded away.
    expect(await page.locator('#device-details').getAttribute('open')).toBeNull();
    expect((await page.locator('#device-details').boundingBox())!.height).toBeLessThan(30);
    await screenshot(page, 'hints');
    await page.context().close();
  });
});
