// The web app with data as people have it: a CSV with a quoted header, CRLF line ends, a BOM and a text
// class column (iris-like), the label-column chooser, parse progress, a regression CSV trained with
// RMSE/MAE/R² and the predicted-vs-true view, MNIST-layout IDX files picked together (some gzipped) and
// an .npz dropped on the page. The files are generated here.
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright';
import { decodeModel } from '../../src/lib/model-file.ts';
import { idxFile, npy, npzFile } from '../node/array-files.ts';
import { openApp, readBytes, runEvents, screenshot, startSite, waitForRunEnd, workerLog, type Site } from './site.ts';

let site: Site;

beforeAll(async () => {
  site = await startSite();
});
afterAll(async () => {
  await site?.close();
});

function open(query: string): Promise<Page> {
  return openApp(site, query);
}

async function download(page: Page): Promise<Buffer> {
  const pending = page.waitForEvent('download');
  await page.click('#save');
  return readBytes(await (await pending).path());
}

/** A seeded uniform generator (a 32-bit LCG), so the files are the same every run. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

const IRIS_CLASSES = ['setosa', 'versicolor', 'virginica'];
const IRIS_FEATURES = ['sepal length', 'sepal width', 'petal length', 'petal width'];

/** 150 rows of three well-separated clusters, a BOM, a quoted header with spaces, CRLF line ends, and
 *  the class as text (quoted on some rows). */
function irisCsv(): string {
  const rnd = lcg(7);
  const centres = [
    [5.0, 3.4, 1.5, 0.2],
    [5.9, 2.8, 4.3, 1.3],
    [6.6, 3.0, 5.6, 2.0],
  ];
  const lines = [IRIS_FEATURES.map((f) => `"${f}"`).join(',') + ',"species"'];
  for (let i = 0; i < 150; i++) {
    const c = i % 3;
    const row = centres[c]!.map((m) => (m + 0.3 * (rnd() - 0.5)).toFixed(2));
    lines.push(`${row.join(',')},${i % 2 === 0 ? `"${IRIS_CLASSES[c]}"` : IRIS_CLASSES[c]}`);
  }
  return `\uFEFF${lines.join('\r\n')}\r\n`;
}

/** y = sin(x1) + 0.5·x2² + noise, x1 in [−3, 3], x2 in [−2, 2]: a non-integer label, so regression. */
function regressionCsv(rows: number): string {
  const rnd = lcg(11);
  const lines = ['x1,x2,y'];
  for (let i = 0; i < rows; i++) {
    const x1 = 6 * rnd() - 3;
    const x2 = 4 * rnd() - 2;
    const noise = 0.05 * (rnd() + rnd() + rnd() - 1.5);
    lines.push(`${x1.toFixed(4)},${x2.toFixed(4)},${(Math.sin(x1) + 0.5 * x2 * x2 + noise).toFixed(4)}`);
  }
  return lines.join('\n') + '\n';
}

const pick = (page: Page, name: string, text: string) =>
  page.setInputFiles('#csv-file', { name, mimeType: 'text/csv', buffer: Buffer.from(text) });

