// The ONNX export run by a real runtime (onnxruntime-web's WASM backend, in Node) and compared with the
// float64 reference's inference-mode forward pass, turned into what the graph outputs: softmax for
// 'ce', sigmoid for 'bce', the values for 'mse'.
import { afterAll, describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-web';
import type { SavedModel } from '../../src/lib/model-file.ts';
import { encodeOnnx, type InputNormalization, type OnnxOptions } from '../../src/io/onnx.ts';
import { compare } from '../../src/check.ts';
import {
  HIDDEN_ACTIVATIONS,
  LOSSES,
  layerCount,
  size,
  type Loss,
  type ModelSpec,
  type Params,
} from '../../src/model.ts';
import { forward, toParams64 } from '../../src/reference/mlp.ts';
import { randomNormalization, randomParams, randomRows } from './random-params.ts';

// One thread: no worker threads to start or leave behind, and the machine is shared.
ort.env.wasm.numThreads = 1;

/** The bar: float32 inference against float64, on probabilities and on regression values of order 1. */
const ATOL = 1e-5;
const ROWS = 37;
let maxDiff = 0;
afterAll(() => console.log(`onnx vs float64 reference: largest |diff| ${maxDiff.toExponential(2)}`));

/** What the graph should output for x[rows][n0], from the float64 reference. */
function expected(
  spec: ModelSpec,
  params: Params,
  x: Float32Array,
  rows: number,
  norm?: InputNormalization,
): Float64Array {
  const n0 = size(spec, 0);
  const input = Float64Array.from(x, (v, i) => (norm ? (v - norm.shift[i % n0]!) / norm.scale[i % n0]! : v));
  const { a } = forward(spec, toParams64(params), input, rows, undefined, 'eval');
  const z = a[a.length - 1]!; // the output layer's Z: logits for 'bce' and 'ce'
  return outputOf(spec.loss, z, size(spec, layerCount(spec)));
}

function outputOf(loss: Loss, z: Float64Array, k: number): Float64Array {
  if (loss === 'mse') return z;
  if (loss === 'bce') return z.map((v) => 1 / (1 + Math.exp(-v)));
  const p = new Float64Array(z.length);
  for (let r = 0; r < z.length / k; r++) {
    const row = z.subarray(r * k, (r + 1) * k);
    const m = Math.max(...row);
    let s = 0;
    for (const v of row) s += Math.exp(v - m);
    for (let c = 0; c < k; c++) p[r * k + c] = Math.exp(row[c]! - m) / s;
  }
  return p;
}

/** Runs the exported model on all rows at once and on the first row alone (batch dims ROWS and 1),
 *  and checks both against the reference. */
async function checkExport(name: string, spec: ModelSpec, seed: number, options: OnnxOptions = {}): Promise<void> {
  const params = randomParams(spec, seed);
  const n0 = size(spec, 0);
  const k = size(spec, layerCount(spec));
  const x = randomRows(ROWS, n0, seed);
  const want = expected(spec, params, x, ROWS, options.normalization);
  const session = await ort.InferenceSession.create(encodeOnnx(spec, params, options));
  try {
    for (const rows of [ROWS, 1]) {
      const out = await session.run({ input: new ort.Tensor('float32', x.subarray(0, rows * n0), [rows, n0]) });
      const y = out.output;
      expect(y?.dims).toEqual([rows, k]);
      const got = y!.data as Float32Array;
      for (let i = 0; i < got.length; i++) maxDiff = Math.max(maxDiff, Math.abs(got[i]! - want[i]!));
      expect(
        compare(`${name} (batch ${rows})`, got, want.subarray(0, rows * k), { atol: ATOL, rtol: 0 }, undefined, k)
          ?.report,
      ).toBeUndefined();
    }
  } finally {
    await session.release();
  }
}

const NORMS = ['none', 'standard', 'minmax'] as const;

describe('ONNX export in onnxruntime', () => {
  const cases = HIDDEN_ACTIVATIONS.flatMap((activation) =>
    LOSSES.flatMap((loss) =>
      [false, true].flatMap((batchNorm) => NORMS.map((norm) => ({ activation, loss, batchNorm, norm }))),
    ),
  );

  // Test that every hidden activation under every loss, with and without (folded) batch norm and with
  // each input normalisation, gives the reference's outputs on a batch of many rows and of one.
  it.each(cases)(
    'matches the reference: $activation, $loss, batch norm $batchNorm, normalisation $norm',
    async ({ activation, loss, batchNorm, norm }) => {
      const spec: ModelSpec = { sizes: [5, 8, 6, loss === 'bce' ? 1 : 4], activation, loss, batchNorm };
      const seed = cases.findIndex(
        (c) => c.activation === activation && c.loss === loss && c.batchNorm === batchNorm && c.norm === norm,
      );
      const options = norm === 'none' ? {} : { normalization: randomNormalization(norm, 5, seed) };
      await checkExport(`${activation}/${loss}/${batchNorm}/${norm}`, spec, seed, options);
    },
  );

  // Test that a model without hidden layers ([n0, k]: one Gemm and the output) exports, also when the
  // spec asks for batch norm (which then applies to no layer).
  it.each(LOSSES)('matches the reference with no hidden layer: %s', async (loss) => {
    const k = loss === 'bce' ? 1 : 3;
    await checkExport(`[4,${k}] ${loss}`, { sizes: [4, k], activation: 'relu', loss }, 7);
    await checkExport(`[4,${k}] ${loss} bn`, { sizes: [4, k], activation: 'tanh', loss, batchNorm: true }, 8, {
      normalization: randomNormalization('standard', 4, 8),
    });
  });

  // Test that the graph carries the chosen input and output names and a symbolic batch dimension.
  it('names its input and output and leaves the batch dimension symbolic', async () => {
    const spec: ModelSpec = { sizes: [3, 5, 2], activation: 'sigmoid', loss: 'ce' };
    const bytes = encodeOnnx(spec, randomParams(spec, 1), {
      inputName: 'features',
      outputName: 'probabilities',
      producer: 'test',
    });
    const session = await ort.InferenceSession.create(bytes);
    try {
      expect(session.inputNames).toEqual(['features']);
      expect(session.outputNames).toEqual(['probabilities']);
      const shapes = [...session.inputMetadata, ...session.outputMetadata].map((m) =>
        m.isTensor ? [m.type, m.shape] : m,
      );
      expect(shapes).toEqual([
        ['float32', ['batch', 3]],
        ['float32', ['batch', 2]],
      ]);
      const out = await session.run({ features: new ort.Tensor('float32', new Float32Array(4 * 3), [4, 3]) });
      expect(out.probabilities?.dims).toEqual([4, 2]);
    } finally {
      await session.release();
    }
  });
});

describe('ONNX export of bad input', () => {
  const spec: ModelSpec = { sizes: [3, 4, 2], activation: 'relu', loss: 'ce', batchNorm: true };
  const params = (): Params => randomParams(spec, 3);
  const norm = (shift: number[], scale: number[]): OnnxOptions => ({
    normalization: { method: 'standard', shift, scale },
  });

  // Test that normalisation arrays of the wrong length, non-finite values and non-positive scales
  // throw, naming the array and the index.
  it('rejects bad normalisation arrays', () => {
    expect(() => encodeOnnx(spec, params(), norm([0, 0], [1, 1, 1]))).toThrow(
      /normalization shift has 2 values but the model has 3 inputs/,
    );
    expect(() => encodeOnnx(spec, params(), norm([0, 0, 0], [1, 1, 1, 1]))).toThrow(/normalization scale has 4 values/);
    expect(() => encodeOnnx(spec, params(), norm([0, NaN, 0], [1, 1, 1]))).toThrow(/normalization shift\[1\] is NaN/);
    expect(() => encodeOnnx(spec, params(), norm([0, 0, 0], [1, 1, 0]))).toThrow(/normalization scale\[2\] is 0/);
    expect(() => encodeOnnx(spec, params(), norm([0, 0, 0], [1, -2, 1]))).toThrow(/normalization scale\[1\] is -2/);
    expect(() =>
      encodeOnnx(spec, params(), {
        normalization: { method: 'zscore' as 'standard', shift: [0, 0, 0], scale: [1, 1, 1] },
      }),
    ).toThrow(/method must be/);
  });

  // Test that parameters which do not fit the spec throw, naming the tensor.
  it('rejects parameters that do not fit the spec', () => {
    expect(() => encodeOnnx(spec, params().slice(0, 1))).toThrow(/has 2 layers but params has 1/);
    const short = params();
    short[1] = { ...short[1]!, weight: new Float32Array(7) };
    expect(() => encodeOnnx(spec, short)).toThrow(/layers\.1\.weight has 7 values, expected 8 for shape \[2,4\]/);
    const noBn = params();
    noBn[0] = { weight: noBn[0]!.weight, bias: noBn[0]!.bias };
    expect(() => encodeOnnx(spec, noBn)).toThrow(/layers\.0\.bn_gamma and the other bn_\* tensors are missing/);
    expect(() => encodeOnnx({ ...spec, batchNorm: false }, params())).toThrow(
      /layers\.0\.bn_gamma: params has batch-norm tensors but the spec has none/,
    );
    const badVar = params();
    badVar[0]!.bn!.var[2] = -1;
    expect(() => encodeOnnx(spec, badVar)).toThrow(/layers\.0\.bn_var\[2\] is -1/);
    const nan = params();
    nan[1]!.weight[5] = NaN;
    expect(() => encodeOnnx(spec, nan)).toThrow(/layers\.1\.weight\[5\] is NaN/);
  });

  // Test that input and output names that clash with each other or with a tensor inside throw.
  it('rejects clashing names', () => {
    expect(() => encodeOnnx(spec, params(), { inputName: 'x', outputName: 'x' })).toThrow(/both named 'x'/);
    expect(() => encodeOnnx(spec, params(), { outputName: 'layers.1.weight' })).toThrow(
      /'layers\.1\.weight' is already used/,
    );
    expect(() => encodeOnnx(spec, params(), { inputName: '' })).toThrow(/must not be empty/);
  });
});

/** A trainer's own ONNX export, run in onnxruntime on ROWS random rows of 5 features, against that
 *  trainer's predict (float64 on the CPU), mapped by `expect` to the graph's output layout. */
async function againstPredict(
  name: string,
  model: SavedModel,
  seed: number,
  expected: (values: Float32Array) => Float64Array,
  rtol: number,
): Promise<void> {
  const { createTrainer } = await import('../../src/lib/trainer.ts');
  const trainer = await createTrainer({ model, device: 'cpu' });
  const x = randomRows(ROWS, 5, seed);
  const want = expected((await trainer.predict(x)).values);
  const session = await ort.InferenceSession.create(await trainer.exportOnnx());
  try {
    const got = (await session.run({ input: new ort.Tensor('float32', x, [ROWS, 5]) })).output!.data as Float32Array;
    expect(compare(name, got, want, { atol: ATOL, rtol }, undefined, want.length / ROWS)?.report).toBeUndefined();
  } finally {
    await session.release();
    trainer.destroy();
  }
}

// Test that what a library user exports (Trainer.exportOnnx) gives the outputs of that trainer's own
// predict (the float64 path on the CPU) on every row, for every hidden activation and loss, with and
// without batch norm and input normalisation (probabilities: ONNX's single sigmoid unit is predict's p(1)).
describe('Trainer.exportOnnx against Trainer.predict', () => {
  const cases = HIDDEN_ACTIVATIONS.flatMap((activation) =>
    LOSSES.flatMap((loss) =>
      [false, true].flatMap((batchNorm) => NORMS.map((norm) => ({ activation, loss, batchNorm, norm }))),
    ),
  );
  it.each(cases)(
    '$activation, $loss, batch norm $batchNorm, normalisation $norm',
    async ({ activation, loss, batchNorm, norm }) => {
      const spec: ModelSpec = {
        sizes: [5, 8, 6, loss === 'bce' ? 1 : 4],
        activation,
        loss,
        ...(batchNorm ? { batchNorm } : {}),
      };
      const seed =
        500 +
        cases.findIndex(
          (c) => c.activation === activation && c.loss === loss && c.batchNorm === batchNorm && c.norm === norm,
        );
      const info = norm === 'none' ? {} : { normalization: randomNormalization(norm, 5, seed) };
      // ONNX's single sigmoid unit is predict's p(class 1).
      await againstPredict(
        `exportOnnx vs predict ${activation}/${loss}/${batchNorm}/${norm}`,
        { spec, params: randomParams(spec, seed), info },
        seed,
        (p) => (loss === 'bce' ? Float64Array.from({ length: ROWS }, (_, r) => p[2 * r + 1]!) : Float64Array.from(p)),
        0,
      );
    },
  );
});

// Test that a regression model trained on standardised targets exports with the de-standardisation in
// the graph (Mul scale, Add shift): ONNX gives predict's values in the targets' units, two targets.
describe('Trainer.exportOnnx of a regression model with standardised targets', () => {
  it.each(HIDDEN_ACTIVATIONS)('%s', async (activation) => {
    const spec: ModelSpec = { sizes: [5, 8, 2], activation, loss: 'mse' };
    const seed = 900 + HIDDEN_ACTIVATIONS.indexOf(activation);
    const info = {
      task: 'regression' as const,
      normalization: randomNormalization('standard', 5, seed),
      targetNormalization: { method: 'standard' as const, shift: [120, -3], scale: [15, 0.25] },
    };
    // Values near 120: float32 keeps them to ~1e-5 relative of their size.
    await againstPredict(
      `regression exportOnnx vs predict ${activation}`,
      { spec, params: randomParams(spec, seed), info },
      seed,
      (p) => Float64Array.from(p),
      1e-6,
    );
  });
});
