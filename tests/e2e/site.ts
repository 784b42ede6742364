// Fixture for the web app tests: `vite build` into a temp folder (the same static site `npm run build`
// makes), a tiny static server on 127.0.0.1 (a secure context, so WebGPU is exposed), headless
// Chromium with the project's WebGPU flags, and helpers to read what the page's worker reported.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright';
import { build } from 'vite';
import { chromiumLaunchOptions } from '../../src/cli/chromium.ts';
import type { FromWorker } from '../../src/app/protocol.ts';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const SCREENSHOTS = join(ROOT, 'test-results', 'screenshots');

const TYPES: Record<string, string> = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
};

export interface Site {
  readonly url: string;
  readonly browser: Browser;
  close(): Promise<void>;
}

export async function startSite(): Promise<Site> {
  const outDir = mkdtempSync(join(tmpdir(), 'mlp-app-'));
  await build({ root: ROOT, logLevel: 'warn', build: { outDir, emptyOutDir: true } });
  const server = await serveDir(outDir);
  const browser = await launchChromium();
  mkdirSync(SCREENSHOTS, { recursive: true });
  return {
    url: server.url,
    browser,
    async close() {
      await browser.close();
      await server.close();
      rmSync(outDir, { recursive: true, force: true });
    },
  };
}

/** Headless Chromium with the project's WebGPU flags. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ ...chromiumLaunchOptions(), headless: true });
}

/** A static server for the files under `dir`, on 127.0.0.1 (a secure context) and a free port. */
export async function serveDir(dir: string): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const path = normalize(decodeURIComponent((req.url ?? '/').split('?')[0]!)).replace(/^(\.\.[/\\])+/, '');
    let file = join(dir, path);
    try {
      if (statSync(file).isDirectory()) file = join(file, 'index.html');
      const body = readFileSync(file);
      res.setHeader('content-type', TYPES[extname(file)] ?? 'application/octet-stream');
      res.end(body);
    } catch {
      res.statusCode = 404;
      res.end(`not found: ${req.url}`);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Every message the page has received from its worker so far. */
export function workerLog(page: Page): Promise<FromWorker[]> {
  return page.evaluate(() => (window as unknown as { __trainer: { log: FromWorker[] } }).__trainer.log);
}

/** Waits until the run ends; throws with the page's error text when it failed. */
export async function waitForRunEnd(page: Page, timeoutMs: number): Promise<string> {
  await page.waitForFunction(
    () => ['done', 'stopped', 'failed'].includes(document.getElementById('status')?.dataset.state ?? ''),
    null,
    { timeout: timeoutMs },
  );
  const state = await page.locator('#status').getAttribute('data-state');
  if (state === 'failed') throw new Error(`run failed: ${await page.locator('#error').textContent()}`);
  return state ?? '';
}

/** Fails (never skips) when the page found no WebGPU adapter. */
/** A new page of the app at `?query` (downloads allowed, page errors logged), once its adapter shows;
 *  `init` runs in the page before its scripts. */
export async function openApp(
  site: Site,
  query: string,
  o: { height?: number; init?: () => void } = {},
): Promise<Page> {
  const context = await site.browser.newContext({
    acceptDownloads: true,
    viewport: { width: 1280, height: o.height ?? 900 },
  });
  const page = await context.newPage();
  page.on('pageerror', (e) => console.error(`page error: ${e.message}`));
  if (o.init) await page.addInitScript(o.init);
  await page.goto(`${site.url}?${query}`);
  await expectAdapter(page);
  return page;
}

export async function expectAdapter(page: Page): Promise<string> {
  await page.waitForFunction(() => document.getElementById('adapter')?.dataset.state !== 'pending', null, {
    timeout: 30_000,
  });
  const text = (await page.locator('#adapter').textContent()) ?? '';
  if ((await page.locator('#adapter').getAttribute('data-state')) !== 'ok')
    throw new Error(`no WebGPU adapter in the page: ${text}`);
  return text;
}

export async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

type TrainEventOf<T extends string> = Extract<Extract<FromWorker, { type: 'event' }>['event'], { type: T }>;

/** The training events of the latest run (after its last 'ready'). */
export function runEvents(log: FromWorker[]): {
  progress: TrainEventOf<'progress'>[];
  epochs: TrainEventOf<'epoch'>[];
  summary: TrainEventOf<'summary'> | undefined;
} {
  const from = log.map((m) => m.type).lastIndexOf('ready');
  const events = log.slice(from + 1).flatMap((m) => (m.type === 'event' ? [m.event] : []));
  return {
    progress: events.filter((e): e is TrainEventOf<'progress'> => e.type === 'progress'),
    epochs: events.filter((e): e is TrainEventOf<'epoch'> => e.type === 'epoch'),
    summary: events.find((e): e is TrainEventOf<'summary'> => e.type === 'summary'),
  };
}

export function readBytes(path: string): Buffer {
  return readFileSync(path);
}
