// Elementwise activation kernels (the unfused path; the matmul epilogues fuse the same math).
// Requires activation_fns.wgsl in front. Both run in place on x, [rows][cols] row-major.
//   bias_act:  x = g(x + bias[col])          (x holds Z on entry, A on exit)
//   act_grad:  x = x ⊙ g'(a), g' via a = g(z) (x holds dA on entry, dZ on exit)

// Model z: x is s_x apart, bias or a s_y apart.
// Several models run as one flat range: element I of the dispatch is element I % count of model
// I / count (s_models of them; 0 for one).
struct Shape { rows: u32, cols: u32, s_x: u32, s_y: u32, s_models: u32, _p0: u32, _p1: u32, _p2: u32 }

@group(0) @binding(0) var<storage, read_write> x: array<f32>;
@group(0) @binding(1) var<uniform> shape: Shape;
@group(0) @binding(2) var<storage, read> bias: array<f32>;
@group(0) @binding(3) var<storage, read> a: array<f32>;

// (element, model) of a thread: a 1-D index over a 2-D grid of workgroups (so more than 65535 × 256
// elements can be covered), split into the element of its model and the model (past the last when the
// thread has none).
fn element(gid: vec3<u32>, nwg: vec3<u32>) -> vec2<u32> {
  let f = gid.x + gid.y * nwg.x * 256u;
  let count = shape.rows * shape.cols;
  let z = f / count;
  return vec2<u32>(f - z * count, z);
}

@compute @workgroup_size(256)
fn bias_act(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let e = element(gid, nwg);
  if (e.y >= max(shape.s_models, 1u)) { return; }
  let o = e.y * shape.s_x + e.x;
  x[o] = act_forward(x[o] + bias[e.y * shape.s_y + e.x % shape.cols]);
}

@compute @workgroup_size(256)
fn act_grad(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let e = element(gid, nwg);
  if (e.y >= max(shape.s_models, 1u)) { return; }
  let o = e.y * shape.s_x + e.x;
  x[o] = x[o] * act_grad_from_output(a[e.y * shape.s_y + e.x]);
}
