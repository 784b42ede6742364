// The yardstick for the bench's TF.js engine: the plainest training step a TF.js user would write,
// as in TF.js's own core-API examples, sharing nothing with tfjs.ts but the library. Weights are
// tf.variable [in][out], each layer tf.matMul + tf.add then tf.relu (or the spec's tf.tanh, tf.sigmoid,
// tf.leakyRelu: the small networks' moons net is tanh), the loss from tf.losses, and
// tf.train.sgd's minimize over every trainable variable. Its own random data and He-initialised
// weights: only the sizes matter for the time of a dense step. If tfjs.ts ever handicaps TF.js
// (a transposed layout, an extra op), its step drifts away from this one in the same run.
import * as tf from '@tensorflow/tfjs-core';
import type { ModelSpec } from '../model.ts';
import { LR } from './configs.ts';
import type { Stepper } from './timing.ts';

export function tfjsPlainStepper(spec: ModelSpec, batch: number, learningRate = LR): Promise<Stepper> {
  const acts: Record<ModelSpec['activation'], (h: tf.Tensor) => tf.Tensor> = {
    relu: (h) => tf.relu(h),
    tanh: (h) => tf.tanh(h),
    sigmoid: (h) => tf.sigmoid(h),
    leaky_relu: (h) => tf.leakyRelu(h, 0.01),
    linear: (h) => h,
  };
  const act = acts[spec.activation];
  const sizes = spec.sizes;
  const nIn = sizes[0]!;
  const nOut = sizes[sizes.length - 1]!;
  const x = tf.randomUniform([batch, nIn]);
  const y = tf.tidy(() =>
    nOut === 1
      ? tf.round(tf.randomUniform([batch, 1]))
      : tf.cast(tf.oneHot(tf.randomUniform([batch], 0, nOut, 'int32') as tf.Tensor1D, nOut), 'float32'),
  );
  const weights: tf.Variable[] = [];
  const biases: tf.Variable[] = [];
  for (let l = 0; l + 1 < sizes.length; l++) {
    weights.push(tf.tidy(() => tf.variable(tf.randomNormal([sizes[l]!, sizes[l + 1]!], 0, Math.sqrt(2 / sizes[l]!)))));
    biases.push(tf.tidy(() => tf.variable(tf.zeros([sizes[l + 1]!]))));
  }
  const model = (input: tf.Tensor): tf.Tensor => {
    let h = input;
    weights.forEach((w, l) => {
      h = tf.add(tf.matMul(h, w), biases[l]!);
      if (l < weights.length - 1) h = act(h);
    });
    return h;
  };
  const optimizer = tf.train.sgd(learningRate);
  const loss = (): tf.Scalar => {
    const logits = model(x);
    if (spec.loss === 'bce') return tf.losses.sigmoidCrossEntropy(y, logits) as tf.Scalar;
    if (spec.loss === 'ce') return tf.losses.softmaxCrossEntropy(y, logits) as tf.Scalar;
    return tf.losses.meanSquaredError(y, logits) as tf.Scalar;
  };
  const last = biases[biases.length - 1]!;
  return Promise.resolve({
    step: () => void optimizer.minimize(loss),
    sync: async () => void (await last.data()),
    destroy: () => {
      tf.dispose([x, y, ...weights, ...biases]);
      optimizer.dispose();
    },
  });
}
