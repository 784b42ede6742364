// The fused step of fused_step.wgsl (read that first: phases, barriers, step table), with every width
// padded to a multiple of 4 and the parameters and scratch bound as vec4 arrays. On SwiftShader every
// storage load with per-invocation addresses is a scalarised, bounds-checked gather, and the scalar
// kernel spends two of them on each multiply-add; here the forward takes 5 vec4 loads per 16
// multiply-adds (four weight rows against one activation vec4), the backward 5 per 16, and a weight
// gradient strip of 4 columns 2 loads per 4 (docs/fused-plan.md).
// Padding: a padded unit has zero weights and bias, so its Z is 0 (its activation g(0), which the next
// layer's zero weights ignore) and its dZ is 0; the gradients of padded weight columns are masked to
// 0, so every optimizer leaves the padding at 0. Real values are the scalar kernel's.
// Layout (vec4 units; n'_l = n_l rounded up to 4, w4(l) = n'_l / 4): state per model [param | grad |
// v | s], `params` vec4s each, per layer weights [n'_out][w4(in)] then bias [w4(out)]; scratch per
// model activations [rows][w4(l)] for l = 0..L, dZ of 1..L, then a (loss, correct, 0, 0) per row.
// Phase B runs one task per invocation (strided): a 4-column strip of a real weight row, or 4 biases.

override LOSS: u32 = 0u;
override REGRESSION: bool = false;
override OPT: u32 = 0u;

const WG: u32 = 64u;

struct Fused {
  steps: u32, row0: u32, block_rows: u32, batch: u32,
  n: u32, s_index: u32, s_state: u32, s_scratch: u32,
  s_stats: u32, layers: u32, params: u32, models: u32,
  dims: array<vec4<u32>, 4>,
}

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> y: array<f32>;
@group(0) @binding(2) var<storage, read> index: array<u32>;
@group(0) @binding(3) var<storage, read_write> state: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> scratch: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read_write> stats: array<vec2<f32>>;
@group(0) @binding(6) var<uniform> u: Fused;

fn dim(l: u32) -> u32 { return u.dims[l / 4u][l % 4u]; }
fn w4(l: u32) -> u32 { return (dim(l) + 3u) / 4u; }

// po[l] layer l's weights, ao[l] its activations, dl[l] the dZ of layer l (l = 1..L), to[l] its first
// phase-B task; tasks the model's task count, stat_o the rows' statistics.
struct Offsets { po: array<u32, 16>, ao: array<u32, 16>, dl: array<u32, 16>, to: array<u32, 16>, tasks: u32, stat_o: u32 }

fn offsets() -> Offsets {
  var o: Offsets;
  var p = 0u;
  var a = 0u;
  var t = 0u;
  for (var l = 0u; l <= u.layers; l++) {
    o.po[l] = p;
    o.ao[l] = a;
    o.to[l] = t;
    a += u.batch * w4(l);
    if (l < u.layers) {
      p += w4(l + 1u) * (4u * w4(l) + 1u);
      t += dim(l + 1u) * w4(l) + w4(l + 1u);
    }
  }
  for (var l = 1u; l <= u.layers; l++) {
    o.dl[l] = a;
    a += u.batch * w4(l);
  }
  o.stat_o = a;
  o.tasks = t;
  return o;
}

fn act4(z: vec4<f32>) -> vec4<f32> {
  return vec4<f32>(act_forward(z.x), act_forward(z.y), act_forward(z.z), act_forward(z.w));
}
fn grad4(a: vec4<f32>) -> vec4<f32> {
  return vec4<f32>(act_grad_from_output(a.x), act_grad_from_output(a.y), act_grad_from_output(a.z),
                   act_grad_from_output(a.w));
}

// Forward of one row: four outputs at a time, each a sum of dot products over the input vec4s in
// ascending order, then + bias; hidden layers through ACT, the output layer linear.
fn forward_row(o: ptr<function, Offsets>, sb: u32, pb: u32, r: u32) {
  let L = u.layers;
  for (var l = 0u; l < L; l++) {
    let nin4 = w4(l);
    let nout4 = w4(l + 1u);
    let w = pb + (*o).po[l];
    let ain = sb + (*o).ao[l] + r * nin4;
    let aout = sb + (*o).ao[l + 1u] + r * nout4;
    for (var j4 = 0u; j4 < nout4; j4++) {
      let wr = w + 4u * j4 * nin4;
      var acc = vec4<f32>(0.0);
      for (var i4 = 0u; i4 < nin4; i4++) {
        let a = scratch[ain + i4];
        acc += vec4<f32>(dot(state[wr + i4], a), dot(state[wr + nin4 + i4], a),
                         dot(state[wr + 2u * nin4 + i4], a), dot(state[wr + 3u * nin4 + i4], a));
      }
      acc += state[w + 4u * nout4 * nin4 + j4];
      scratch[aout + j4] = select(acc, act4(acc), l + 1u < L);
    }
  }
}

