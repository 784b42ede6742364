// The live network view in the web app: during a run of the default spiral net (2-32-32-1, relu) the
// worker posts each checkpoint's network view and the page draws it on a 2-D canvas; the test reads the
// canvas's pixels to see that it is painted and changes between updates, and that unticking "Live
// network view" stops the worker's updates while the run goes on.
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

/** The network canvas's redraws so far, columns drawn, distinct colours, pixels unlike the background
 *  and a checksum of all. */
function canvasState(page: Page) {
  return page.evaluate(() => {
    const c = document.getElementById('network-canvas') as HTMLCanvasElement;
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    let [drawn, sum] = [0, 0];
    const colours = new Set<number>();
    for (let i = 0; i < d.length; i += 4) {
      const [r, g, b] = [d[i]!, d[i + 1]!, d[i + 2]!];
      if (Math.abs(r - 247) + Math.abs(g - 247) + Math.abs(b - 250) > 12) drawn++;
      colours.add((r << 16) | (g << 8) | b);
      sum = (sum * 31 + r + 3 * g + 7 * b) % 1_000_000_007;
    }
    return {
      updates: Number(c.dataset.updates ?? 0),
      columns: Number(c.dataset.columns ?? 0),
      colours: colours.size,
      drawn,
      sum,
      total: d.length / 4,
    };
  });
}

const networkMessages = async (page: Page) => (await workerLog(page)).filter((m) => m.type === 'network').length;
const status = (page: Page) => page.locator('#status').getAttribute('data-state');

describe('network view', () => {
  // Test that the spiral net is drawn as four columns (2 inputs, 16 of 32, 16 of 32, 3 class outputs) of heatmaps,
  // that the picture changes between two updates while training, and that unticking the box stops the
  // updates (no more 'network' messages, no redraws) while the run goes on.
  it('draws the spiral net live and stops when switched off', { timeout: 400_000 }, async () => {
    const page = await openApp(site, 'epochs=100000');
    await page.click('#start');
    await expect.poll(async () => (await canvasState(page)).updates, { timeout: 120_000 }).toBeGreaterThanOrEqual(2);
    const m = (await workerLog(page)).filter((x) => x.type === 'network').at(-1);
    if (m?.type !== 'network') throw new Error('no network message');
    expect(m.data.layers.map((l) => [l.units, l.shown])).toEqual([
      [2, 2],
      [32, 16],
      [32, 16],
      [3, 3],
    ]);
    expect(m.data.layers.every((l) => l.grids?.length === l.shown * m.data.res * m.data.res)).toBe(true);
    const first = await canvasState(page);
    expect(first.columns).toBe(4);
    expect(first.drawn).toBeGreaterThan(0.05 * first.total); // heatmaps and lines, not a blank canvas
    expect(first.colours).toBeGreaterThan(50); // blue and orange shades, not one flat colour
    await expect
      .poll(async () => (await canvasState(page)).updates, { timeout: 60_000 })
      .toBeGreaterThan(first.updates + 1);
    expect(await status(page)).toBe('training');
    const later = await canvasState(page);
    expect(later.sum).not.toBe(first.sum); // the weights moved, so did the picture
    await page.locator('#network-panel').scrollIntoViewIfNeeded();
    await screenshot(page, 'network-view');
    await page.uncheck('#network-live');
    await page.waitForTimeout(1000); // a message already posted may still arrive
    const [off, offMessages] = [await canvasState(page), await networkMessages(page)];
    await page.waitForTimeout(3000); // about twelve update periods
    expect(await status(page)).toBe('training'); // the run went on meanwhile
    expect(await networkMessages(page)).toBe(offMessages);
    expect((await canvasState(page)).updates).toBe(off.updates);
    await page.click('#stop');
    await waitForRunEnd(page, 120_000);
  });
});
