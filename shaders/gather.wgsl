// Copies the rows of a mini-batch out of the resident data set: dst[r] = src[index[start + r]].
// The whole data set is uploaded once; a step only changes `start`.

struct Range { start: u32, rows: u32, cols: u32, _p0: u32 }

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
  dst[i] = src[index[range.start + r] * range.cols + c];
}
