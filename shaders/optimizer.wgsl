// Every optimizer in one update over the flat parameter buffer: weights and biases of all layers live
// in `param`, their gradients in `grad`, and the optimizer state v (first moment) and s (second
// moment) in buffers with the same layout, so one dispatch updates the whole model.
// The optimizer is picked by the OPT override (0 sgd, 1 momentum, 2 rmsprop, 3 adam, see
// src/gpu/kernels.ts); hyperparameters, Adam's bias corrections c1 = 1 − β1^t, c2 = 1 − β2^t
// (computed on the CPU in float64) and the L2 factor λ/m come from the step table and the model's
// constants (step_table.wgsl); several models (z = workgroup_id.z) are s_param apart in every buffer
// but `decay`, which they share. A stopped model is left as it is.
// Several models run as one flat range: element I of the dispatch is element I % n of model
// I / n (s_models of them; 0 for one).
// L2 is folded in first: g = grad + (λ/m)·decay·param, where decay is 1 on weights and 0 on biases
// and padding. The regularised gradient is written back to `grad`, so what a test reads back is the
// gradient that was applied.

override OPT: u32 = 0u;

struct Step { n: u32, row: u32, s_param: u32, s_models: u32 }

@group(0) @binding(0) var<storage, read_write> param: array<f32>;
@group(0) @binding(1) var<storage, read_write> grad: array<f32>;
@group(0) @binding(2) var<storage, read_write> v: array<f32>;
@group(0) @binding(3) var<storage, read_write> s: array<f32>;
@group(0) @binding(4) var<storage, read> decay: array<f32>;
@group(0) @binding(5) var<uniform> step: Step;

@compute @workgroup_size(256)
fn optimizer(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let f = gid.x + gid.y * nwg.x * 256u;
  let z = f / step.n;
  if (z >= max(step.s_models, 1u) || models[z].running == 0u) { return; }
  let j = f - z * step.n;
  let h = model_step(step.row, z);
  let lr = h.x;
  let c1 = h.y;
  let c2 = h.z;
  let beta1 = models[z].beta1;
  let beta2 = models[z].beta2;
  let eps = models[z].eps;
  let i = z * step.s_param + j;
  let w = param[i];
  let g = grad[i] + h.w * decay[j] * w;
  grad[i] = g;
  switch OPT {
    case 1u: {
      let vi = beta1 * v[i] + (1.0 - beta1) * g;
      v[i] = vi;
      param[i] = w - lr * vi;
    }
    case 2u: {
      let si = beta2 * s[i] + (1.0 - beta2) * g * g;
      s[i] = si;
      param[i] = w - lr * g / (sqrt(si) + eps);
    }
    case 3u: {
      let vi = beta1 * v[i] + (1.0 - beta1) * g;
      let si = beta2 * s[i] + (1.0 - beta2) * g * g;
      v[i] = vi;
      s[i] = si;
      param[i] = w - lr * (vi / c1) / (sqrt(si / c2) + eps);
    }
    default: { param[i] = w - lr * g; }
  }
}
