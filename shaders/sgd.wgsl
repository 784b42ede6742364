// Plain gradient descent over every parameter at once: all weights and biases live in one buffer
// and their gradients in another with the same layout, so one dispatch updates the whole model (and
// one dispatch every model of a plan that trains several: model z's parameters are s_param apart).
// The learning rate is the model's own, from the step table (step_table.wgsl); a stopped model is
// left as it is.
// Several models run as one flat range: element I of the dispatch is element I % n of model
// I / n (s_models of them; 0 for one).

struct Step { n: u32, row: u32, s_param: u32, s_models: u32 }

@group(0) @binding(0) var<storage, read_write> param: array<f32>;
@group(0) @binding(1) var<storage, read> grad: array<f32>;
@group(0) @binding(2) var<uniform> step: Step;

@compute @workgroup_size(256)
fn sgd(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let f = gid.x + gid.y * nwg.x * 256u;
  let z = f / step.n;
  if (z >= max(step.s_models, 1u) || models[z].running == 0u) { return; }
  let i = f - z * step.n;
  let lr = model_step(step.row, z).x;
  let o = z * step.s_param + i;
  param[o] = param[o] - lr * grad[o];
}
