// Copies the rows of a mini-batch out of the resident data set, features and targets in one dispatch:
// dst[r] = src[index[start + r]] (cols features a row) and dst_y[r] = src_y[index[start + r]] (cols_y
// targets a row; 0 for none). The whole data set is uploaded once; a step only changes `start`, which
// it reads from the step table (step_table.wgsl). Several models (z) each gather by their own order
// (s_index apart; 0 when they share one) into their own batch (s_dst and s_dst_y apart).
// One thread per value, features then targets of each row: element I of the dispatch is element
// I % per of model I / per, per = rows · (cols + cols_y) (s_models of them; 0 for one).

struct Range { rows: u32, cols: u32, row: u32, s_index: u32, s_dst: u32, s_models: u32, cols_y: u32, s_dst_y: u32 }

@group(0) @binding(0) var<storage, read> src: array<f32>;
@group(0) @binding(1) var<storage, read> index: array<u32>;
@group(0) @binding(2) var<storage, read_write> dst: array<f32>;
@group(0) @binding(3) var<uniform> range: Range;
@group(0) @binding(4) var<storage, read> src_y: array<f32>;
@group(0) @binding(5) var<storage, read_write> dst_y: array<f32>;

@compute @workgroup_size(256)
fn gather(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let flat = gid.x + gid.y * nwg.x * 256u;
  let width = range.cols + range.cols_y;
  let per = range.rows * width;
  let z = flat / per;
  if (z >= max(range.s_models, 1u)) { return; }
  let e = flat - z * per;
  let r = e / width;
  let c = e % width;
  let source = index[z * range.s_index + step_start(range.row) + r];
  if (c < range.cols) {
    dst[z * range.s_dst + r * range.cols + c] = src[source * range.cols + c];
  } else {
    let cy = c - range.cols;
    dst_y[z * range.s_dst_y + r * range.cols_y + cy] = src_y[source * range.cols_y + cy];
  }
}
