// `npm run gradcheck`: backprop gradients of the float64 reference against central differences, for
// every supported layer type (each hidden activation under each loss, L2, dropout, batch norm), printing the
// course's relative difference ‖g − g̃‖ / (‖g‖ + ‖g̃‖) per tensor. Exit 0 when every one is below
// 1e-7, 1 otherwise, 2 for bad arguments.
import { GRADCHECK_THRESHOLD, gradcheckSuite } from '../index.ts';

const USAGE = `Usage: npm run gradcheck -- [--seed S] [--rows N]
  --seed S   seed for the weights and the data of every case (default 1)
  --rows N   examples per case (default 5)`;

function parse(argv: readonly string[]): { seed: number; rows: number } | 'help' {
  const o = { seed: 1, rows: 5 };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--help' || arg === '-h') return 'help';
    const [flag, inline] = arg.includes('=')
      ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)]
      : [arg, undefined];
    if (flag !== '--seed' && flag !== '--rows') throw new Error(`unknown argument ${arg}`);
    const value = inline ?? argv[++i];
    if (value === undefined || !/^\d+$/.test(value))
      throw new Error(`${flag}: expected a non-negative integer, got '${value ?? ''}'`);
    if (flag === '--rows' && Number(value) < 1) throw new Error(`--rows: must be at least 1`);
    o[flag === '--seed' ? 'seed' : 'rows'] = Number(value);
  }
  return o;
}

function main(argv: string[]): number {
  let opts: ReturnType<typeof parse>;
  try {
    opts = parse(argv);
  } catch (e) {
    console.error(`error: ${e instanceof Error ? e.message : String(e)}\n${USAGE}`);
    return 2;
  }
  if (opts === 'help') {
    console.log(USAGE);
    return 0;
  }
  console.log(
    `gradient check: float64 backprop vs central differences (ε = 1e-6), ${opts.rows} rows, seed ${opts.seed}`,
  );
  console.log(`relative difference ‖g − g̃‖ / (‖g‖ + ‖g̃‖) per tensor; pass below ${GRADCHECK_THRESHOLD}`);
  let worst = 0;
  let failed = 0;
  let tensors = 0;
  for (const c of gradcheckSuite(opts.seed, opts.rows)) {
    console.log(`\n${c.label}`);
    for (const r of c.results) {
      const ok = r.relDiff < GRADCHECK_THRESHOLD;
      tensors++;
      if (!ok) failed++;
      worst = Math.max(worst, r.relDiff);
      console.log(`  ${r.name.padEnd(18)} ${r.relDiff.toExponential(2).padStart(9)}  ${ok ? 'ok' : 'FAIL'}`);
    }
  }
  console.log(
    `\n${failed === 0 ? 'PASS' : 'FAIL'}: ${tensors - failed} of ${tensors} tensors below ${GRADCHECK_THRESHOLD}; largest relative difference ${worst.toExponential(2)}`,
  );
  return failed === 0 ? 0 : 1;
}

// exitCode, not process.exit(): exiting at once can cut off stdout still being written to a pipe.
process.exitCode = main(process.argv.slice(2));
