// Serves the repository with Vite and runs probe.html in headless Chromium (the project's WebGPU flags):
// `npx tsx scripts/epoch-cost/run.ts [rounds]`; prints each variant's time for 40 epochs (ms) and the
// fastest per epoch (the machine is shared: the minimum is the least disturbed). `--fused` runs
// fused-probe.html instead: the moons run, 60 epochs, on the fused and the layered plan.
import { createServer } from 'vite';
import { launchChromium, ROOT } from '../../tests/e2e/site.ts';

const args = process.argv.slice(2);
const fused = args.includes('--fused');
const rounds = Number(args.filter((a) => a !== '--fused')[0] ?? 3);
const server = await createServer({ root: ROOT, logLevel: 'warn', server: { host: '127.0.0.1', port: 0 } });
await server.listen();
const url = server.resolvedUrls!.local[0]!;
const browser = await launchChromium();
try {
  const page = await browser.newPage();
  page.on('console', (m) => console.error(`page: ${m.text()}`));
  await page.goto(`${url}scripts/epoch-cost/${fused ? 'fused-probe' : 'probe'}.html?rounds=${rounds}`);
  await page.waitForFunction(() => (window as unknown as { __probe?: unknown }).__probe !== undefined, null, {
    timeout: 300_000,
  });
  const r = (await page.evaluate(() => (window as unknown as { __probe: unknown }).__probe)) as {
    error?: string;
    adapter: string;
    epochs: number;
    ms: Record<string, number[]>;
  };
  if (r.error) throw new Error(r.error);
  const min = (v: number[]) => Math.min(...v);
  console.log(`adapter: ${r.adapter}; ${r.epochs} epochs of 25 steps; times in ms`);
  for (const [name, v] of Object.entries(r.ms))
    console.log(
      `${name.padEnd(34)} ${v
        .map((x) => x.toFixed(0))
        .join(' ')
        .padEnd(24)} min/epoch ${(min(v) / (name.includes('ms each') ? 1 : r.epochs)).toFixed(2)}`,
    );
} finally {
  await browser.close();
  await server.close();
}
