// Times the web app's default run (spiral, [2,32,32,3] relu, batch 32, 40 epochs = 1000 steps) in
// headless Chromium from the click on Start, by the worker's messages as the page receives them: to
// 'ready' (the trainer made), to the 'start' event (the plan built: pipelines compiled, data uploaded),
// to the first progress, to the summary and to the 'done' status. A measurement, not a test.
// `--network both` times each run with the live network view on and off ("Live network view" unticked
// before Start), interleaved on, off, on, off…; `on` (the page's default) or `off` only one way.
// `--warm` waits, before the click, until the worker says the form's kernels are compiled ('warmed',
// src/app/warm.ts), as a user who reads the page for a few seconds would; `warmedMs` is that wait from
// the adapter line. Without it the click comes as soon as the adapter shows (the warm-up may be under way).
// Usage: npx tsx --import ./scripts/raw-import.mjs scripts/app-run-time.ts [runs] [--network on|off|both] [--warm]
import { loadavg } from 'node:os';
import { openApp, startSite, waitForRunEnd } from '../tests/e2e/site.ts';

const args = process.argv.slice(2);
const warm = args.includes('--warm');
if (warm) args.splice(args.indexOf('--warm'), 1);
const flag = args.indexOf('--network');
const network = flag >= 0 ? args.splice(flag, 2)[1] : 'on';
if (network !== 'on' && network !== 'off' && network !== 'both')
  throw new Error(`--network must be on, off or both, got ${network}`);
const runs = Number(args[0] ?? 3);
const modes = network === 'both' ? ['on', 'off'] : [network];
const site = await startSite();
/** Before the page's scripts: every message from the app's Worker, timed as the page receives it. */
const init = () => {
  const W = window.Worker;
  const marks: { t: number; type: string; event?: string; state?: string }[] = [];
  (window as unknown as { __marks: typeof marks }).__marks = marks;
  window.Worker = class extends W {
    constructor(url: string | URL, o?: WorkerOptions) {
      super(url, o);
      this.addEventListener('message', (m: MessageEvent) => {
        const d = m.data as { type: string; event?: { type: string }; state?: string };
        marks.push({
          t: performance.now(),
          type: d.type,
          ...(d.event ? { event: d.event.type } : {}),
          ...(d.state ? { state: d.state } : {}),
        });
      });
    }
  } as typeof Worker;
};
try {
  for (let i = 0; i < runs * modes.length; i++) {
    const [r, view] = [Math.floor(i / modes.length), modes[i % modes.length]!];
    const page = await openApp(site, '', { init });
    // Unticked before Start, as a user would.
    if (view === 'off') await page.uncheck('#network-live');
    const opened = await page.evaluate(() => performance.now());
    if (warm) await page.waitForSelector('#start[data-warm="ready"]', { state: 'attached', timeout: 60_000 });
    const t0 = await page.evaluate(() => performance.now());
    await page.click('#start');
    await waitForRunEnd(page, 180_000);
    const marks = await page.evaluate(
      () => (window as unknown as { __marks: { t: number; type: string; event?: string; state?: string }[] }).__marks,
    );
    const at = (f: (m: (typeof marks)[number]) => boolean) => {
      const m = marks.find((x) => x.t >= t0 && f(x));
      return m ? Math.round(m.t - t0) : null;
    };
    const count = (e: string) => marks.filter((m) => m.t >= t0 && m.event === e).length;
    console.log(
      JSON.stringify({
        run: r + 1,
        network: view,
        ...(warm ? { warmedMs: Math.round(t0 - opened) } : {}),
        time: new Date().toISOString().slice(11, 19),
        load: loadavg()
          .map((x) => x.toFixed(1))
          .join(' '),
        readyMs: at((m) => m.type === 'ready'),
        startMs: at((m) => m.event === 'start'),
        firstProgressMs: at((m) => m.event === 'progress'),
        summaryMs: at((m) => m.event === 'summary'),
        doneMs: at((m) => m.type === 'state' && (m.state === 'done' || m.state === 'stopped')),
        progress: count('progress'),
        networkViews: marks.filter((m) => m.t >= t0 && m.type === 'network').length,
        messages: marks.filter((m) => m.t >= t0).length,
      }),
    );
    await page.context().close();
  }
} finally {
  await site.close();
}
