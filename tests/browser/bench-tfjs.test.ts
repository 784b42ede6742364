// The bench's TF.js engine does the step it claims: TF.js's [in][out] layout (our [out][in] weights
// transposed once at set-up) and fused dense layers give the same SGD update as the float64 reference,
// and the plain yardstick step runs and frees what it made. On TF.js's WASM backend, the .wasm files
// served from node_modules as the bench serves them.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { assertClose, F32_EPS, TOL } from '../../src/check.ts';
import { tfjsPlainStepper } from '../../src/bench/tfjs-plain.ts';
import { LR, setTfWasmPrefix, tfjsStepper, useTfBackend } from '../../src/bench/tfjs.ts';
import { benchInit } from '../../src/bench/ours.ts';
import { size, type ModelSpec } from '../../src/model.ts';
import { CpuBackend } from '../../src/reference/backend.ts';

const STEPS = 3;
const BATCH = 9;

/** (w0 - w) / LR for weights stored [rows][cols] (transposed: read from [cols][rows]), and the float32
 *  rounding it carries: each of the STEPS updates and the reference's float32 copy round w by up to
 *  F32_EPS·|w|, which the division by LR magnifies. */
function summedGradient(
  w0: Float32Array,
  w: ArrayLike<number>,
  rows: number,
  cols: number,
  transposed: boolean,
): { g: Float32Array; bound: Float32Array } {
  const g = new Float32Array(rows * cols);
  const bound = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const v = w[transposed ? c * rows + r : r * cols + c]!;
      g[r * cols + c] = (w0[r * cols + c]! - v) / LR;
      bound[r * cols + c] = (2 * (STEPS + 1) * F32_EPS * Math.max(Math.abs(v), Math.abs(w0[r * cols + c]!))) / LR;
    }
  }
  return { g, bound };
}

describe('bench TF.js steps (WASM backend)', () => {
  // Square layers among them, where a weight left untransposed would still run.
  const specs: ModelSpec[] = [
    { sizes: [16, 16, 16, 4], activation: 'relu', loss: 'ce' },
    { sizes: [30, 7, 5, 1], activation: 'relu', loss: 'bce' },
    { sizes: [12, 12, 3], activation: 'tanh', loss: 'mse' },
  ];
  for (const spec of specs) {
    // Test that the bench's TF.js step moves every weight and bias as the float64 reference's SGD does,
    // compared as the summed gradient (change / learning rate) over a few steps, by tensor name.
    it(`${spec.sizes.join('-')} ${spec.activation} ${spec.loss}: same SGD update as the reference`, async () => {
      setTfWasmPrefix('/node_modules/@tensorflow/tfjs-backend-wasm/dist/');
      await useTfBackend('wasm');
      const before = tf.memory().numTensors;
      const data = benchInit(spec, BATCH);
      const cpu = CpuBackend.create(data);
      const s = await tfjsStepper(data);
      try {
        for (let i = 0; i < STEPS; i++) s.step();
        await s.sync();
        for (let i = 0; i < STEPS; i++) cpu.step(0, BATCH, LR);
        const ref = await cpu.readParams();
        const vars = tf.engine().registeredVariables;
        ref.forEach((p, l) => {
          const nOut = size(spec, l + 1);
          const nIn = size(spec, l);
          const w0 = data.params[l]!.weight; // [out][in]; TF.js's w is [in][out]
          const got = summedGradient(w0, vars[`w${l}`]!.dataSync(), nOut, nIn, true);
          const want = summedGradient(w0, p.weight, nOut, nIn, false);
          assertClose(
            `W${l + 1} summed gradient`,
            got.g,
            want.g,
            TOL.grad,
            got.bound.map((b, i) => b + want.bound[i]!),
            nIn,
          );
          const b0 = data.params[l]!.bias;
          const gotB = summedGradient(b0, vars[`b${l}`]!.dataSync(), 1, nOut, false);
          const wantB = summedGradient(b0, p.bias, 1, nOut, false);
          assertClose(
            `b${l + 1} summed gradient`,
            gotB.g,
            wantB.g,
            TOL.grad,
            gotB.bound.map((b, i) => b + wantB.bound[i]!),
          );
        });
      } finally {
        cpu.destroy();
        s.destroy();
      }
      expect(tf.memory().numTensors, 'tensors left by the bench step').toBe(before);
    });
  }

  // Test that the plain hand-written step runs on the bench's configurations' shapes of output (softmax
  // and sigmoid) and leaves no tensor behind.
  it('plain step: runs and frees its tensors', async () => {
    await useTfBackend('wasm');
    const before = tf.memory().numTensors;
    for (const spec of specs.filter((s) => s.activation === 'relu')) {
      const s = await tfjsPlainStepper(spec, BATCH);
      for (let i = 0; i < STEPS; i++) s.step();
      await s.sync();
      s.destroy();
    }
    expect(tf.memory().numTensors).toBe(before);
  });
});
