// Copies the rows of a mini-batch out of the resident data set: dst[r] = src[index[start + r]].
// The whole data set is uploaded once; a step only changes `start`, which it reads from the step
// table (step_table.wgsl). Several models (z = workgroup_id.z) each gather by their own order
// (s_index apart; 0 when they share one) into their own batch (s_dst apart).

struct Range { rows: u32, cols: u32, row: u32, s_index: u32, s_dst: u32, _p0: u32, _p1: u32, _p2: u32 }

@group(0) @binding(0) var<storage, read> src: array<f32>;
@group(0) @binding(1) var<storage, read> index: array<u32>;
@group(0) @binding(2) var<storage, read_write> dst: array<f32>;
@group(0) @binding(3) var<uniform> range: Range;

@compute @workgroup_size(256)
fn gather(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i >= range.rows * range.cols) { return; }
  let r = i / range.cols;
  let c = i % range.cols;
  dst[gid.z * range.s_dst + i] = src[index[gid.z * range.s_index + step_start(range.row) + r] * range.cols + c];
}
