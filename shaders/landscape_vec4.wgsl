// landscape.wgsl with widths padded to multiples of 4 and vec4 loads (the fast variant, the default;
// src/gpu/landscape.ts): each row's activations are 16 vec4s, a point's weights 960 vec4s in workgroup
// memory, and a layer's outputs come four at a time from dot products of four weight rows with the
// input. The padding is zero in θ, d1, d2 and x, so padded units output act(0) into columns whose
// weights are zero, and the loss reads only the real `cols` outputs. Same dispatch, one workgroup per
// point; the summation order within a row differs from the scalar kernel's (within the tolerance).

override LOSS: u32 = 0u; // 0 bce (one output, from logits), 1 softmax ce, 2 mse (linear output)

const WG: u32 = 64u;
const MAX_WIDTH4: u32 = 16u;
// 15 KiB of the 16 KiB every adapter offers (the sums take 256 B).
const MAX_PARAMS4: u32 = 960u;

struct Landscape {
  n: u32, points: u32, layers: u32, params: u32,
  cols: u32, pad0: u32, pad1: u32, pad2: u32,
  dims: array<vec4<u32>, 4>,
}

@group(0) @binding(0) var<storage, read> basis: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> coords: array<vec2<f32>>;
@group(0) @binding(2) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> y: array<f32>;
@group(0) @binding(4) var<storage, read_write> cost: array<f32>;
@group(0) @binding(5) var<uniform> u: Landscape;

var<workgroup> w: array<vec4<f32>, MAX_PARAMS4>;
var<workgroup> part: array<f32, WG>;

// Padded width of layer l, a multiple of 4.
fn dim(l: u32) -> u32 { return u.dims[l / 4u][l % 4u]; }

fn act4(v: vec4<f32>) -> vec4<f32> {
  return vec4<f32>(act_forward(v.x), act_forward(v.y), act_forward(v.z), act_forward(v.w));
}

fn row_loss(r: u32) -> f32 {
  var a: array<vec4<f32>, MAX_WIDTH4>;
  var z: array<vec4<f32>, MAX_WIDTH4>;
  let n04 = dim(0u) / 4u;
  for (var q = 0u; q < n04; q++) { a[q] = x[r * n04 + q]; }
  var po = 0u; // in vec4s
  for (var l = 0u; l < u.layers; l++) {
    let nin4 = dim(l) / 4u;
    let nout4 = dim(l + 1u) / 4u;
    for (var jq = 0u; jq < nout4; jq++) {
      let row = po + 4u * jq * nin4;
      var acc = vec4<f32>(0.0);
      for (var q = 0u; q < nin4; q++) {
        let v = a[q];
        acc += vec4<f32>(dot(w[row + q], v), dot(w[row + nin4 + q], v), dot(w[row + 2u * nin4 + q], v), dot(w[row + 3u * nin4 + q], v));
      }
      z[jq] = acc + w[po + 4u * nout4 * nin4 + jq];
    }
    po += 4u * nout4 * nin4 + nout4;
    if (l + 1u < u.layers) {
      for (var jq = 0u; jq < nout4; jq++) { a[jq] = act4(z[jq]); }
    }
  }
  let cols = u.cols;
  let y0 = r * cols;
  if (LOSS == 0u) {
    let zi = z[0].x;
    return max(zi, 0.0) - zi * y[y0] + log(1.0 + exp(-abs(zi)));
  }
  if (LOSS == 1u) {
    var zmax = z[0].x;
    for (var j = 1u; j < cols; j++) { zmax = max(zmax, z[j / 4u][j % 4u]); }
    var s = 0.0;
    for (var j = 0u; j < cols; j++) { s += exp(z[j / 4u][j % 4u] - zmax); }
    let lse = zmax + log(s);
    var loss = 0.0;
    for (var j = 0u; j < cols; j++) { loss -= y[y0 + j] * (z[j / 4u][j % 4u] - lse); }
    return loss;
  }
  var loss = 0.0;
  for (var j = 0u; j < cols; j++) {
    let d = z[j / 4u][j % 4u] - y[y0 + j];
    loss += d * d;
  }
  return loss / f32(cols);
}

@compute @workgroup_size(WG)
fn landscape_vec4(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let point = wid.x + wid.y * nwg.x;
  let p = min(point, u.points - 1u);
  let ab = coords[p];
  let P4 = u.params / 4u;
  for (var i = lid; i < P4; i += WG) { w[i] = basis[i] + ab.x * basis[P4 + i] + ab.y * basis[2u * P4 + i]; }
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
