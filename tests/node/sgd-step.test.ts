// One full-batch SGD step through the train command, from weights given with --init, against an
// independent float64 implementation written here in the course's own notation (examples as columns,
// Z = W·A + b, derivatives through Z), sharing nothing with src/. Run on --device cpu and --device gpu.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeSafetensors, encodeSafetensors } from '../../src/io/safetensors.ts';
import { runTrain } from './cli.ts';

type Mat = number[][]; // [rows][cols]
type Act = 'relu' | 'tanh' | 'sigmoid';

const sig = (z: number) => 1 / (1 + Math.exp(-z));
const g = (z: number, act: Act) => (act === 'relu' ? Math.max(0, z) : act === 'tanh' ? Math.tanh(z) : sig(z));
const gPrime = (z: number, act: Act) =>
  act === 'relu' ? (z > 0 ? 1 : 0) : act === 'tanh' ? 1 - Math.tanh(z) ** 2 : sig(z) * (1 - sig(z));
const dot = (A: Mat, B: Mat): Mat => A.map((row) => B[0]!.map((_, j) => row.reduce((s, a, k) => s + a * B[k]![j]!, 0)));
const T = (A: Mat): Mat => A[0]!.map((_, j) => A.map((row) => row[j]!));

/** Course-style forward + backward + update; returns the updated W[l], b[l]. */
function courseStep(
  W: Mat[],
  b: number[][],
  X: Mat,
  Y: Mat,
  act: Act,
  out: 'sigmoid' | 'softmax',
  lr: number,
): { W: Mat[]; b: number[][] } {
  const m = X[0]!.length;
  const L = W.length;
  const A: Mat[] = [X];
  const Z: Mat[] = [];
  for (let l = 0; l < L; l++) {
    const z = dot(W[l]!, A[l]!).map((row, i) => row.map((v) => v + b[l]![i]!));
    Z.push(z);
    if (l < L - 1) A.push(z.map((row) => row.map((v) => g(v, act))));
    else if (out === 'sigmoid') A.push(z.map((row) => row.map(sig)));
    else {
      const cols = T(z).map((col) => {
        const mx = Math.max(...col);
        const e = col.map((v) => Math.exp(v - mx));
        const s = e.reduce((p, q) => p + q, 0);
        return e.map((v) => v / s);
      });
      A.push(T(cols));
    }
  }
  let dZ: Mat = A[L]!.map((row, i) => row.map((a, j) => a - Y[i]![j]!)); // BCE∘sigmoid and CE∘softmax both give A − Y
  const newW: Mat[] = [];
  const newB: number[][] = [];
  for (let l = L - 1; l >= 0; l--) {
    const dW = dot(dZ, T(A[l]!)).map((row) => row.map((v) => v / m));
    const db = dZ.map((row) => row.reduce((s, v) => s + v, 0) / m);
    newW[l] = W[l]!.map((row, i) => row.map((w, j) => w - lr * dW[i]![j]!));
    newB[l] = b[l]!.map((v, i) => v - lr * db[i]!);
    if (l > 0) {
      const dA = dot(T(W[l]!), dZ);
      dZ = dA.map((row, i) => row.map((v, j) => v * gPrime(Z[l - 1]![i]![j]!, act)));
    }
  }
  return { W: newW, b: newB };
}

/** Small deterministic generator for the test's own data (independent of src/rng.ts). */
function lcg(seed: number): () => number {
  let s = seed;
  return () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1;
}

const f32 = (v: number) => Math.fround(v);
const relErr = (got: number[], want: number[]) =>
  Math.sqrt(got.reduce((s, v, i) => s + (v - want[i]!) ** 2, 0)) / Math.sqrt(want.reduce((s, v) => s + v * v, 0));

describe('one full-batch SGD step from --init weights (CLI) vs an independent float64 implementation', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sgd-step-'));
  const sizes = [4, 6, 5];
  for (const classes of [2, 3]) {
    for (const act of ['relu', 'tanh', 'sigmoid'] as const) {
      for (const device of ['cpu', 'gpu'] as const) {
        // Test that the updated weights agree to a relative error <= 1e-4 on the update W_new - W_init.
        it(`${classes === 2 ? 'sigmoid-BCE' : 'softmax-CE'} output, ${act} hidden, --device ${device}`, () => {
          const rnd = lcg(classes * 100 + act.length);
          const m = 24;
          const rows = Array.from({ length: m }, (_, r) => [
            ...Array.from({ length: sizes[0]! }, () => f32(rnd())),
            r % classes,
          ]);
          const csv = join(dir, `d-${classes}-${act}-${device}.csv`);
          writeFileSync(csv, ['a,b,c,d,label', ...rows.map((r) => r.join(','))].join('\n') + '\n');
          const layerSizes = [...sizes, classes === 2 ? 1 : classes];
          const W: Mat[] = [];
          const b: number[][] = [];
          for (let l = 0; l + 1 < layerSizes.length; l++) {
            W.push(
              Array.from({ length: layerSizes[l + 1]! }, () =>
                Array.from({ length: layerSizes[l]! }, () => f32(rnd() * 0.8)),
              ),
            );
            b.push(Array.from({ length: layerSizes[l + 1]! }, () => f32(rnd() * 0.2)));
          }
          const init = join(dir, `init-${classes}-${act}-${device}.safetensors`);
          writeFileSync(
            init,
            encodeSafetensors(
              W.flatMap((w, l) => [
                { name: `layers.${l}.weight`, shape: [w.length, w[0]!.length], data: Float32Array.from(w.flat()) },
                { name: `layers.${l}.bias`, shape: [b[l]!.length], data: Float32Array.from(b[l]!) },
              ]),
              {},
            ),
          );
          const save = join(dir, `out-${classes}-${act}-${device}.safetensors`);
          const lr = 0.5;
          const r = runTrain([
            '--data',
            csv,
            '--init',
            init,
            '--save',
            save,
            '--hidden',
            sizes.slice(1).join(','),
            '--activation',
            act,
            '--epochs',
            '1',
            '--batch-size',
            '100000',
            '--test-split',
            '0',
            '--no-shuffle',
            '--lr',
            String(lr),
            '--device',
            device,
            '--json',
          ]);
          expect(r.stderr).toBe('');
          expect(r.code).toBe(0);

          const X = T(rows.map((row) => row.slice(0, sizes[0]))); // n_x × m
          const Y =
            classes === 2
              ? [rows.map((row) => row[sizes[0]!]!)]
              : Array.from({ length: classes }, (_, k) => rows.map((row) => (row[sizes[0]!] === k ? 1 : 0)));
          const want = courseStep(W, b, X, Y, act, classes === 2 ? 'sigmoid' : 'softmax', lr);
          const got = decodeSafetensors(new Uint8Array(readFileSync(save))).tensors;
          for (let l = 0; l < W.length; l++) {
            for (const [name, before, after] of [
              [`layers.${l}.weight`, W[l]!.flat(), want.W[l]!.flat()],
              [`layers.${l}.bias`, b[l]!, want.b[l]!],
            ] as const) {
              const t = got.get(name);
              expect(t, name).toBeDefined();
              const update = Array.from(t!.data, (v, i) => v - before[i]!);
              const expected = after.map((v, i) => v - before[i]!);
              // Norm-wise relative error of the update. The float32 weights carry ~6e-8 relative rounding,
              // i.e. ~1e-7 of |W| on an update of ~1e-2 |W|: far inside the 1e-4 the product promises.
              expect(relErr(update, expected), `${name} relative error of the update`).toBeLessThanOrEqual(1e-4);
            }
          }
        });
      }
    }
  }
});
