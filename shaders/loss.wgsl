// Output-layer losses: one thread per example (row). Each writes dZ for the backward pass (already
// divided by the batch size: the cost is the mean over the batch) and the row's (loss, correct)
// pair into row_stats for the reduction in reduce.wgsl.
//   bce_logits:  sigmoid + binary cross-entropy, from logits z [rows][1]
//   softmax_ce:  softmax + categorical cross-entropy, from logits z [rows][cols]
//   mse:         linear output + mean squared error over the row's cols; with REGRESSION the row's
//                second statistic is Σ_j |z_j − y_j| instead of 'correct' (MAE = total / (rows·cols))

// Model m: z, y and dz are s_rows apart, row_stats s_stats apart. Several models run as one flat
// range of rows: thread I is row I % rows of model I / rows (s_models of them; 0 for one).
struct Shape { rows: u32, cols: u32, s_rows: u32, s_stats: u32, s_models: u32, _p0: u32, _p1: u32, _p2: u32 }

// (row, model) of a thread, 1-D over a 2-D grid of workgroups (so more than 65535 × 64 rows can be
// covered); model past the last when the thread has no row.
fn row_of(gid: vec3<u32>, nwg: vec3<u32>) -> vec2<u32> {
  let f = gid.x + gid.y * nwg.x * 64u;
  let m = f / shape.rows;
  return vec2<u32>(f - m * shape.rows, m);
}

// The mse entry point's second per-row statistic: whether the row is classified right (one-hot or
// 0/1 targets), or for a regression model the sum of its absolute errors, so MAE comes from the GPU.
override REGRESSION: bool = false;

@group(0) @binding(0) var<storage, read> z: array<f32>;
@group(0) @binding(1) var<storage, read> y: array<f32>;
@group(0) @binding(2) var<storage, read_write> dz: array<f32>;
@group(0) @binding(3) var<storage, read_write> row_stats: array<vec2<f32>>;
@group(0) @binding(4) var<uniform> shape: Shape;

@compute @workgroup_size(64)
fn bce_logits(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let rm = row_of(gid, nwg);
  if (rm.y >= max(shape.s_models, 1u)) { return; }
  let r = rm.x;
  let model = rm.y;
  let o = model * shape.s_rows + r;
  let zi = z[o];
  let yi = y[o];
  // log(1 + e^z) - z*y written so that exp never sees a positive argument.
  let loss = max(zi, 0.0) - zi * yi + log(1.0 + exp(-abs(zi)));
  var p: f32;
  if (zi >= 0.0) { p = 1.0 / (1.0 + exp(-zi)); } else { let e = exp(zi); p = e / (1.0 + e); }
  dz[o] = (p - yi) / f32(shape.rows);
  row_stats[model * shape.s_stats + r] = vec2<f32>(loss, select(0.0, 1.0, (zi > 0.0) == (yi > 0.5)));
}

@compute @workgroup_size(64)
fn softmax_ce(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let rm = row_of(gid, nwg);
  if (rm.y >= max(shape.s_models, 1u)) { return; }
  let r = rm.x;
  let model = rm.y;
  let base = model * shape.s_rows + r * shape.cols;
  var zmax = z[base];
  var zarg = 0u;
  var yarg = 0u;
  var ymax = y[base];
  for (var j = 1u; j < shape.cols; j++) {
    let zj = z[base + j];
    if (zj > zmax) { zmax = zj; zarg = j; }
    let yj = y[base + j];
    if (yj > ymax) { ymax = yj; yarg = j; }
  }
  var s = 0.0;
  for (var j = 0u; j < shape.cols; j++) { s += exp(z[base + j] - zmax); }
  let lse = zmax + log(s); // log Σ e^z, shifted by the max so exp never overflows
  var loss = 0.0;
  let inv_rows = 1.0 / f32(shape.rows);
  for (var j = 0u; j < shape.cols; j++) {
    let zj = z[base + j];
    let yj = y[base + j];
    loss -= yj * (zj - lse);
    dz[base + j] = (exp(zj - lse) - yj) * inv_rows;
  }
  row_stats[model * shape.s_stats + r] = vec2<f32>(loss, select(0.0, 1.0, zarg == yarg));
}

@compute @workgroup_size(64)
fn mse(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let rm = row_of(gid, nwg);
  if (rm.y >= max(shape.s_models, 1u)) { return; }
  let r = rm.x;
  let model = rm.y;
  let base = model * shape.s_rows + r * shape.cols;
  var loss = 0.0;
  var aarg = 0u;
  var yarg = 0u;
  var abs_sum = 0.0;
  let scale = 2.0 / (f32(shape.rows) * f32(shape.cols));
  for (var j = 0u; j < shape.cols; j++) {
    let d = z[base + j] - y[base + j];
    loss += d * d;
    abs_sum += abs(d);
    dz[base + j] = scale * d;
    if (z[base + j] > z[base + aarg]) { aarg = j; }
    if (y[base + j] > y[base + yarg]) { yarg = j; }
  }
  if (REGRESSION) {
    row_stats[model * shape.s_stats + r] = vec2<f32>(loss / f32(shape.cols), abs_sum);
    return;
  }
  var correct: bool;
  if (shape.cols == 1u) { correct = (z[base] > 0.5) == (y[base] > 0.5); } else { correct = aarg == yarg; }
  row_stats[model * shape.s_stats + r] = vec2<f32>(loss / f32(shape.cols), select(0.0, 1.0, correct));
}
