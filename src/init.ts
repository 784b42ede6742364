import { hasBatchNorm, layerActivation, layerCount, size, type ModelSpec, type Params } from './model.ts';
import { Rng } from './rng.ts';

// Initialisation, computed once on the CPU and uploaded, so the GPU and the CPU reference start from
// the same float32 bits. He (sqrt(2/n_in)) for ReLU-family layers, Xavier (sqrt(1/n_in), the course's
// choice for tanh) for the others; biases zero. Batch norm: γ = 1, β = 0, running mean 0 and var 1
// (drawn after nothing, so the weights are the same with and without it).
export function initParams(spec: ModelSpec, seed: number): Params {
  const rng = new Rng(seed);
  const params: Params = [];
  for (let l = 0; l < layerCount(spec); l++) {
    const nIn = size(spec, l);
    const nOut = size(spec, l + 1);
    const act = layerActivation(spec, l);
    const scale = act === 'relu' || act === 'leaky_relu' ? Math.sqrt(2 / nIn) : Math.sqrt(1 / nIn);
    const weight = new Float32Array(nOut * nIn);
    for (let i = 0; i < weight.length; i++) weight[i] = rng.normal() * scale;
    const layer = { weight, bias: new Float32Array(nOut) };
    params.push(
      hasBatchNorm(spec, l)
        ? {
            ...layer,
            bn: {
              gamma: new Float32Array(nOut).fill(1),
              beta: new Float32Array(nOut),
              mean: new Float32Array(nOut),
              var: new Float32Array(nOut).fill(1),
            },
          }
        : layer,
    );
  }
  return params;
}
