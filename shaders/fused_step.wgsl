// Whole training steps of a small MLP in one dispatch (docs/fused-plan.md): one workgroup owns one
// model (z = workgroup_id.x) and runs `steps` steps back to back, each step
//   phase A, one thread per batch row (rows strided by the workgroup size): gather the row, forward
//     through every layer, the loss and its dZ, backward to every layer's dZ, all from the row's own
//     values and the weights, which no thread writes in this phase; no barrier inside;
//   barrier;
//   phase B, one thread per parameter (strided): its gradient as a sum over the batch rows in
//     ascending row order (the summation order the golden rule is documented for), the L2 term, the
//     optimizer update in place; thread 0 sums the rows' (loss, correct) in row order;
//   barrier (the next step reads the new weights).
// Two barriers a step: on SwiftShader a barrier costs far more than the arithmetic of a small step.
// Everything lives in storage: `state` holds each model's [param | grad | v | s] (P values each,
// weights [out][in] then bias, layer by layer), `scratch` each model's activations [rows][n_l] for
// l = 0..L, then the dZ of layers 1..L, then the rows' (loss, correct) pairs.
// Per-step values (the batch's first row, lr, Adam's corrections, λ/m) come from the step table
// (step_table.wgsl) at block row row0 + k · block_rows for step k of the dispatch.

override LOSS: u32 = 0u; // 0 bce (one output, from logits), 1 softmax ce, 2 mse (linear output)
override REGRESSION: bool = false; // mse's second statistic is Σ|error| instead of 'correct'
alias V = f32; // fused_update.wgsl
override OPT: u32 = 0u; // as optimizer.wgsl: 0 sgd, 1 momentum, 2 rmsprop, 3 adam
// Inverted dropout on the hidden layers (dropout_mask.wgsl: the layered plan's masks). A hidden layer's
// activations region then holds the masked values (the next layer's input, and its weight gradients'),
// and its dZ region holds the unmasked ones from the forward pass until the backward pass, which reads
// them for g' and overwrites them with dZ = (dA · mask/keepProb) · g'(A), the layered plan's order.
override DROPOUT: bool = false;

const WG: u32 = 64u;
// Layer widths n_0..n_L live in the uniform, four to a row: at most 15 layers.
const MAX_DIMS: u32 = 16u;

struct Fused {
  steps: u32, row0: u32, block_rows: u32, batch: u32,
  n: u32, s_index: u32, s_state: u32, s_scratch: u32,
  s_stats: u32, layers: u32, params: u32, models: u32,
  dims: array<vec4<u32>, 4>,
}

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> y: array<f32>;
@group(0) @binding(2) var<storage, read> index: array<u32>;
@group(0) @binding(3) var<storage, read_write> state: array<f32>;
@group(0) @binding(4) var<storage, read_write> scratch: array<f32>;
@group(0) @binding(5) var<storage, read_write> stats: array<vec2<f32>>;
@group(0) @binding(6) var<uniform> u: Fused;

fn dim(l: u32) -> u32 { return u.dims[l / 4u][l % 4u]; }

// Offsets within one model's regions, filled once per dispatch: po[l] the first parameter of layer l
// (its weights; biases follow at po[l] + n_{l+1}·n_l), ao[l] layer l's activations, dl[l] the dZ of
// layer l's output layer-l+1 values (l = 1..L), stat_o the rows' (loss, correct) pairs.
struct Offsets { po: array<u32, 16>, ao: array<u32, 16>, dl: array<u32, 16>, stat_o: u32 }

fn offsets() -> Offsets {
  var o: Offsets;
  var p = 0u;
  var a = 0u;
  for (var l = 0u; l <= u.layers; l++) {
    o.po[l] = p;
    o.ao[l] = a;
    a += u.batch * dim(l);
    if (l < u.layers) { p += dim(l + 1u) * (dim(l) + 1u); }
  }
  for (var l = 1u; l <= u.layers; l++) {
    o.dl[l] = a;
    a += u.batch * dim(l);
  }
  o.stat_o = a;
  return o;
}

