// The L2 term of the cost, for the running loss sum of the training steps: a step of m rows adds
// m · (λ/2m)·Σ‖W‖² = (λ/2)·Σ decay·param² to the loss total (decay is 1 on weights, 0 on biases and
// padding). Runs before the update, so the loss it completes is the one of the parameters the step
// started from. One workgroup of 64 threads per model (workgroup_id.x; its parameters s_param apart):
// thread t sums every 64th product from t into partials[z·64 + t], and reduce.wgsl adds the 64 in
// order and scales by the model's λ/2 — no workgroup memory, no barrier.

struct Penalty { n: u32, s_param: u32, _p0: u32, _p1: u32 }

@group(0) @binding(0) var<storage, read> param: array<f32>;
@group(0) @binding(1) var<storage, read> decay: array<f32>;
@group(0) @binding(2) var<storage, read_write> partials: array<f32>;
@group(0) @binding(3) var<uniform> pen: Penalty;

@compute @workgroup_size(64)
fn l2_penalty(@builtin(local_invocation_index) t: u32, @builtin(workgroup_id) wid: vec3<u32>) {
  let o = wid.x * pen.s_param;
  var acc = 0.0;
  for (var i = t; i < pen.n; i += 64u) { let w = param[o + i]; acc += decay[i] * w * w; }
  partials[wid.x * 64u + t] = acc;
}