fn zv(z0: u32, j: u32) -> f32 { return scratch[z0 + j / 4u][j % 4u]; }

// The output layer's loss for one row (loss.wgsl's formulas): dZ written a vec4 at a time, padding 0.
fn loss_row(z0: u32, d0: u32, y0: u32, cols: u32, rows: u32) -> vec2<f32> {
  let inv_rows = 1.0 / f32(rows);
  if (LOSS == 0u) {
    let zi = scratch[z0].x;
    let yi = y[y0];
    let loss = max(zi, 0.0) - zi * yi + log(1.0 + exp(-abs(zi)));
    scratch[d0] = vec4<f32>((sigmoid(zi) - yi) * inv_rows, 0.0, 0.0, 0.0);
    return vec2<f32>(loss, select(0.0, 1.0, (zi > 0.0) == (yi > 0.5)));
  }
  var zarg = 0u;
  var yarg = 0u;
  for (var j = 1u; j < cols; j++) {
    if (zv(z0, j) > zv(z0, zarg)) { zarg = j; }
    if (y[y0 + j] > y[y0 + yarg]) { yarg = j; }
  }
  var loss = 0.0;
  var abs_sum = 0.0;
  let zmax = zv(z0, zarg);
  var s = 0.0;
  if (LOSS == 1u) {
    for (var j = 0u; j < cols; j++) { s += exp(zv(z0, j) - zmax); }
  }
  let lse = zmax + log(s);
  let scale = 2.0 / (f32(rows) * f32(cols));
  for (var j4 = 0u; j4 < (cols + 3u) / 4u; j4++) {
    var d = vec4<f32>(0.0);
    for (var q = 0u; q < 4u && 4u * j4 + q < cols; q++) {
      let j = 4u * j4 + q;
      let zj = zv(z0, j);
      let yj = y[y0 + j];
      if (LOSS == 1u) {
        loss -= yj * (zj - lse);
        d[q] = (exp(zj - lse) - yj) * inv_rows;
      } else {
        let e = zj - yj;
        loss += e * e;
        abs_sum += abs(e);
        d[q] = scale * e;
      }
    }
    scratch[d0 + j4] = d;
  }
  if (LOSS == 1u) { return vec2<f32>(loss, select(0.0, 1.0, zarg == yarg)); }
  if (REGRESSION) { return vec2<f32>(loss / f32(cols), abs_sum); }
  var correct = zarg == yarg;
  if (cols == 1u) { correct = (zv(z0, 0u) > 0.5) == (y[y0] > 0.5); }
  return vec2<f32>(loss / f32(cols), select(0.0, 1.0, correct));
}

// Backward of one row: four inputs at a time, dZ_l[i] = (Σ_j dZ_{l+1}[j]·W_l[j][i]) · g'(a_l[i]), j
// ascending (the scalar kernel's order).
fn backward_row(o: ptr<function, Offsets>, sb: u32, pb: u32, r: u32) {
  for (var l = u.layers - 1u; l >= 1u; l--) {
    let nin4 = w4(l);
    let nout4 = w4(l + 1u);
    let w = pb + (*o).po[l];
    let dout = sb + (*o).dl[l + 1u] + r * nout4;
    let din = sb + (*o).dl[l] + r * nin4;
    let a = sb + (*o).ao[l] + r * nin4;
    for (var i4 = 0u; i4 < nin4; i4++) {
      var acc = vec4<f32>(0.0);
      for (var j4 = 0u; j4 < nout4; j4++) {
        let d = scratch[dout + j4];
        let wr = w + 4u * j4 * nin4 + i4;
        acc += state[wr] * d.x;
        acc += state[wr + nin4] * d.y;
        acc += state[wr + 2u * nin4] * d.z;
        acc += state[wr + 3u * nin4] * d.w;
      }
      scratch[din + i4] = acc * grad4(scratch[a + i4]);
    }
  }
}

fn row_step(o: ptr<function, Offsets>, z: u32, start: u32, rows: u32, r: u32) {
  let sb = z * u.s_scratch;
  let pb = z * u.s_state;
  let src = index[z * u.s_index + start + r];
  let n0 = dim(0u);
  let a0 = sb + (*o).ao[0] + r * w4(0u);
  for (var i4 = 0u; i4 < w4(0u); i4++) {
    var v = vec4<f32>(0.0);
    for (var q = 0u; q < 4u && 4u * i4 + q < n0; q++) { v[q] = x[src * n0 + 4u * i4 + q]; }
    scratch[a0 + i4] = v;
  }
  forward_row(o, sb, pb, r);
  let cols = dim(u.layers);
  let st = loss_row(sb + (*o).ao[u.layers] + r * w4(u.layers), sb + (*o).dl[u.layers] + r * w4(u.layers),
                    src * cols, cols, rows);
  scratch[sb + (*o).stat_o + r] = vec4<f32>(st, 0.0, 0.0);
  backward_row(o, sb, pb, r);
}