// Forward of one row through every layer: Z = (Σ_i W[j][i]·a[i]) + b[j] (the product first, then the
// bias, as the reference does), hidden layers through ACT (and dropout), the output layer left linear.
// z is the model, t the step (dropout's masks).
fn forward_row(o: ptr<function, Offsets>, sb: u32, pb: u32, r: u32, z: u32, t: u32) {
  let L = u.layers;
  for (var l = 0u; l < L; l++) {
    let nin = dim(l);
    let nout = dim(l + 1u);
    let w = pb + (*o).po[l];
    let ain = sb + (*o).ao[l] + r * nin;
    let aout = sb + (*o).ao[l + 1u] + r * nout;
    for (var j = 0u; j < nout; j++) {
      var acc = 0.0;
      for (var i = 0u; i < nin; i++) { acc += state[w + j * nin + i] * scratch[ain + i]; }
      acc += state[w + nout * nin + j];
      if (l + 1u == L) {
        scratch[aout + j] = acc;
      } else if (DROPOUT) {
        let a = act_forward(acc);
        scratch[sb + (*o).dl[l + 1u] + r * nout + j] = a;
        scratch[aout + j] = a * dropout_factor(z, t, l + 1u, r * nout + j);
      } else {
        scratch[aout + j] = act_forward(acc);
      }
    }
  }
}

// The output layer's loss for one row, as loss.wgsl computes it: writes dZ (divided by the rows, the
// cost being the batch mean) and returns (loss, correct or Σ|error|).
fn loss_row(z0: u32, d0: u32, y0: u32, cols: u32, rows: u32) -> vec2<f32> {
  let inv_rows = 1.0 / f32(rows);
  if (LOSS == 0u) {
    let zi = scratch[z0];
    let yi = y[y0];
    let loss = max(zi, 0.0) - zi * yi + log(1.0 + exp(-abs(zi)));
    scratch[d0] = (sigmoid(zi) - yi) * inv_rows;
    return vec2<f32>(loss, select(0.0, 1.0, (zi > 0.0) == (yi > 0.5)));
  }
  var zarg = 0u;
  var yarg = 0u;
  for (var j = 1u; j < cols; j++) {
    if (scratch[z0 + j] > scratch[z0 + zarg]) { zarg = j; }
    if (y[y0 + j] > y[y0 + yarg]) { yarg = j; }
  }
  if (LOSS == 1u) {
    let zmax = scratch[z0 + zarg];
    var s = 0.0;
    for (var j = 0u; j < cols; j++) { s += exp(scratch[z0 + j] - zmax); }
    let lse = zmax + log(s);
    var loss = 0.0;
    for (var j = 0u; j < cols; j++) {
      let zj = scratch[z0 + j];
      loss -= y[y0 + j] * (zj - lse);
      scratch[d0 + j] = (exp(zj - lse) - y[y0 + j]) * inv_rows;
    }
    return vec2<f32>(loss, select(0.0, 1.0, zarg == yarg));
  }
  var loss = 0.0;
  var abs_sum = 0.0;
  let scale = 2.0 / (f32(rows) * f32(cols));
  for (var j = 0u; j < cols; j++) {
    let d = scratch[z0 + j] - y[y0 + j];
    loss += d * d;
    abs_sum += abs(d);
    scratch[d0 + j] = scale * d;
  }
  if (REGRESSION) { return vec2<f32>(loss / f32(cols), abs_sum); }
  var correct = zarg == yarg;
  if (cols == 1u) { correct = (scratch[z0] > 0.5) == (y[y0] > 0.5); }
  return vec2<f32>(loss / f32(cols), select(0.0, 1.0, correct));
}

// Backward of one row: dZ_l[i] = (Σ_j dZ_{l+1}[j]·W_l[j][i]) · g'(a_l[i]) for l = L-1 down to 1,
// j ascending; with dropout (Σ ·)·mask/keepProb · g' of the unmasked a_l kept in dZ_l's place.
fn backward_row(o: ptr<function, Offsets>, sb: u32, pb: u32, r: u32, z: u32, t: u32) {
  for (var l = u.layers - 1u; l >= 1u; l--) {
    let nin = dim(l);
    let nout = dim(l + 1u);
    let w = pb + (*o).po[l];
    let dout = sb + (*o).dl[l + 1u] + r * nout;
    let din = sb + (*o).dl[l] + r * nin;
    let a = sb + (*o).ao[l] + r * nin;
    for (var i = 0u; i < nin; i++) {
      var acc = 0.0;
      for (var j = 0u; j < nout; j++) { acc += scratch[dout + j] * state[w + j * nin + i]; }
      if (DROPOUT) {
        scratch[din + i] = acc * dropout_factor(z, t, l, r * nin + i) * act_grad_from_output(scratch[din + i]);
      } else {
        scratch[din + i] = acc * act_grad_from_output(scratch[a + i]);
      }
    }
  }
}

