// The web app's hyperparameter search end to end, in headless Chromium on the built site: a small sweep
// on moons (4 trials side by side on the adapter), its small charts and ranked table, a trial adopted
// as the app's model (views, save), and a bad spec refused next to its field without starting anything.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright';
import { decodeModel } from '../../src/lib/model-file.ts';
import { rankTrials } from '../../src/lib/sweep.ts';
import type { FromWorker } from '../../src/app/protocol.ts';
import { openApp, readBytes, screenshot, startSite, waitForRunEnd, workerLog, type Site } from './site.ts';

let site: Site;

beforeAll(async () => {
  site = await startSite();
});
afterAll(async () => {
  await site?.close();
});

function open(query: string): Promise<Page> {
  return openApp(site, query, { height: 1200 });
}

const MOONS = 'data=moons&samples=400&hidden=16,16&activation=tanh&lr=0.5&batchSize=32&epochs=6';
const EPOCHS = 6;

const only = <T extends FromWorker['type']>(log: FromWorker[], type: T) =>
  log.filter((m): m is Extract<FromWorker, { type: T }> => m.type === type);

/** Pixels of each small chart in the training curve's blue (rgb(31, 119, 180), antialiased). */
function bluePixels(page: Page): Promise<number[]> {
  return page.evaluate(() =>
    [...document.querySelectorAll<HTMLCanvasElement>('#sweep-charts canvas')].map((c) => {
      const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 0; i < d.length; i += 4) if (d[i]! < 120 && d[i + 2]! > 150 && d[i + 2]! - d[i]! > 60) n++;
      return n;
    }),
  );
}

