// Copies the rows of a mini-batch out of the resident data set: dst[r] = src[index[start + r]].
// The whole data set is uploaded once; a step only changes `start`, which it reads from the step
// table (step_table.wgsl). Several models (z = workgroup_id.z) each gather by their own order
// (s_index apart; 0 when they share one) into their own batch (s_dst apart).
// Several models run as one flat range: element I of the dispatch is element I % count of model
// I / count (s_models of them; 0 for one).

struct Range { rows: u32, cols: u32, row: u32, s_index: u32, s_dst: u32, s_models: u32, _p1: u32, _p2: u32 }

@group(0) @binding(0) var<storage, read> src: array<f32>;
@group(0) @binding(1) var<storage, read> index: array<u32>;
@group(0) @binding(2) var<storage, read_write> dst: array<f32>;
@group(0) @binding(3) var<uniform> range: Range;

@compute @workgroup_size(256)
fn gather(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let flat = gid.x + gid.y * nwg.x * 256u;
  let count = range.rows * range.cols;
  let z = flat / count;
  if (z >= max(range.s_models, 1u)) { return; }
  let i = flat - z * count;
  let r = i / range.cols;
  let c = i % range.cols;
  dst[z * range.s_dst + i] = src[index[z * range.s_index + step_start(range.row) + r] * range.cols + c];
}