// Phase A for row r of the batch: gather, forward, loss, backward; the row's (loss, correct) to scratch.
fn row_step(o: ptr<function, Offsets>, z: u32, start: u32, rows: u32, r: u32, t: u32) {
  let sb = z * u.s_scratch;
  let pb = z * u.s_state;
  let src = index[z * u.s_index + start + r];
  let n0 = dim(0u);
  for (var i = 0u; i < n0; i++) { scratch[sb + (*o).ao[0] + r * n0 + i] = x[src * n0 + i]; }
  forward_row(o, sb, pb, r, z, t);
  let cols = dim(u.layers);
  let z0 = sb + (*o).ao[u.layers] + r * cols;
  let d0 = sb + (*o).dl[u.layers] + r * cols;
  let st = loss_row(z0, d0, src * cols, cols, rows);
  scratch[sb + (*o).stat_o + 2u * r] = st.x;
  scratch[sb + (*o).stat_o + 2u * r + 1u] = st.y;
  backward_row(o, sb, pb, r, z, t);
}

// Phase B for parameter p: gradient summed over rows 0..rows-1 in order, L2 on weights, the update.
fn param_step(o: ptr<function, Offsets>, z: u32, rows: u32, p: u32, h: vec4<f32>) {
  var l = 0u;
  while (l + 1u < u.layers && p >= (*o).po[l + 1u]) { l++; }
  let nin = dim(l);
  let nout = dim(l + 1u);
  let e = p - (*o).po[l];
  let is_weight = e < nout * nin;
  let j = select(e - nout * nin, e / nin, is_weight);
  let sb = z * u.s_scratch;
  let d = sb + (*o).dl[l + 1u] + j;
  var g = 0.0;
  if (is_weight) {
    let a = sb + (*o).ao[l] + e % nin;
    for (var r = 0u; r < rows; r++) { g += scratch[d + r * nout] * scratch[a + r * nin]; }
  } else {
    for (var r = 0u; r < rows; r++) { g += scratch[d + r * nout]; }
  }
  let i = z * u.s_state + p;
  let w = state[i];
  g += h.w * select(0.0, 1.0, is_weight) * w;
  apply_update(i, z, w, g, h);
}

// (λ/2)·Σ‖W‖² of model z's current weights (the loss's L2 term), summed layer by layer in order.
fn l2_term(o: ptr<function, Offsets>, z: u32) -> f32 {
  var s = 0.0;
  for (var l = 0u; l < u.layers; l++) {
    let w = z * u.s_state + (*o).po[l];
    for (var e = 0u; e < dim(l + 1u) * dim(l); e++) { s += state[w + e] * state[w + e]; }
  }
  return models[z].half_lambda * s;
}

@compute @workgroup_size(WG)
fn fused_step(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let z = wid.x;
  // Uniform across the workgroup (the grid has one workgroup per model), so the barriers below stay
  // in uniform control flow.
  if (z >= u.models || models[z].running == 0u) { return; }
  var o = offsets();
  for (var k = 0u; k < u.steps; k++) {
    let row = u.row0 + k * u.block_rows;
    let start = step_start(row);
    let rows = min(u.batch, u.n - start);
    let h = model_step(row, z);
    var penalty = 0.0;
    if (lid == 0u && models[z].half_lambda != 0.0) { penalty = l2_term(&o, z); }
    for (var r = lid; r < rows; r += WG) { row_step(&o, z, start, rows, r, step_t(row)); }
    storageBarrier();
    for (var p = lid; p < u.params; p += WG) { param_step(&o, z, rows, p, h); }
    if (lid == 0u) {
      var s = vec2<f32>(0.0);
      let so = z * u.s_scratch + o.stat_o;
      for (var r = 0u; r < rows; r++) { s += vec2<f32>(scratch[so + 2u * r], scratch[so + 2u * r + 1u]); }
      stats[z * u.s_stats + k] = vec2<f32>(s.x + penalty, s.y);
    }
    storageBarrier();
  }
}