describe('web app sweep', () => {
  it('Test that a sweep trains 4 trials, draws a chart each and ranks them, and "use this one" makes the best the app\'s model', async () => {
    const page = await open(MOONS);
    await page.fill('#sweep-spec', 'lr=0.1,0.5, seed=1..2');
    await expect.poll(() => page.locator('#sweep-summary').textContent()).toBe('4 trials (the whole grid)');
    await page.click('#sweep-run');
    // The main charts say why they stay empty during a sweep.
    await expect.poll(() => page.locator('#charts-note').textContent()).toContain("each trial's curves are in");
    expect(await waitForRunEnd(page, 120_000)).toBe('done');

    const log = await workerLog(page);
    const [start] = only(log, 'sweep-start');
    expect(start!.trials.map((t) => [t.hyper.lr, t.hyper.seed])).toEqual([
      [0.1, 1],
      [0.1, 2],
      [0.5, 1],
      [0.5, 2],
    ]);
    expect(start!.devRows).toBe(64); // 20% of the 320 training rows of 400 at test fraction 0.2
    expect(start!.trainRows).toBe(256);
    const progress = only(log, 'sweep-progress').map((m) => m.progress);
    expect(progress.length).toBe(EPOCHS * progress[0]!.groups);
    expect(progress.at(-1)!.epoch).toBe(EPOCHS);
    const [done] = only(log, 'sweep-done');
    expect(done!.rows.length).toBe(4);
    expect(done!.stopped).toBe(false);
    for (const r of done!.rows) {
      expect(r.status.kind).toBe('ok');
      expect(r.devLoss!).toBeLessThan(0.69); // better than chance on moons
    }

    // A small chart per trial, each with its training curve drawn; the ranked table, best first.
    expect(await page.locator('#sweep-charts figure.sweep-chart').count()).toBe(4);
    await expect.poll(async () => (await bluePixels(page)).every((n) => n > 20), { timeout: 10_000 }).toBe(true);
    const rows = page.locator('#sweep-table tr[data-trial]');
    expect(await rows.count()).toBe(4);
    const ranked = rankTrials(done!.rows);
    expect(await rows.evaluateAll((trs) => trs.map((tr) => (tr as HTMLTableRowElement).dataset.trial))).toEqual(
      ranked.map((r) => String(r.trial.index)),
    );
    expect(await rows.nth(0).locator('td').first().textContent()).toBe('1');
    const best = ranked[0]!;
    await screenshot(page, 'sweep-ranked');

    // Use the best: the app shows it as its model, with that trial's dev figures.
    await rows.nth(0).getByRole('button', { name: 'use this one' }).click();
    await page.waitForFunction(
      () => (document.getElementById('status')?.textContent ?? '').includes('using trial'),
      null,
      { timeout: 60_000 },
    );
    expect(await page.locator('#status').textContent()).toBe(`done: using trial ${best.trial.index} of the sweep`);
    expect(await page.locator('#model-info').textContent()).toContain(
      `start: trial ${best.trial.index} of the sweep (lr ${best.trial.hyper.lr}`,
    );
    expect(await page.locator('#progress-text').textContent()).toMatch(
      new RegExp(
        `^sweep trial ${best.trial.index} in use · train loss [\\d.]+, acc [\\d.]+% · dev loss [\\d.]+, acc [\\d.]+% · test loss`,
      ),
    );
    const after = await workerLog(page);
    const [adopted] = only(after, 'adopted');
    expect(adopted!.trial).toBe(best.trial.index);
    // The adopted model evaluated on its own trainer gives the sweep's figures for that trial.
    expect(Math.abs(adopted!.dev.loss - best.devLoss!)).toBeLessThan(1e-4);
    expect(Math.abs(adopted!.dev.accuracy - best.devAccuracy!)).toBeLessThanOrEqual(1 / start!.devRows);
    expect(Math.abs(adopted!.test!.accuracy - best.testAccuracy!)).toBeLessThanOrEqual(1 / 80);
    // Its decision boundary is drawn, and it saves as a model file that records the trial.
    expect(after.slice(after.map((m) => m.type).lastIndexOf('ready')).some((m) => m.type === 'view')).toBe(true);
    await expect.poll(() => page.locator('#boundary-panel').isVisible()).toBe(true);
    expect(await page.locator('#sweep-charts figure.adopted').getAttribute('data-trial')).toBe(
      String(best.trial.index),
    );
    // The form makes that trial again (its learning rate and seed), and the loss chart shows its curves.
    expect(await page.locator('input[name=lr]').inputValue()).toBe(String(best.trial.hyper.lr));
    expect(await page.locator('input[name=seed]').inputValue()).toBe(String(best.trial.hyper.seed));
    await page.waitForFunction((seed) => location.search.includes(`seed=${seed}`) || seed === 1, best.trial.hyper.seed);
    await expect.poll(() => page.locator('#loss-chart .no-data').count()).toBe(0);
    expect(await page.locator('#charts-note').textContent()).toContain(`Trial ${best.trial.index}'s loss per epoch`);
    const pending = page.waitForEvent('download');
    await page.click('#save');
    const file = decodeModel(readBytes(await (await pending).path()), 'the adopted trial');
    expect(file.spec.sizes).toEqual([2, 16, 16, 1]);
    expect(file.info.trainedWith).toMatchObject({
      sweepTrial: best.trial.index,
      lr: best.trial.hyper.lr,
      initSeed: best.trial.hyper.seed,
    });
    await screenshot(page, 'sweep-adopted');
    await page.context().close();
  });

  it('Test that Stop ends a sweep after the current epoch (pause is off), with the trials started ranked', async () => {
    const page = await open(MOONS.replace('epochs=6', 'epochs=400'));
    await page.fill('#sweep-spec', 'lr=0.1,0.5');
    await page.click('#sweep-run');
    await page.waitForFunction(() => document.getElementById('status')?.dataset.state === 'sweeping', null, {
      timeout: 60_000,
    });
    await expect
      .poll(async () => only(await workerLog(page), 'sweep-progress').length, { timeout: 60_000, interval: 50 })
      .toBeGreaterThan(0);
    expect(await page.locator('#pause').isDisabled()).toBe(true);
    expect(await page.locator('#sweep-run').isDisabled()).toBe(true);
    await page.click('#stop');
    expect(await waitForRunEnd(page, 60_000)).toBe('stopped');
    const log = await workerLog(page);
    const epochs = only(log, 'sweep-progress').map((m) => m.progress.epoch);
    expect(Math.max(...epochs)).toBeLessThan(400);
    const [done] = only(log, 'sweep-done');
    expect(done!.stopped).toBe(true);
    expect(done!.rows.length).toBe(2); // both trials train side by side in the one group that started
    expect(await page.locator('#sweep-table tr[data-trial]').count()).toBe(2);
    expect(await page.locator('#sweep-status').textContent()).toContain('stopped: 2 of 2 trials');
    await page.context().close();
  });

  it('Test that a bad sweep spec is shown next to its field and starts nothing', async () => {
    const page = await open(MOONS);
    await page.fill('#sweep-spec', 'lr=0.1, foo=3');
    await expect
      .poll(() => page.locator('#sweep-error').textContent())
      .toBe(
        "sweep spec: unknown parameter 'foo' in 'foo=3'; known: lr, l2, keep (also keep-prob, keepProb), beta1, beta2, seed",
      );
    await page.click('#sweep-run');
    expect(await page.locator('#sweep-error').textContent()).toContain("unknown parameter 'foo'");

    // A random search without a count, and a β the optimizer (SGD) does not use.
    await page.fill('#sweep-spec', 'lr=log:1e-3:1');
    await expect
      .poll(() => page.locator('#sweep-error').textContent())
      .toContain('is a continuous range, so this is a random search: give the number of trials');
    await page.fill('#sweep-spec', 'beta1=0.8,0.9');
    await expect
      .poll(() => page.locator('#sweep-error').textContent())
      .toBe("sweep spec: 'beta1=0.8,0.9' has no effect with the sgd optimizer (beta1 is used by momentum and adam)");
    await page.click('#sweep-run');

    // Nothing was sent: the worker never heard of a sweep, the page is idle.
    expect((await workerLog(page)).some((m) => m.type === 'sweep-start' || m.type === 'state')).toBe(false);
    expect(await page.locator('#status').getAttribute('data-state')).toBe('idle');
    expect(await page.locator('#sweep-panel').isVisible()).toBe(false);

    // Fixed, it shows the count and clears the error.
    await page.fill('#sweep-spec', 'lr=log:1e-3:1');
    await page.fill('#sweep-trials', '3');
    await expect.poll(() => page.locator('#sweep-summary').textContent()).toBe('3 trials (random search)');
    expect(await page.locator('#sweep-error').textContent()).toBe('');
    await page.context().close();
  });
});