// Phase B task t: the gradients of a 4-column strip of weight row j (rows ascending), padding masked
// to 0, or of 4 biases; then their update.
fn task_step(o: ptr<function, Offsets>, z: u32, rows: u32, t: u32, h: vec4<f32>) {
  var l = 0u;
  while (l + 1u < u.layers && t >= (*o).to[l + 1u]) { l++; }
  let nin4 = w4(l);
  let nout4 = w4(l + 1u);
  let e = t - (*o).to[l];
  let nw = dim(l + 1u) * nin4;
  let sb = z * u.s_scratch;
  let dz = sb + (*o).dl[l + 1u];
  var g = vec4<f32>(0.0);
  var decay = vec4<f32>(0.0);
  var p = (*o).po[l];
  if (e < nw) {
    let j = e / nin4;
    let i4 = e % nin4;
    let a = sb + (*o).ao[l] + i4;
    let dj = dz + j / 4u;
    let q = j % 4u;
    for (var r = 0u; r < rows; r++) { g += scratch[dj + r * nout4][q] * scratch[a + r * nin4]; }
    let i = vec4<u32>(4u * i4) + vec4<u32>(0u, 1u, 2u, 3u);
    decay = select(vec4<f32>(0.0), vec4<f32>(1.0), i < vec4<u32>(dim(l)));
    g *= decay;
    p += j * nin4 + i4;
  } else {
    let j4 = e - nw;
    for (var r = 0u; r < rows; r++) { g += scratch[dz + r * nout4 + j4]; }
    p += 4u * nout4 * nin4 + j4;
  }
  update(z * u.s_state + p, z, g, decay, h);
}

// The update of state vec4 i from gradient g (optimizer.wgsl's formulas; L2 on decay = 1 lanes).
fn update(i: u32, z: u32, g0: vec4<f32>, decay: vec4<f32>, h: vec4<f32>) {
  let P = u.params;
  let w = state[i];
  let g = g0 + h.w * decay * w;
  state[i + P] = g;
  let beta1 = models[z].beta1;
  let beta2 = models[z].beta2;
  switch OPT {
    case 1u: {
      let vi = beta1 * state[i + 2u * P] + (1.0 - beta1) * g;
      state[i + 2u * P] = vi;
      state[i] = w - h.x * vi;
    }
    case 2u: {
      let si = beta2 * state[i + 3u * P] + (1.0 - beta2) * g * g;
      state[i + 3u * P] = si;
      state[i] = w - h.x * g / (sqrt(si) + models[z].eps);
    }
    case 3u: {
      let vi = beta1 * state[i + 2u * P] + (1.0 - beta1) * g;
      let si = beta2 * state[i + 3u * P] + (1.0 - beta2) * g * g;
      state[i + 2u * P] = vi;
      state[i + 3u * P] = si;
      state[i] = w - h.x * (vi / h.y) / (sqrt(si / h.z) + models[z].eps);
    }
    default: { state[i] = w - h.x * g; }
  }
}

// (λ/2)·Σ‖W‖² of model z's weights (padding is 0), a dot product per vec4, layer by layer.
fn l2_term(o: ptr<function, Offsets>, z: u32) -> f32 {
  var s = 0.0;
  for (var l = 0u; l < u.layers; l++) {
    let w = z * u.s_state + (*o).po[l];
    for (var e = 0u; e < 4u * w4(l + 1u) * w4(l); e++) { s += dot(state[w + e], state[w + e]); }
  }
  return models[z].half_lambda * s;
}

@compute @workgroup_size(WG)
fn fused_step_vec4(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let z = wid.x;
  if (z >= u.models || models[z].running == 0u) { return; }
  var o = offsets();
  for (var k = 0u; k < u.steps; k++) {
    let row = u.row0 + k * u.block_rows;
    let start = step_start(row);
    let rows = min(u.batch, u.n - start);
    let h = model_step(row, z);
    var penalty = 0.0;
    if (lid == 0u && models[z].half_lambda != 0.0) { penalty = l2_term(&o, z); }
    for (var r = lid; r < rows; r += WG) { row_step(&o, z, start, rows, r); }
    storageBarrier();
    for (var t = lid; t < o.tasks; t += WG) { task_step(&o, z, rows, t, h); }
    if (lid == 0u) {
      var s = vec2<f32>(0.0);
      let so = z * u.s_scratch + o.stat_o;
      for (var r = 0u; r < rows; r++) { s += scratch[so + r].xy; }
      stats[z * u.s_stats + k] = vec2<f32>(s.x + penalty, s.y);
    }
    storageBarrier();
  }
}
