// The L2 term of the cost, added to the running loss sum of the training steps: a step of m rows adds
// m · (λ/2m)·Σ‖W‖² = (λ/2)·Σ decay·param² to total.x (decay is 1 on weights, 0 on biases and padding).
// Runs before the update, so the loss it completes is the one of the parameters the step started from.
// One workgroup: each thread sums a strided slice, then a tree reduction in workgroup memory.

// λ/2 is the model's (step_table.wgsl); model z (workgroup_id.z) is s_param apart and adds to total[z].
struct Penalty { n: u32, s_param: u32, _p0: u32, _p1: u32 }

@group(0) @binding(0) var<storage, read> param: array<f32>;
@group(0) @binding(1) var<storage, read> decay: array<f32>;
@group(0) @binding(2) var<storage, read_write> total: array<vec2<f32>>;
@group(0) @binding(3) var<uniform> pen: Penalty;

var<workgroup> partial: array<f32, 256>;

@compute @workgroup_size(256)
fn l2_penalty(@builtin(local_invocation_index) t: u32, @builtin(workgroup_id) wid: vec3<u32>) {
  let o = wid.z * pen.s_param;
  var acc = 0.0;
  for (var i = t; i < pen.n; i += 256u) { let w = param[o + i]; acc += decay[i] * w * w; }
  partial[t] = acc;
  workgroupBarrier();
  for (var w = 128u; w > 0u; w >>= 1u) {
    if (t < w) { partial[t] += partial[t + w]; }
    workgroupBarrier();
  }
  if (t == 0u) { total[wid.z].x += models[wid.z].half_lambda * partial[0]; }
}
