// TensorFlow.js on the same configurations, in the same page: a hand-written step (forward, loss,
// tf.variableGrads through optimizer.minimize, SGD) on its WebGPU and WASM backends. Same sizes,
// same batch, same initial weights and data as our engines; float32 everywhere.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import '@tensorflow/tfjs-backend-webgpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { layerActivation, layerCount, size } from '../model.ts';
import type { BackendInit } from '../train/backend.ts';
import { sampleMedian, type Stepper } from './timing.ts';

export type TfBackend = 'webgpu' | 'wasm';
const LR = 1e-3;

let wasmPathsSet = false;
// The bench server's route to the .wasm files (src/cli/bench.ts); the Node entry gives a directory.
let wasmPrefix = '/__bench/wasm/';

/** Where TF.js's WASM backend loads its .wasm files from (a URL prefix or, in Node, a directory + '/'). */
export function setTfWasmPrefix(prefix: string): void {
  wasmPrefix = prefix;
}

/** Makes `name` the active TF.js backend (initialising it on first use). */
export async function useTfBackend(name: TfBackend): Promise<void> {
  if (name === 'wasm' && !wasmPathsSet) {
    // The .wasm files come from node_modules (through the bench server in Chromium), never a CDN.
    setWasmPaths(wasmPrefix);
    wasmPathsSet = true;
  }
  if (!(await tf.setBackend(name))) throw new Error(`TF.js backend '${name}' failed to initialise`);
  await tf.ready();
}

export async function tfInfo(): Promise<{ version: string; wasmSimd: boolean | null; wasmThreads: boolean | null }> {
  const flag = async (f: string) => {
    try { return Boolean(await tf.env().getAsync(f)); } catch { return null; }
  };
  return { version: tf.version_core, wasmSimd: await flag('WASM_HAS_SIMD_SUPPORT'), wasmThreads: await flag('WASM_HAS_MULTITHREAD_SUPPORT') };
}

export function tfjsStepper(init: BackendInit): Promise<Stepper> {
  const { spec } = init;
  const L = layerCount(spec);
  const rows = init.maxBatch;
  const x = tf.tensor2d(init.train.x, [rows, size(spec, 0)]);
  const y = tf.tensor2d(init.train.y, [rows, size(spec, L)]);
  const ws = init.params.map((p, l) => tf.variable(tf.tensor2d(p.weight, [size(spec, l + 1), size(spec, l)]), true, `w${l}`));
  const bs = init.params.map((p, l) => tf.variable(tf.tensor1d(p.bias), true, `b${l}`));
  const vars = [...ws, ...bs];
  const opt = tf.train.sgd(LR);
  const act = (l: number, z: tf.Tensor): tf.Tensor => {
    switch (layerActivation(spec, l)) {
      case 'relu': return tf.relu(z);
      case 'sigmoid': return tf.sigmoid(z);
      case 'tanh': return tf.tanh(z);
      case 'leaky_relu': return tf.leakyRelu(z, 0.01);
      default: return z;
    }
  };
  const loss = (): tf.Scalar => {
    let h: tf.Tensor = x;
    for (let l = 0; l < L; l++) {
      const z = tf.add(tf.matMul(h, ws[l]!, false, true), bs[l]!);
      h = l === L - 1 ? z : act(l, z); // logits out: the loss applies sigmoid / softmax
    }
    if (spec.loss === 'bce') return tf.losses.sigmoidCrossEntropy(y, h) as tf.Scalar;
    if (spec.loss === 'ce') return tf.losses.softmaxCrossEntropy(y, h) as tf.Scalar;
    return tf.losses.meanSquaredError(y, h) as tf.Scalar;
  };
  const last = vars[vars.length - 1]!;
  return Promise.resolve({
    step: () => void opt.minimize(loss, false, vars),
    // The queue runs in order: once the last variable's update is readable, every step has finished.
    sync: async () => void (await last.data()),
    destroy: () => {
      tf.dispose([x, y, ...vars]);
      opt.dispose();
    },
  });
}

/** Wall time of one C = A·B on the active backend: n products enqueued, then one read of the last. */
export async function tfMatmulMs(M: number, N: number, K: number, samples = 3, targetMs = 300): Promise<{ ms: number; repeats: number }> {
  const a = tf.randomUniform([M, K], -0.5, 0.5);
  const b = tf.randomUniform([K, N], -0.5, 0.5);
  const run = async (n: number): Promise<number> => {
    const t = performance.now();
    let c: tf.Tensor | undefined;
    for (let i = 0; i < n; i++) {
      c?.dispose();
      c = tf.matMul(a, b);
    }
    await c!.data();
    c!.dispose();
    return (performance.now() - t) / n;
  };
  try {
    return await sampleMedian(run, samples, targetMs);
  } finally {
    tf.dispose([a, b]);
  }
}
