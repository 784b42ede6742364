// db[j] = Σ_r dZ[r][j]: the bias gradient is the column sum of dZ (dZ already carries the 1/m).
// One thread per column; neighbouring threads read neighbouring addresses of each row.

// Model z: dz and db are s_dz and s_db apart. Several models run as one flat range of columns: thread
// J is column J % cols of model J / cols (s_models of them; 0 for one). J is 1-D over a 2-D grid of
// workgroups, so more than 65535 × 64 columns can be covered.
struct Shape { rows: u32, cols: u32, s_dz: u32, s_db: u32, s_models: u32, _p0: u32, _p1: u32, _p2: u32 }

@group(0) @binding(0) var<storage, read> dz: array<f32>;
@group(0) @binding(1) var<storage, read_write> db: array<f32>;
@group(0) @binding(2) var<uniform> shape: Shape;

@compute @workgroup_size(64)
fn bias_grad(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let f = gid.x + gid.y * nwg.x * 64u;
  let z = f / shape.cols;
  if (z >= max(shape.s_models, 1u)) { return; }
  let j = f - z * shape.cols;
  var s = 0.0;
  let o = z * shape.s_dz;
  for (var r = 0u; r < shape.rows; r++) { s += dz[o + r * shape.cols + j]; }
  db[z * shape.s_db + j] = s;
}
