// The browser half of `npm run bench`: fetches the request, runs the benchmark (run.ts) in this one
// page and hands the results back through the functions the command exposed.
import type { BenchHooks, BenchRequest } from './protocol.ts';
import { runBenchmark } from './run.ts';

const hooks = window as unknown as Window & BenchHooks;

async function main(): Promise<void> {
  const req = (await (await fetch('/__bench/request.json')).json()) as BenchRequest;
  const results = await runBenchmark(req, {
    log: (line) => void hooks.__benchLog(line),
    userAgent: navigator.userAgent,
    hardwareConcurrency: navigator.hardwareConcurrency,
    crossOriginIsolated,
  });
  await hooks.__benchDone(results);
}

main().catch(
  (e: unknown) => void hooks.__benchError(e instanceof Error ? `${e.message}\n${e.stack ?? ''}` : String(e)),
);
