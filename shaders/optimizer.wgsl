// Every optimizer in one update over the flat parameter buffer: weights and biases of all layers live
// in `param`, their gradients in `grad`, and the optimizer state v (first moment) and s (second
// moment) in buffers with the same layout, so one dispatch updates the whole model.
// The optimizer is picked by the OPT override (0 sgd, 1 momentum, 2 rmsprop, 3 adam, see
// src/gpu/kernels.ts); hyperparameters, Adam's bias corrections c1 = 1 − β1^t, c2 = 1 − β2^t
// (computed on the CPU in float64) and the L2 factor λ/m come in the uniform.
// L2 is folded in first: g = grad + (λ/m)·decay·param, where decay is 1 on weights and 0 on biases
// and padding. The regularised gradient is written back to `grad`, so what a test reads back is the
// gradient that was applied.

override OPT: u32 = 0u;

struct Step { lr: f32, n: u32, beta1: f32, beta2: f32, eps: f32, c1: f32, c2: f32, l2: f32 }

@group(0) @binding(0) var<storage, read_write> param: array<f32>;
@group(0) @binding(1) var<storage, read_write> grad: array<f32>;
@group(0) @binding(2) var<storage, read_write> v: array<f32>;
@group(0) @binding(3) var<storage, read_write> s: array<f32>;
@group(0) @binding(4) var<storage, read> decay: array<f32>;
@group(0) @binding(5) var<uniform> step: Step;

@compute @workgroup_size(256)
fn optimizer(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i >= step.n) { return; }
  let w = param[i];
  let g = grad[i] + step.l2 * decay[i] * w;
  grad[i] = g;
  switch OPT {
    case 1u: {
      let vi = step.beta1 * v[i] + (1.0 - step.beta1) * g;
      v[i] = vi;
      param[i] = w - step.lr * vi;
    }
    case 2u: {
      let si = step.beta2 * s[i] + (1.0 - step.beta2) * g * g;
      s[i] = si;
      param[i] = w - step.lr * g / (sqrt(si) + step.eps);
    }
    case 3u: {
      let vi = step.beta1 * v[i] + (1.0 - step.beta1) * g;
      let si = step.beta2 * s[i] + (1.0 - step.beta2) * g * g;
      v[i] = vi;
      s[i] = si;
      param[i] = w - step.lr * (vi / step.c1) / (sqrt(si / step.c2) + step.eps);
    }
    default: { param[i] = w - step.lr * g; }
  }
}
