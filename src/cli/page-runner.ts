// Runs one of the project's pages in headless Chromium: a Vite server on 127.0.0.1 (WebGPU needs a
// secure context) with the caller's plugin for its data, Playwright driving Chromium, and functions
// exposed on the page's window through which it reports back. Resolves with what the page hands to
// `done`; rejects on `fail`, a page error or a crash. Server and browser are closed either way.
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright';
import { createServer, type InlineConfig, type Plugin } from 'vite';
import { chromiumLaunchOptions } from './chromium.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface PageRun<T> {
  /** Page path under the repository root, e.g. /src/cli/runner.html. */
  readonly path: string;
  /** Serves the run's data to the page. */
  readonly plugin: Plugin;
  /** Window functions to expose, given the run's done and fail callbacks. */
  readonly expose: (done: (result: T) => void, fail: (error: Error) => void) => Record<string, (arg: never) => void>;
  /** Extra Vite settings (e.g. optimizeDeps). */
  readonly vite?: InlineConfig;
  /** No Playwright action timeout (runs that take longer than its default). */
  readonly noTimeout?: boolean;
  /** --browser: a path or chrome | chromium | msedge (undefined: chromium.ts's default search). */
  readonly browser?: string;
}

export async function runPage<T>(run: PageRun<T>): Promise<T> {
  const launch = chromiumLaunchOptions(run.browser); // no browser found: fails before a server is started
  const server = await createServer({
    configFile: false,
    root: ROOT,
    logLevel: 'error',
    clearScreen: false,
    ...run.vite,
    server: { host: '127.0.0.1', port: 0, hmr: false, watch: null },
    plugins: [run.plugin],
  });
  await server.listen();
  const { port } = server.httpServer!.address() as AddressInfo;
  const browser = await chromium.launch({ ...launch, headless: true });
  try {
    const page = await browser.newPage();
    if (run.noTimeout) page.setDefaultTimeout(0);
    return await new Promise<T>((resolve, reject) => {
      page.on('pageerror', (e) => reject(new Error(`page error: ${e.message}`)));
      page.on('crash', () => reject(new Error('the browser page crashed')));
      for (const [name, fn] of Object.entries(run.expose(resolve, reject))) void page.exposeFunction(name, fn);
      page.goto(`http://127.0.0.1:${port}${run.path}`).catch(reject);
    });
  } finally {
    await browser.close();
    await server.close();
  }
}
