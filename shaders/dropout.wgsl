// Inverted dropout with masks that are never stored (dropout_mask.wgsl, prepended): unit (row, col) of
// hidden layer `layer` at the table's step (step_table.wgsl); model z has its tensors s_x apart.
// Several models run as one flat range: element I of the dispatch is element I % count of model
// I / count (s_models of them; 0 for one). The same integer hash is written out in the CPU
// reference (src/reference/ops.ts dropoutForward), so a GPU step with dropout is checked exactly.
//   dropout_forward:  dst = src · mask / keepProb        (the next layer's input; src keeps A for g')
//   dropout_backward: x   = x · mask / keepProb, in place (dA of the dropped output → dA of A)

struct Drop { rows: u32, cols: u32, layer: u32, row: u32, s_x: u32, s_models: u32, _p1: u32, _p2: u32 }

@group(0) @binding(0) var<storage, read> src: array<f32>;
@group(0) @binding(1) var<storage, read_write> dst: array<f32>;
@group(0) @binding(2) var<uniform> drop: Drop;
@group(0) @binding(3) var<storage, read_write> x: array<f32>;

// (element, model) of a thread, or a model past the last when the thread has none.
fn element(gid: vec3<u32>, nwg: vec3<u32>) -> vec2<u32> {
  let f = gid.x + gid.y * nwg.x * 256u;
  let count = drop.rows * drop.cols;
  let z = f / count;
  return vec2<u32>(f - z * count, z);
}

fn keep_scale(i: u32, z: u32) -> f32 { return dropout_factor(z, step_t(drop.row), drop.layer, i); }

@compute @workgroup_size(256)
fn dropout_forward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let e = element(gid, nwg);
  if (e.y >= max(drop.s_models, 1u)) { return; }
  let o = e.y * drop.s_x + e.x;
  dst[o] = src[o] * keep_scale(e.x, e.y);
}

@compute @workgroup_size(256)
fn dropout_backward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let e = element(gid, nwg);
  if (e.y >= max(drop.s_models, 1u)) { return; }
  let o = e.y * drop.s_x + e.x;
  x[o] = x[o] * keep_scale(e.x, e.y);
}
