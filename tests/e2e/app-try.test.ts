// Try the model in the page: draw a digit (and, below, the other views that answer with the library's
// predict). Screenshots go to test-results/screenshots/.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright';
import { createTrainer } from '../../src/index.ts';
import { decodeModel } from '../../src/lib/model-file.ts';
import { openApp, readBytes, screenshot, startSite, waitForRunEnd, workerLog, type Site } from './site.ts';

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
    const cpu = await createTrainer({ model: saved, device: 'cpu' });
    const p = await cpu.predict(pixels);
    cpu.destroy();
    expect(p.classes![0]).toBe(last.cls);
    p.values.forEach((v, k) => expect(Math.abs(last.values[k]! - v)).toBeLessThanOrEqual(1e-4 + 1e-3 * Math.abs(v)));
    await screenshot(page, 'digit-drawn');
    // Clear wipes the drawing and the answer.
    await page.click('#draw-clear');
    expect(await out.getAttribute('data-class')).toBeNull();
    await page.context().close();
  });
});
