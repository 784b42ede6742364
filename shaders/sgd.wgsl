// Plain gradient descent over every parameter at once: all weights and biases live in one buffer
// and their gradients in another with the same layout, so one dispatch updates the whole model.

struct Step { lr: f32, n: u32, _p0: u32, _p1: u32 }

@group(0) @binding(0) var<storage, read_write> param: array<f32>;
@group(0) @binding(1) var<storage, read> grad: array<f32>;
@group(0) @binding(2) var<uniform> step: Step;

@compute @workgroup_size(256)
fn sgd(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i >= step.n) { return; }
  param[i] = param[i] - step.lr * grad[i];
}
