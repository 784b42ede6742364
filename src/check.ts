// The one tolerance rule for comparing a float32 GPU result with the float64 reference:
//
//     |actual - expected| <= atol + rtol * |expected| + bound[i]
//
// `bound` is optional, per element, for long reductions: summing K float32 products can be off by
// up to K * u * Σ|a_k b_k| (u = 2^-24, the classical bound for recursive summation), so a matmul check
// passes that bound, computed from |A|·|B| by the reference, instead of widening atol for every shape.
// Any NaN or Inf in the actual values fails, whatever the tolerance.

export interface Tolerance {
  readonly atol: number;
  readonly rtol: number;
}

/** Values (activations, losses) and gradients, tinygrad's figures. */
export const TOL = {
  value: { atol: 1e-6, rtol: 1e-3 },
  grad: { atol: 1e-4, rtol: 1e-3 },
} as const satisfies Record<string, Tolerance>;

/** Unit roundoff of float32. */
export const F32_EPS = 2 ** -24;

export interface Mismatch {
  readonly name: string;
  readonly firstBad: number;
  readonly bad: number;
  readonly maxDiff: number;
  readonly report: string;
}

type Num = ArrayLike<number>;

/** Returns undefined when every element passes, else a description (tensor, first bad index, max diff, window). */
export function compare(
  name: string,
  actual: Num,
  expected: Num,
  tol: Tolerance,
  bound?: Num,
  cols = 1,
): Mismatch | undefined {
  if (actual.length !== expected.length) {
    return {
      name,
      firstBad: -1,
      bad: Math.max(actual.length, expected.length),
      maxDiff: Infinity,
      report: `${name}: length ${actual.length}, expected ${expected.length}`,
    };
  }
  let firstBad = -1;
  let bad = 0;
  let maxDiff = 0;
  let maxAt = 0;
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    const diff = Math.abs(a - e);
    const ok = Number.isFinite(a) && diff <= tol.atol + tol.rtol * Math.abs(e) + (bound ? bound[i]! : 0);
    if (!Number.isFinite(a) || diff > maxDiff || Number.isNaN(diff)) {
      maxDiff = Number.isFinite(a) ? diff : Infinity;
      maxAt = i;
    }
    if (!ok) {
      bad++;
      if (firstBad < 0) firstBad = i;
    }
  }
  if (bad === 0) return undefined;
  const lines: string[] = [];
  const from = Math.max(0, firstBad - 2);
  for (let i = from; i < Math.min(actual.length, from + 10); i++) {
    const where = cols > 1 ? `[${Math.floor(i / cols)},${i % cols}]` : `[${i}]`;
    const a = actual[i]!;
    const e = expected[i]!;
    lines.push(
      `  ${where.padEnd(12)} actual ${a.toPrecision(8).padStart(16)}  expected ${e.toPrecision(8).padStart(16)}  diff ${Math.abs(a - e).toExponential(2)}${i === firstBad ? '  <- first bad' : ''}`,
    );
  }
  const report =
    `${name}: ${bad} of ${actual.length} elements outside |d| <= ${tol.atol} + ${tol.rtol}|ref|${bound ? ' + bound' : ''}; ` +
    `first bad index ${firstBad}, largest difference ${maxDiff.toExponential(3)} at ${maxAt}\n${lines.join('\n')}`;
  return { name, firstBad, bad, maxDiff, report };
}

/** Throws with compare()'s report when any element is outside the rule. */
export function assertClose(name: string, actual: Num, expected: Num, tol: Tolerance, bound?: Num, cols = 1): void {
  const m = compare(name, actual, expected, tol, bound, cols);
  if (m) throw new Error(m.report);
}
