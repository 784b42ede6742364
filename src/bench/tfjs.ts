// TensorFlow.js on the same configurations, in the same page: a hand-written step (forward, loss,
// tf.variableGrads through optimizer.minimize, SGD) on its WebGPU and WASM backends. Same sizes,
// same batch, same initial weights and data as our engines; float32 everywhere. TF.js runs in its own
// layout: weights [in][out] (our [out][in] transposed once at set-up) and each layer written as
// tf.layers.dense computes it (tf.fused.matMul with bias, ReLU fused), so no product needs a transpose.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import '@tensorflow/tfjs-backend-webgpu';
import { getThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { layerActivation, layerCount, size } from '../model.ts';
import type { BenchInit } from './ours.ts';
import { LR } from './configs.ts';
import { sampleMedian, type Stepper } from './timing.ts';

export { LR };

export type TfBackend = 'webgpu' | 'wasm';

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

export interface TfInfo {
  readonly version: string;
  readonly wasmSimd: boolean | null;
  /** WASM_HAS_MULTITHREAD_SUPPORT: SharedArrayBuffer and WASM threads usable, so the threaded SIMD build loads. */
  readonly wasmThreads: boolean | null;
  /** Threads in XNNPACK's pool (TF.js's default and cap: logical CPUs / 2, at most 8); null if the WASM backend never started. */
  readonly wasmThreadsCount: number | null;
}

export async function tfInfo(): Promise<TfInfo> {
  const flag = async (f: string) => {
    try {
      return Boolean(await tf.env().getAsync(f));
    } catch {
      return null;
    }
  };
  let wasmThreadsCount: number | null = null;
  try {
    wasmThreadsCount = getThreadsCount();
  } catch {
    /* the WASM backend was not initialised */
  }
  return {
    version: tf.version_core,
    wasmSimd: await flag('WASM_HAS_SIMD_SUPPORT'),
    wasmThreads: await flag('WASM_HAS_MULTITHREAD_SUPPORT'),
    wasmThreadsCount,
  };
}

/** The WASM backend as the results name it: XNNPACK, SIMD or not, and the threads it runs on. */
export async function tfWasmLabel(plain: boolean): Promise<string> {
  const i = await tfInfo();
  const threads = i.wasmThreads
    ? `threaded build, ${i.wasmThreadsCount ?? '?'} thread${i.wasmThreadsCount === 1 ? '' : 's'}`
    : '1 thread: no WASM threads';
  return `tfjs wasm (XNNPACK, ${i.wasmSimd ? 'SIMD' : 'no SIMD'}, ${threads})${plain ? ', plain hand-written step' : ''}`;
}

/** Whether TF.js WASM ran on threads, and why not where it did not. */
export function tfWasmThreadsNote(i: TfInfo, crossOriginIsolated: boolean, logicalCpus: number): string {
  const head = `TF.js WASM: page cross-origin isolated ${crossOriginIsolated}, WASM threads ${i.wasmThreads}, XNNPACK pool ${i.wasmThreadsCount ?? 'not started'}`;
  if (!crossOriginIsolated)
    return `${head}: single-threaded, since without cross-origin isolation there is no SharedArrayBuffer (so no WASM threads).`;
  if (i.wasmThreads === false)
    return `${head}: single-threaded, since TF.js found no WASM thread support (WASM_HAS_MULTITHREAD_SUPPORT false; always so in Node).`;
  // tfjs-backend-wasm's backend.cc caps the pool at hardwareConcurrency / 2 (it assumes two logical CPUs
  // per core), setThreadsCount included.
  if (i.wasmThreadsCount === 1)
    return `${head}: the threaded SIMD build ran on one thread, since TF.js caps XNNPACK's pool at logical CPUs / 2 = ${Math.floor(logicalCpus / 2)} here (setThreadsCount cannot raise it).`;
  return `${head}.`;
}

export function tfjsStepper(init: BenchInit): Promise<Stepper> {
  const { spec } = init;
  const L = layerCount(spec);
  const rows = init.maxBatch;
  const x = tf.tensor2d(init.train.x, [rows, size(spec, 0)]);
  const y = tf.tensor2d(init.train.y, [rows, size(spec, L)]);
  // tidy frees the initial values; it never disposes a variable.
  const ws = init.params.map((p, l) =>
    tf.tidy(() => tf.variable(tf.transpose(tf.tensor2d(p.weight, [size(spec, l + 1), size(spec, l)])), true, `w${l}`)),
  );
  const bs = init.params.map((p, l) => tf.tidy(() => tf.variable(tf.tensor1d(p.bias), true, `b${l}`)));
  const vars = [...ws, ...bs];
  const opt = tf.train.sgd(LR);
  // tf.layers.dense fuses ReLU (and a linear output) into the product; other activations follow it.
  const dense = (l: number, h: tf.Tensor): tf.Tensor => {
    const g = l === L - 1 ? 'linear' : layerActivation(spec, l); // logits out: the loss applies sigmoid / softmax
    if (g === 'relu' || g === 'linear')
      return tf.fused.matMul({ a: h as tf.Tensor2D, b: ws[l]!, bias: bs[l]!, activation: g });
    const z = tf.fused.matMul({ a: h as tf.Tensor2D, b: ws[l]!, bias: bs[l]! });
    switch (g) {
      case 'sigmoid':
        return tf.sigmoid(z);
      case 'tanh':
        return tf.tanh(z);
      case 'leaky_relu':
        return tf.leakyRelu(z, 0.01);
    }
  };
  const loss = (): tf.Scalar => {
    let h: tf.Tensor = x;
    for (let l = 0; l < L; l++) h = dense(l, h);
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
export async function tfMatmulMs(
  M: number,
  N: number,
  K: number,
  samples = 3,
  targetMs = 300,
): Promise<{ ms: number; repeats: number }> {
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
