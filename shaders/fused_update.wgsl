// The optimizer update of one parameter element in the fused steps (optimizer.wgsl's formulas: SGD,
// momentum, RMSprop, Adam with the host's bias corrections), shared by fused_step.wgsl (V = f32) and
// fused_step_vec4.wgsl (V = vec4<f32>). The including kernel declares `alias V`, `state: array<V>` (the
// parameters, then at i + P the regularised gradient, at i + 2P the first moment v, at i + 3P the second
// s), `u.params` (P), `models` and OPT. h = (lr, 1 − β1^t, 1 − β2^t, λ/m).
fn apply_update(i: u32, z: u32, w: V, g: V, h: vec4<f32>) {
  let P = u.params;
  state[i + P] = g;
  let beta1 = models[z].beta1;
  let beta2 = models[z].beta2;
  switch OPT {
    case 1u: {
      let vi = beta1 * state[i + 2u * P] + (1.0 - beta1) * g;
      state[i + 2u * P] = vi;
      state[i] = w - h.x * vi;
    }
    case 2u: {
      let si = beta2 * state[i + 3u * P] + (1.0 - beta2) * g * g;
      state[i + 3u * P] = si;
      state[i] = w - h.x * g / (sqrt(si) + models[z].eps);
    }
    case 3u: {
      let vi = beta1 * state[i + 2u * P] + (1.0 - beta1) * g;
      let si = beta2 * state[i + 3u * P] + (1.0 - beta2) * g * g;
      state[i + 2u * P] = vi;
      state[i + 3u * P] = si;
      state[i] = w - h.x * (vi / h.y) / (sqrt(si / h.z) + models[z].eps);
    }
    default: { state[i] = w - h.x * g; }
  }
}