describe('web app data', () => {
  it('Test that an iris-like CSV (BOM, quoted header, CRLF, text classes) trains from the page, the class names show, and the saved model keeps them', async () => {
    const page = await open('data=csv&samples=1000&hidden=8&activation=tanh&lr=0.1&epochs=30');
    // A PNG picked by mistake is named as one, not read as a table with a 'PNG' column.
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 0x49, 0x48, 0x44, 0x52]);
    await page.setInputFiles('#csv-file', { name: 'photo.png', mimeType: 'image/png', buffer: png });
    await expect
      .poll(() => page.locator('#error').textContent())
      .toContain('photo.png is a PNG image, not a table of text');
    expect(await page.locator('#csv-label option').allTextContents()).toEqual(['(pick a file)']);
    await pick(page, 'iris.csv', irisCsv());
    await expect
      .poll(() => page.locator('#csv-name').textContent())
      .toContain('iris.csv: 150 rows, 4 features, 3 classes (setosa, versicolor, virginica) in "species"');
    // The label chooser holds the header's columns, the last one chosen.
    expect(await page.locator('#csv-label option').allTextContents()).toEqual([...IRIS_FEATURES, 'species']);
    expect(await page.locator('#error').textContent()).toBe('');
    expect(await page.locator('#csv-label').inputValue()).toBe('species');
    const parsed = (await workerLog(page)).filter((m) => m.type === 'csv-progress').at(-1);
    expect(
      parsed?.type === 'csv-progress' && parsed.bytes === parsed.total && parsed.total > 0,
      'a final parse-progress message',
    ).toBe(true);

    // Another label column: species is then a text feature, which the message names; back to species.
    await page.locator('#csv-label').selectOption('petal width');
    await expect.poll(() => page.locator('#error').textContent()).toContain('"species"');
    await page.locator('#csv-label').selectOption('species');
    await expect
      .poll(() => page.locator('#csv-name').textContent())
      .toContain('3 classes (setosa, versicolor, virginica)');
    expect(await page.locator('#error').textContent()).toBe('');

    await page.click('#start');
    expect(await waitForRunEnd(page, 90_000)).toBe('done');
    expect(await page.locator('#model-info').textContent()).toContain('classes: setosa, versicolor, virginica');
    const { summary } = runEvents(await workerLog(page));
    expect(summary!.testAccuracy!).toBeGreaterThan(0.9);
    await screenshot(page, 'iris-trained');

    const model = decodeModel(await download(page), 'iris model');
    expect(model.spec.sizes).toEqual([4, 8, 3]);
    expect(model.info.classNames).toEqual(IRIS_CLASSES);
    expect(model.info.featureNames).toEqual(IRIS_FEATURES);
    expect(model.info.labelName).toBe('species');
    expect(model.info.normalization?.shift.length).toBe(4);
    await page.context().close();
  });

  it('Test that a CSV with a non-integer label trains as regression with the regression defaults (Adam, 0.01; a diverged run shows no figures and speaks of the learning rate): RMSE, MAE and R² in the page, a predicted-vs-true view, the task in the saved model, which loads back with its R²', async () => {
    const page = await open('data=csv&samples=1000&hidden=32,32&activation=tanh&batchSize=32&epochs=40');
    await pick(page, 'wave.csv', regressionCsv(500));
    await expect
      .poll(() => page.locator('#csv-name').textContent())
      .toContain('wave.csv: 500 rows, 2 features, regression on "y"');
    // The form had the classification defaults (SGD, 0.3): a regression gets Adam at 0.01, and says so.
    expect(await page.locator('select[name=optimizer]').inputValue()).toBe('adam');
    expect(await page.locator('input[name=lr]').inputValue()).toBe('0.01');
    expect(await page.locator('#notice').textContent()).toContain('Regression: optimizer Adam, learning rate 0.01');
    await page.waitForFunction(() => location.search.includes('optimizer=adam') && location.search.includes('lr=0.01'));

    // SGD at 3 diverges: the error names the form's field, and no figure of the diverged model stays.
    await page.selectOption('select[name=optimizer]', 'sgd');
    await page.fill('input[name=lr]', '3');
    await page.click('#start');
    await expect // the state comes first, then the error
      .poll(() => page.locator('#error').textContent(), { timeout: 60_000 })
      .toContain('try a lower learning rate)');
    const error = (await page.locator('#error').textContent()) ?? '';
    expect(error).toContain('try a lower learning rate)');
    expect(error).not.toMatch(/\blr\b|--/);
    const line = (await page.locator('#progress-text').textContent()) ?? '';
    expect(line).toContain('no figures from a diverged model');
    expect(line).not.toMatch(/R²|RMSE|steps\/s/);
    expect(await page.locator('#scatter-r2').textContent()).toBe('no predictions: the run diverged');
    await screenshot(page, 'regression-diverged');
    await page.selectOption('select[name=optimizer]', 'adam');
    await page.fill('input[name=lr]', '0.01');

    await page.click('#start');
    expect(await waitForRunEnd(page, 120_000)).toBe('done');
    const log = await workerLog(page);
    const ready = log.find((m) => m.type === 'ready');
    expect(ready?.type === 'ready' && ready.task).toBe('regression');
    expect(ready?.type === 'ready' && ready.spec).toEqual({ sizes: [2, 32, 32, 1], activation: 'tanh', loss: 'mse' });
    const { progress, summary } = runEvents(log);
    expect(progress.at(-1)!.r2, 'progress events carry R²').toBeDefined();
    expect(summary!.testR2!).toBeGreaterThanOrEqual(0.8);
    const text = (await page.locator('#progress-text').textContent()) ?? '';
    expect(text).toMatch(/test RMSE [\d.e+-]+, MAE [\d.e+-]+, R² 0\.\d{3}/);
    expect(text).not.toContain('acc');
    expect(await page.locator('#acc-panel').isHidden()).toBe(true);
    await expect.poll(() => page.locator('#scatter-panel').isVisible()).toBe(true);
    await expect.poll(() => page.locator('#scatter-r2').textContent()).toMatch(/^R² 0\.\d{3} over 100 rows$/);
    expect(await page.locator('#model-info').textContent()).toContain('regression of y');
    await screenshot(page, 'regression-trained');

    const bytes = await download(page);
    const model = decodeModel(bytes, 'regression model');
    expect(model.info.task).toBe('regression');
    expect(model.info.targetNames).toEqual(['y']);
    expect(model.info.featureNames).toEqual(['x1', 'x2']);
    expect(model.info.targetNormalization?.shift.length).toBe(1);

    // The file loads back against the same data with the R² the run ended with.
    await page.setInputFiles('#model-file', {
      name: 'wave.safetensors',
      mimeType: 'application/octet-stream',
      buffer: bytes,
    });
    await page.waitForFunction(() => (document.getElementById('model-info')?.textContent ?? '').startsWith('Loaded'));
    const loaded = (await workerLog(page)).find((m) => m.type === 'loaded');
    if (loaded?.type !== 'loaded') throw new Error('no loaded message');
    expect(loaded.testR2!).toBeCloseTo(summary!.testR2!, 4);
    expect(await page.locator('#model-info').textContent()).toContain(`test R² ${loaded.testR2!.toFixed(3)}`);
    await page.context().close();
  });

  it('Test that MNIST-layout IDX files picked together (two gzipped) train with their own test set and show the digit grid; a missing file is named', async () => {
    // 28×28 images of three classes: a bright band across rows 2–8, 11–17 or 20–26, with noise.
    const rnd = lcg(3);
    const images = (n: number) => {
      const px = new Uint8Array(n * 784);
      const labels = new Uint8Array(n);
      for (let i = 0; i < n; i++) {
        const c = i % 3;
        labels[i] = c;
        for (let p = 0; p < 784; p++) {
          const row = Math.floor(p / 28);
          px[i * 784 + p] = Math.min(255, Math.floor(60 * rnd()) + (row >= 2 + 9 * c && row <= 8 + 9 * c ? 180 : 0));
        }
      }
      return { px, labels };
    };
    const train = images(150);
    const test = images(30);
    const files = [
      {
        name: 'train-images-idx3-ubyte.gz',
        mimeType: 'application/gzip',
        buffer: gzipSync(idxFile([150, 28, 28], train.px)),
      },
      {
        name: 'train-labels-idx1-ubyte',
        mimeType: 'application/octet-stream',
        buffer: Buffer.from(idxFile([150], train.labels)),
      },
      {
        name: 't10k-images-idx3-ubyte',
        mimeType: 'application/octet-stream',
        buffer: Buffer.from(idxFile([30, 28, 28], test.px)),
      },
      { name: 't10k-labels-idx1-ubyte.gz', mimeType: 'application/gzip', buffer: gzipSync(idxFile([30], test.labels)) },
    ];
    const page = await open('data=csv&samples=1000&hidden=16&lr=0.1&batchSize=16&epochs=5');
    await page.setInputFiles('#csv-file', files.slice(0, 2));
    await expect
      .poll(() => page.locator('#error').textContent())
      .toContain('t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte missing');
    await page.setInputFiles('#csv-file', files);
    await expect
      .poll(() => page.locator('#csv-name').textContent())
      .toContain('IDX files: 150 train + 30 test rows (as given), 784 features, 3 classes');
    expect(await page.locator('#error').textContent()).toBe('');
    await page.click('#start');
    expect(await waitForRunEnd(page, 90_000)).toBe('done');
    const log = await workerLog(page);
    const ready = log.find((m) => m.type === 'ready');
    expect(ready?.type === 'ready' && [ready.trainRows, ready.testRows]).toEqual([150, 30]);
    expect(runEvents(log).summary!.testAccuracy!).toBeGreaterThan(0.9);
    await expect.poll(() => page.locator('#digits figure').count()).toBe(30);
    await expect.poll(() => page.locator('#digits figcaption').first().textContent()).not.toContain('?');
    await screenshot(page, 'idx-trained');
    await page.context().close();
  });

  it('Test that an .npz (deflated members x, y) dropped on the page switches the data to it and trains', async () => {
    const rnd = lcg(5);
    const n = 200;
    const x = new Float32Array(2 * n);
    const y = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      y[i] = i % 2;
      x[2 * i] = (i % 2 === 0 ? -1.5 : 1.5) + rnd() - 0.5;
      x[2 * i + 1] = rnd() * 2 - 1;
    }
    const bytes = npzFile({ x: npy('<f4', [n, 2], x), y: npy('<i4', [n], y) }, 'deflated');
    const page = await open('data=spiral&hidden=8&lr=0.1&epochs=10');
    await page.evaluate(
      ([name, b64]) => {
        const bin = atob(b64);
        const file = new File([Uint8Array.from(bin, (c) => c.charCodeAt(0))], name);
        const dt = new DataTransfer();
        dt.items.add(file);
        document.body.dispatchEvent(new DragEvent('dragover', { dataTransfer: dt, bubbles: true, cancelable: true }));
        document.body.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
      },
      ['two.npz', Buffer.from(bytes).toString('base64')] as const,
    );
    await expect
      .poll(() => page.locator('#csv-name').textContent())
      .toContain('two.npz: 200 rows, 2 features, 2 classes');
    expect(await page.locator('select[name=data]').inputValue()).toBe('csv');
    await page.waitForFunction(() => location.search.includes('data=csv'));
    await page.click('#start');
    expect(await waitForRunEnd(page, 60_000)).toBe('done');
    expect(runEvents(await workerLog(page)).summary!.testAccuracy!).toBeGreaterThan(0.9);
    await expect.poll(() => page.locator('#boundary-panel').isVisible()).toBe(true);
    await page.context().close();
  });
});
