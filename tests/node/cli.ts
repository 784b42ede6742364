// Runs the train and predict commands as a user would (child processes), for the CLI tests.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs one of the commands in src/cli/ as `npm run` does (tsx, and Node loading *.wgsl?raw). */
function runCommand(script: string, args: string[], timeoutMs: number, env: Record<string, string> = {}): CliResult {
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--import', './scripts/raw-import.mjs', script, ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: timeoutMs,
    env: { ...process.env, ...env },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

export function runTrain(args: string[], timeoutMs = 240_000, env: Record<string, string> = {}): CliResult {
  return runCommand('src/cli/train.ts', args, timeoutMs, env);
}

export function runPredict(args: string[], timeoutMs = 120_000): CliResult {
  return runCommand('src/cli/predict.ts', args, timeoutMs);
}

/** The JSON lines of a --json run. */
export function events(stdout: string): Record<string, unknown>[] {
  return stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}
