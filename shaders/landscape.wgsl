// The loss landscape of one model (Li et al. 2018, "Visualizing the Loss Landscape of Neural Nets"):
// the mean cost J(θ + α·d1 + β·d2) over n rows at many points (α, β), forward only, in one dispatch.
// One workgroup per point (point = workgroup_id.x + workgroup_id.y · num_workgroups.x: the grid is
// folded into 2-D past 65535 points):
//   its threads form the point's weights θ + α·d1 + β·d2 in workgroup memory (one pass over the
//   parameters, so no row pays for it);
//   barrier;
//   one thread per row (rows strided by the workgroup size): forward through every layer from the
//   workgroup's weights, the row's loss added to the thread's sum;
//   a tree sum of the threads' sums; thread 0 writes the mean.
// `basis` holds θ, d1 and d2 one after the other, each laid out as the fused kernel lays out
// parameters: per layer weights [out][in] then bias. The cost is the data loss only (no L2 term), on
// hidden layers without batch norm or dropout (src/gpu/landscape.ts refuses other models).

override LOSS: u32 = 0u; // 0 bce (one output, from logits), 1 softmax ce, 2 mse (linear output)

const WG: u32 = 64u;
// A row's activations live in two private arrays of the widest layer's size.
const MAX_WIDTH: u32 = 64u;
// The point's weights in workgroup memory: 15 KiB of the 16 KiB every adapter offers (the sums take 256 B).
const MAX_PARAMS: u32 = 3840u;

struct Landscape {
  n: u32, points: u32, layers: u32, params: u32,
  dims: array<vec4<u32>, 4>,
}

@group(0) @binding(0) var<storage, read> basis: array<f32>;
@group(0) @binding(1) var<storage, read> coords: array<vec2<f32>>;
@group(0) @binding(2) var<storage, read> x: array<f32>;
@group(0) @binding(3) var<storage, read> y: array<f32>;
@group(0) @binding(4) var<storage, read_write> cost: array<f32>;
@group(0) @binding(5) var<uniform> u: Landscape;

var<workgroup> w: array<f32, MAX_PARAMS>;
var<workgroup> part: array<f32, WG>;

fn dim(l: u32) -> u32 { return u.dims[l / 4u][l % 4u]; }

// Row r's loss under the workgroup's weights: Z = (Σ_i W[j][i]·a[i]) + b[j] (the product first, then
// the bias, as the reference does), hidden layers through ACT, the output's loss as loss.wgsl has it.
fn row_loss(r: u32) -> f32 {
  var a: array<f32, MAX_WIDTH>;
  var z: array<f32, MAX_WIDTH>;
  let n0 = dim(0u);
  for (var i = 0u; i < n0; i++) { a[i] = x[r * n0 + i]; }
  var po = 0u;
  for (var l = 0u; l < u.layers; l++) {
    let nin = dim(l);
    let nout = dim(l + 1u);
    for (var j = 0u; j < nout; j++) {
      var acc = 0.0;
      for (var i = 0u; i < nin; i++) { acc += w[po + j * nin + i] * a[i]; }
      z[j] = acc + w[po + nout * nin + j];
    }
    po += nout * (nin + 1u);
    if (l + 1u < u.layers) {
      for (var j = 0u; j < nout; j++) { a[j] = act_forward(z[j]); }
    }
  }
  let cols = dim(u.layers);
  let y0 = r * cols;
  if (LOSS == 0u) {
    let zi = z[0];
    return max(zi, 0.0) - zi * y[y0] + log(1.0 + exp(-abs(zi)));
  }
  if (LOSS == 1u) {
    var zmax = z[0];
    for (var j = 1u; j < cols; j++) { zmax = max(zmax, z[j]); }
    var s = 0.0;
    for (var j = 0u; j < cols; j++) { s += exp(z[j] - zmax); }
    let lse = zmax + log(s);
    var loss = 0.0;
    for (var j = 0u; j < cols; j++) { loss -= y[y0 + j] * (z[j] - lse); }
    return loss;
  }
  var loss = 0.0;
  for (var j = 0u; j < cols; j++) {
    let d = z[j] - y[y0 + j];
    loss += d * d;
  }
  return loss / f32(cols);
}

@compute @workgroup_size(WG)
fn landscape(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let point = wid.x + wid.y * nwg.x;
  // A workgroup past the last point (the folded grid's tail) works on the last one and writes nothing:
  // every thread must reach the barriers.
  let p = min(point, u.points - 1u);
  let ab = coords[p];
  let P = u.params;
  for (var i = lid; i < P; i += WG) { w[i] = basis[i] + ab.x * basis[P + i] + ab.y * basis[2u * P + i]; }
  workgroupBarrier();
  var sum = 0.0;
  for (var r = lid; r < u.n; r += WG) { sum += row_loss(r); }
  part[lid] = sum;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s = s / 2u) {
    if (lid < s) { part[lid] += part[lid + s]; }
    workgroupBarrier();
  }
  if (lid == 0u && point < u.points) { cost[point] = part[0] / f32(u.n); }
}
