// The loss surface in the web app: after a short run of the default spiral net, "Loss surface" asks the
// worker for the 41×41 costs (Trainer.lossSurface, one dispatch) and the page draws them with its own
// WebGPU device (rendered into a texture, read back into a 2-D canvas); the test reads the canvas's
// pixels to see that something was drawn and that a drag turns it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright';
import { openApp, screenshot, startSite, waitForRunEnd, workerLog, type Site } from './site.ts';

let site: Site;

beforeAll(async () => {
  site = await startSite();
});
afterAll(async () => {
  await site?.close();
});

/** Pixels of the surface canvas painted, those unlike its clear colour, its distinct colours and a checksum of all. */
function canvasPixels(
  page: Page,
): Promise<{ painted: number; drawn: number; colours: number; sum: number; total: number }> {
  return page.evaluate(() => {
    const c = document.getElementById('surface-canvas') as HTMLCanvasElement;
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    let [painted, drawn, sum] = [0, 0, 0];
    const colours = new Set<number>();
    for (let i = 0; i < d.length; i += 4) {
      const [r, g, b] = [d[i]!, d[i + 1]!, d[i + 2]!];
      if (d[i + 3] === 0) continue; // not painted yet (a new canvas is transparent black)
      painted++;
      if (Math.abs(r - 247) + Math.abs(g - 247) + Math.abs(b - 250) > 12) drawn++;
      colours.add((r << 16) | (g << 8) | b);
      sum = (sum * 31 + r + 3 * g + 7 * b) % 1_000_000_007;
    }
    return { painted, drawn, colours: colours.size, sum, total: d.length / 4 };
  });
}

describe('loss surface view', () => {
  // Test that after a run the surface is computed (1,681 finite costs, the run's path projected) and drawn
  // (a good part of the canvas is not the background), and that dragging changes the picture.
  it('draws the spiral net’s surface and turns it on drag', { timeout: 400_000 }, async () => {
    const page = await openApp(site, 'epochs=3');
    await page.click('#start');
    await waitForRunEnd(page, 120_000);
    await page.click('#surface');
    await page.waitForFunction(
      () =>
        (window as unknown as { __trainer: { log: { type: string }[] } }).__trainer.log.some(
          (m) => m.type === 'surface' || (m.type === 'error' && (m as { context?: string }).context === 'surface'),
        ),
      null,
      { timeout: 300_000 },
    );
    const m = (await workerLog(page)).find((x) => x.type === 'surface');
    if (m?.type !== 'surface') throw new Error(`no surface: ${await page.locator('#error').textContent()}`);
    expect(m.size).toBe(41);
    expect(m.cost.length).toBe(41 * 41);
    expect([...m.cost].every(Number.isFinite)).toBe(true);
    expect(m.device).toBe('gpu');
    expect(m.rows).toBe(800); // the training split of 1000 rows at test split 0.2
    expect(m.path.length).toBeGreaterThanOrEqual(2); // the start, each epoch's checkpoint, the end
    const last = m.path.at(-1)!;
    expect(Math.hypot(last.alpha, last.beta)).toBeLessThan(1e-6); // the current weights are the centre
    await expect
      .poll(() => page.locator('#surface-info').textContent())
      .toMatch(/^41×41 points over 800 training rows/);
    await expect.poll(async () => (await canvasPixels(page)).painted, { timeout: 30_000 }).toBe(480 * 360);
    const before = await canvasPixels(page);
    expect(before.drawn).toBeGreaterThan(0.1 * before.total); // the surface covers a good part of it
    await page.locator('#surface-panel').scrollIntoViewIfNeeded();
    await screenshot(page, 'loss-surface');
    expect(before.drawn).toBeLessThan(0.9 * before.total); // the background shows around the surface
    expect(before.colours).toBeGreaterThan(200); // lit and coloured by height, not one flat colour
    const box = (await page.locator('#surface-canvas').boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width / 2 + 120, box.y + box.height / 2 + 30, { steps: 5 });
    await page.mouse.up();
    await expect.poll(async () => (await canvasPixels(page)).sum, { timeout: 30_000 }).not.toBe(before.sum);
    await page.mouse.move(box.x + box.width / 2 - 120, box.y + box.height / 2, { steps: 5 }); // no button: no turn
  });
});
