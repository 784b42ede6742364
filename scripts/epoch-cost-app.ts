// Times the web app's default run (spiral, [2,32,32,3] relu, batch 32, 40 epochs = 1000 steps) end to
// end in headless Chromium: from the click on Start to the 'done' status, and what the worker posted on
// the way (docs/epoch-cost.md). Usage: npx tsx --import ./scripts/raw-import.mjs scripts/epoch-cost-app.ts [runs]
import type { FromWorker } from '../src/app/protocol.ts';
import { openApp, runEvents, startSite, waitForRunEnd, workerLog } from '../tests/e2e/site.ts';

const runs = Number(process.argv[2] ?? 3);
const site = await startSite();
try {
  for (let r = 0; r < runs; r++) {
    const page = await openApp(site, '');
    const t0 = Date.now();
    await page.click('#start');
    // The plan is built and the first step is about to be queued: the 'start' event is in.
    await page.waitForFunction(
      () =>
        (window as unknown as { __trainer: { log: FromWorker[] } }).__trainer.log.some(
          (m) => m.type === 'event' && m.event.type === 'start',
        ),
      null,
      { timeout: 120_000, polling: 10 },
    );
    const started = (Date.now() - t0) / 1000;
    await waitForRunEnd(page, 180_000);
    const wall = (Date.now() - t0) / 1000;
    const log = await workerLog(page);
    const { summary, epochs } = runEvents(log);
    const count = (t: string) => log.filter((m) => m.type === t).length;
    const checkpoints = log.filter((m) => m.type === 'event' && m.event.type === 'checkpoint').length;
    console.log(
      JSON.stringify({
        run: r + 1,
        wallSeconds: wall,
        toStartSeconds: started,
        steps: summary?.steps,
        fitSeconds: summary?.seconds,
        stepsPerSecond: summary?.stepsPerSecond,
        epochs: epochs.length,
        checkpoints,
        savedRunPosts: count('saved-run'),
        messages: log.length,
        testAccuracy: summary?.testAccuracy,
      }),
    );
    await page.context().close();
  }
} finally {
  await site.close();
}
