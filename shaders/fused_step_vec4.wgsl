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
// Phase B runs one task per invocation (strided): a 4×4 block of a weight matrix, plus the block's 4
// biases in the blocks of column 0.

override LOSS: u32 = 0u;
override REGRESSION: bool = false;
alias V = vec4<f32>; // fused_update.wgsl
override OPT: u32 = 0u;
// Dropout as in fused_step.wgsl: masked activations in a hidden layer's region, the unmasked ones in its
// dZ region until the backward pass. Mask index row·n_l + unit with the real width n_l (the layered
// plan's); padded units get factor 0.
override DROPOUT: bool = false;
// Batch norm on every hidden layer (src/model.ts, batchnorm.wgsl's formulas; docs/fused-plan.md, "Batch
// norm"). A hidden layer's Z = A_prev·Wᵀ (no bias) goes to its Ẑ region; a column pass (one task a vec4
// of columns, rows ascending) turns it into Ẑ, keeps 1/√(σ² + ε), writes A = g(γ·Ẑ + β) (and dropout's
// two copies) and moves the running mean and var. The backward's column pass turns dZ̃ = dA ⊙ g'(A) into
// dZ in place and applies the update of γ and β at once (nothing reads them later in the step). The
// step then runs layer by layer, each column pass between two barriers. γ, β, running mean and var of
// hidden layer k (n'_k floats each) follow all the weights and biases in the parameters; Ẑ [rows][w4(k)]
// and 1/√(σ² + ε) [w4(k)] follow the rows' statistics in the scratch. The layer's bias is kept but not
// used: its gradient is 0. Set by the host from src/model.ts: BN_EPS, BN_MOMENTUM.
override BN: bool = false;
override BN_EPS: f32 = 1e-5;
override BN_MOMENTUM: f32 = 0.9;

// Invocations of the model's workgroup: the host picks 8 or 64 (fusedWorkgroupSize in src/gpu/fused.ts);
// the default is the largest, the figure the device-limit check reads. Results do not depend on it:
// each row block and each gradient task has one owner whatever the stride.
override WG: u32 = 64u;

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
// phase-B task; tasks the model's task count, stat_o the rows' statistics; with BN, for hidden layer k:
// bo[k] its γ (β, mean, var follow, w4(k) vec4s apart), xo[k] its Ẑ, io[k] its 1/√(σ² + ε).
struct Offsets {
  po: array<u32, 16>, ao: array<u32, 16>, dl: array<u32, 16>, to: array<u32, 16>, tasks: u32, stat_o: u32,
  bo: array<u32, 16>, xo: array<u32, 16>, io: array<u32, 16>,
}

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
      t += w4(l + 1u) * w4(l);
    }
  }
  for (var l = 1u; l <= u.layers; l++) {
    o.dl[l] = a;
    a += u.batch * w4(l);
  }
  o.stat_o = a;
  o.tasks = t;
  a += u.batch;
  for (var k = 1u; k < u.layers; k++) {
    o.bo[k] = p;
    p += 4u * w4(k);
    o.xo[k] = a;
    o.io[k] = a + u.batch * w4(k);
    a += (u.batch + 1u) * w4(k);
  }
  return o;
}

fn act4(z: vec4<f32>) -> vec4<f32> {
  return vec4<f32>(act_forward(z.x), act_forward(z.y), act_forward(z.z), act_forward(z.w));
}
fn grad4(a: vec4<f32>) -> vec4<f32> {
  return vec4<f32>(act_grad_from_output(a.x), act_grad_from_output(a.y), act_grad_from_output(a.z),
                   act_grad_from_output(a.w));
}

// Dropout's factors (dropout_mask.wgsl) of units 4·j4.. of hidden layer l in batch row r of model z at
// step t.
fn drop4(z: u32, t: u32, l: u32, r: u32, j4: u32) -> vec4<f32> {
  var f = vec4<f32>(0.0);
  for (var q = 0u; q < 4u && 4u * j4 + q < dim(l); q++) { f[q] = dropout_factor(z, t, l, r * dim(l) + 4u * j4 + q); }
  return f;
}

// Forward of four rows rr (an invocation's block; a row past the batch is clamped to the last, whose
// values it then computes and stores again, the same) through layers l0..l1-1: four outputs at a time,
// each a sum of dot products over the input vec4s in ascending order, then + bias; hidden layers through
// ACT (and dropout: z is the model, t the step), the output layer linear. Each weight vec4 loaded serves
// the four rows. With BN a hidden layer's Z (no bias) goes to its Ẑ region in training (the column pass
// bn_forward_col follows), and in evaluation (train false) through γ·(Z − mean)/√(var + ε) + β and ACT.
fn forward_rows(o: ptr<function, Offsets>, sb: u32, pb: u32, rr: vec4<u32>, z: u32, t: u32, l0: u32, l1: u32,
                train: bool) {
  let L = u.layers;
  for (var l = l0; l < l1; l++) {
    let nin4 = w4(l);
    let nout4 = w4(l + 1u);
    let w = pb + (*o).po[l];
    let ain = vec4<u32>(sb + (*o).ao[l]) + rr * nin4;
    let aout = vec4<u32>(sb + (*o).ao[l + 1u]) + rr * nout4;
    for (var j4 = 0u; j4 < nout4; j4++) {
      let wr = w + 4u * j4 * nin4;
      var acc0 = vec4<f32>(0.0);
      var acc1 = vec4<f32>(0.0);
      var acc2 = vec4<f32>(0.0);
      var acc3 = vec4<f32>(0.0);
      for (var i4 = 0u; i4 < nin4; i4++) {
        let w0 = state[wr + i4];
        let w1 = state[wr + nin4 + i4];
        let w2 = state[wr + 2u * nin4 + i4];
        let w3 = state[wr + 3u * nin4 + i4];
        let a0 = scratch[ain.x + i4];
        let a1 = scratch[ain.y + i4];
        let a2 = scratch[ain.z + i4];
        let a3 = scratch[ain.w + i4];
        acc0 += vec4<f32>(dot(w0, a0), dot(w1, a0), dot(w2, a0), dot(w3, a0));
        acc1 += vec4<f32>(dot(w0, a1), dot(w1, a1), dot(w2, a1), dot(w3, a1));
        acc2 += vec4<f32>(dot(w0, a2), dot(w1, a2), dot(w2, a2), dot(w3, a2));
        acc3 += vec4<f32>(dot(w0, a3), dot(w1, a3), dot(w2, a3), dot(w3, a3));
      }
      if (BN && l + 1u < L) {
        if (train) {
          let xz = vec4<u32>(sb + (*o).xo[l + 1u]) + rr * nout4 + vec4<u32>(j4);
          scratch[xz.x] = acc0;
          scratch[xz.y] = acc1;
          scratch[xz.z] = acc2;
          scratch[xz.w] = acc3;
          continue;
        }
        let bp = pb + (*o).bo[l + 1u] + j4;
        let gm = state[bp];
        let beta = state[bp + nout4];
        let mu = state[bp + 2u * nout4];
        let is = 1.0 / sqrt(state[bp + 3u * nout4] + BN_EPS);
        scratch[aout.x + j4] = act4(gm * (acc0 - mu) * is + beta);
        scratch[aout.y + j4] = act4(gm * (acc1 - mu) * is + beta);
        scratch[aout.z + j4] = act4(gm * (acc2 - mu) * is + beta);
        scratch[aout.w + j4] = act4(gm * (acc3 - mu) * is + beta);
        continue;
      }
      let b = state[w + 4u * nout4 * nin4 + j4];
      var z0 = acc0 + b;
      var z1 = acc1 + b;
      var z2 = acc2 + b;
      var z3 = acc3 + b;
      if (l + 1u < L) {
        z0 = act4(z0);
        z1 = act4(z1);
        z2 = act4(z2);
        z3 = act4(z3);
        if (DROPOUT) {
          let keep = vec4<u32>(sb + (*o).dl[l + 1u]) + rr * nout4 + vec4<u32>(j4);
          scratch[keep.x] = z0;
          scratch[keep.y] = z1;
          scratch[keep.z] = z2;
          scratch[keep.w] = z3;
          z0 *= drop4(z, t, l + 1u, rr.x, j4);
          z1 *= drop4(z, t, l + 1u, rr.y, j4);
          z2 *= drop4(z, t, l + 1u, rr.z, j4);
          z3 *= drop4(z, t, l + 1u, rr.w, j4);
        }
      }
      scratch[aout.x + j4] = z0;
      scratch[aout.y + j4] = z1;
      scratch[aout.z + j4] = z2;
      scratch[aout.w + j4] = z3;
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

// Backward of four rows rr through layers hi down to lo (lo ≥ 1): four inputs at a time,
// dZ_l[i] = (Σ_j dZ_{l+1}[j]·W_l[j][i]) · g'(a_l[i]), j ascending (the scalar kernel's order); each
// weight vec4 loaded serves the four rows. With dropout (Σ ·)·mask/keepProb · g' of the unmasked a_l,
// which sits where dZ_l goes: all four rows' are read before any is written (a clamped row repeats
// another's place). With BN this is dZ̃_l, which bn_backward_col turns into dZ_l.
fn backward_rows(o: ptr<function, Offsets>, sb: u32, pb: u32, rr: vec4<u32>, z: u32, t: u32, hi: u32, lo: u32) {
  for (var l = hi; l >= lo; l--) {
    let nin4 = w4(l);
    let nout4 = w4(l + 1u);
    let w = pb + (*o).po[l];
    let dout = vec4<u32>(sb + (*o).dl[l + 1u]) + rr * nout4;
    let din = vec4<u32>(sb + (*o).dl[l]) + rr * nin4;
    let a = vec4<u32>(sb + (*o).ao[l]) + rr * nin4;
    for (var i4 = 0u; i4 < nin4; i4++) {
      var acc0 = vec4<f32>(0.0);
      var acc1 = vec4<f32>(0.0);
      var acc2 = vec4<f32>(0.0);
      var acc3 = vec4<f32>(0.0);
      for (var j4 = 0u; j4 < nout4; j4++) {
        let wr = w + 4u * j4 * nin4 + i4;
        let wa = state[wr];
        let wb = state[wr + nin4];
        let wc = state[wr + 2u * nin4];
        let wd = state[wr + 3u * nin4];
        let d0 = scratch[dout.x + j4];
        let d1 = scratch[dout.y + j4];
        let d2 = scratch[dout.z + j4];
        let d3 = scratch[dout.w + j4];
        acc0 += wa * d0.x; acc0 += wb * d0.y; acc0 += wc * d0.z; acc0 += wd * d0.w;
        acc1 += wa * d1.x; acc1 += wb * d1.y; acc1 += wc * d1.z; acc1 += wd * d1.w;
        acc2 += wa * d2.x; acc2 += wb * d2.y; acc2 += wc * d2.z; acc2 += wd * d2.w;
        acc3 += wa * d3.x; acc3 += wb * d3.y; acc3 += wc * d3.z; acc3 += wd * d3.w;
      }
      if (DROPOUT) {
        let g0 = grad4(scratch[din.x + i4]);
        let g1 = grad4(scratch[din.y + i4]);
        let g2 = grad4(scratch[din.z + i4]);
        let g3 = grad4(scratch[din.w + i4]);
        scratch[din.x + i4] = acc0 * drop4(z, t, l, rr.x, i4) * g0;
        scratch[din.y + i4] = acc1 * drop4(z, t, l, rr.y, i4) * g1;
        scratch[din.z + i4] = acc2 * drop4(z, t, l, rr.z, i4) * g2;
        scratch[din.w + i4] = acc3 * drop4(z, t, l, rr.w, i4) * g3;
      } else {
        scratch[din.x + i4] = acc0 * grad4(scratch[a.x + i4]);
        scratch[din.y + i4] = acc1 * grad4(scratch[a.y + i4]);
        scratch[din.z + i4] = acc2 * grad4(scratch[a.z + i4]);
        scratch[din.w + i4] = acc3 * grad4(scratch[a.w + i4]);
      }
    }
  }
}

// Feature c of the row starting at x[b], or 0 for the padding past n0.
fn xf(b: u32, c: u32, n0: u32) -> f32 { return select(0.0, x[b + min(c, n0 - 1u)], c < n0); }

// Gathers source row src into layer 0's activations at a0 (w4(0) vec4s), padding 0.
fn gather_row(a0: u32, src: u32) {
  let n0 = dim(0u);
  let b = src * n0;
  for (var i4 = 0u; i4 < w4(0u); i4++) {
    let c = 4u * i4;
    scratch[a0 + i4] = vec4<f32>(xf(b, c, n0), xf(b, c + 1u, n0), xf(b, c + 2u, n0), xf(b, c + 3u, n0));
  }
}

// The loss of row r (source row src): dZ of the output layer and the row's statistics.
fn loss_of_row(o: ptr<function, Offsets>, sb: u32, r: u32, src: u32, rows: u32) {
  let cols = dim(u.layers);
  let st = loss_row(sb + (*o).ao[u.layers] + r * w4(u.layers), sb + (*o).dl[u.layers] + r * w4(u.layers),
                    src * cols, cols, rows);
  scratch[sb + (*o).stat_o + r] = vec4<f32>(st, 0.0, 0.0);
}

// Phase A for the block of rows 4g..4g+3 (clamped to the batch), forward through layers l0..l1-1:
// layer 0 gathers the rows first; where the output layer is reached, the loss, then the backward from
// layer L-1 down to layer lo. Without BN one call does the whole block (0, L, 1); with BN bn_phase_a calls
// it a layer at a time (l, l + 1, L - 1: past the output layer only dZ̃ of the last hidden layer, which
// its column pass turns into dZ).
fn rows_step(o: ptr<function, Offsets>, z: u32, start: u32, rows: u32, g: u32, t: u32, l0: u32, l1: u32, lo: u32) {
  let sb = z * u.s_scratch;
  let pb = z * u.s_state;
  let L = u.layers;
  let rr = min(vec4<u32>(4u * g) + vec4<u32>(0u, 1u, 2u, 3u), vec4<u32>(rows - 1u));
  let ib = z * u.s_index + start;
  let src = vec4<u32>(index[ib + rr.x], index[ib + rr.y], index[ib + rr.z], index[ib + rr.w]);
  if (l0 == 0u) {
    let a0 = vec4<u32>(sb + (*o).ao[0]) + rr * w4(0u);
    gather_row(a0.x, src.x);
    gather_row(a0.y, src.y);
    gather_row(a0.z, src.z);
    gather_row(a0.w, src.w);
  }
  forward_rows(o, sb, pb, rr, z, t, l0, l1, true);
  if (l1 == L) {
    loss_of_row(o, sb, rr.x, src.x, rows);
    loss_of_row(o, sb, rr.y, src.y, rows);
    loss_of_row(o, sb, rr.z, src.z, rows);
    loss_of_row(o, sb, rr.w, src.w, rows);
    backward_rows(o, sb, pb, rr, z, t, L - 1u, lo);
  }
}

// With BN: the backward rows pass of layer l (dZ̃_l from dZ_{l+1}) for the block 4g..4g+3.
fn bn_rows_backward(o: ptr<function, Offsets>, z: u32, rows: u32, g: u32, t: u32, l: u32) {
  let rr = min(vec4<u32>(4u * g) + vec4<u32>(0u, 1u, 2u, 3u), vec4<u32>(rows - 1u));
  backward_rows(o, z * u.s_scratch, z * u.s_state, rr, z, t, l, l);
}

// Batch norm's training forward of columns 4c..4c+3 of hidden layer k (batchnorm.wgsl bn_forward): μ
// and the biased σ² over the rows in ascending order (two passes), Ẑ in place of Z, 1/√(σ² + ε) kept,
// A = g(γ·Ẑ + β) (with dropout the unmasked A in the dZ region, the masked one in A's), the running
// averages moved.
fn bn_forward_col(o: ptr<function, Offsets>, z: u32, rows: u32, k: u32, c: u32, t: u32) {
  let n4 = w4(k);
  let sb = z * u.s_scratch;
  let xb = sb + (*o).xo[k] + c;
  let m = f32(rows);
  var s = vec4<f32>(0.0);
  for (var r = 0u; r < rows; r++) { s += scratch[xb + r * n4]; }
  let mu = s / m;
  var q = vec4<f32>(0.0);
  for (var r = 0u; r < rows; r++) { let d = scratch[xb + r * n4] - mu; q += d * d; }
  let v = q / m;
  let is = 1.0 / sqrt(v + BN_EPS);
  scratch[sb + (*o).io[k] + c] = is;
  let bp = z * u.s_state + (*o).bo[k] + c;
  let gm = state[bp];
  let b = state[bp + n4];
  for (var r = 0u; r < rows; r++) {
    let i = xb + r * n4;
    let h = (scratch[i] - mu) * is;
    scratch[i] = h;
    var a = act4(gm * h + b);
    if (DROPOUT) {
      scratch[sb + (*o).dl[k] + r * n4 + c] = a;
      a *= drop4(z, t, k, r, c);
    }
    scratch[sb + (*o).ao[k] + r * n4 + c] = a;
  }
  state[bp + 2u * n4] = BN_MOMENTUM * state[bp + 2u * n4] + (1.0 - BN_MOMENTUM) * mu;
  state[bp + 3u * n4] = BN_MOMENTUM * state[bp + 3u * n4] + (1.0 - BN_MOMENTUM) * v;
}

// Batch norm's backward of columns 4c..4c+3 of hidden layer k (batchnorm.wgsl bn_backward), from dZ̃ in
// the dZ region: dγ = Σ dZ̃·Ẑ, dβ = Σ dZ̃ (rows ascending), dZ = (istd/m)·(m·γ·dZ̃ − γ·dβ − Ẑ·γ·dγ) in
// place; then γ and β take their update (no L2 on them).
fn bn_backward_col(o: ptr<function, Offsets>, z: u32, rows: u32, k: u32, c: u32, h: vec4<f32>) {
  let n4 = w4(k);
  let sb = z * u.s_scratch;
  let d = sb + (*o).dl[k] + c;
  let xb = sb + (*o).xo[k] + c;
  var sg = vec4<f32>(0.0);
  var sbeta = vec4<f32>(0.0);
  for (var r = 0u; r < rows; r++) {
    let dzt = scratch[d + r * n4];
    sg += dzt * scratch[xb + r * n4];
    sbeta += dzt;
  }
  let bp = z * u.s_state + (*o).bo[k] + c;
  let gm = state[bp];
  let m = f32(rows);
  let kk = scratch[sb + (*o).io[k] + c] / m;
  for (var r = 0u; r < rows; r++) {
    let dzt = scratch[d + r * n4];
    scratch[d + r * n4] = kk * (m * gm * dzt - gm * sbeta - scratch[xb + r * n4] * gm * sg);
  }
  apply_update(bp, z, gm, sg, h);
  apply_update(bp + n4, z, state[bp + n4], sbeta, h);
}

// Phase B task t: the gradients of a 4×4 block of a weight matrix (rows j4·4.., columns i4·4..; one
// dZ vec4 and one activation vec4 a batch row for 16 gradients, rows ascending; padded columns masked
// to 0, padded rows are 0 with their dZ), and in the blocks of column 0 (i4 = 0) the gradients of the
// block's 4 biases from the same dZ loads; then their update.
fn task_step(o: ptr<function, Offsets>, z: u32, rows: u32, t: u32, h: vec4<f32>) {
  var l = 0u;
  while (l + 1u < u.layers && t >= (*o).to[l + 1u]) { l++; }
  let nin4 = w4(l);
  let nout4 = w4(l + 1u);
  let e = t - (*o).to[l];
  let sb = z * u.s_scratch;
  let dz = sb + (*o).dl[l + 1u];
  let pz = z * u.s_state + (*o).po[l];
  let j4 = e / nin4;
  let i4 = e % nin4;
  let a = sb + (*o).ao[l] + i4;
  var g0 = vec4<f32>(0.0);
  var g1 = vec4<f32>(0.0);
  var g2 = vec4<f32>(0.0);
  var g3 = vec4<f32>(0.0);
  var gb = vec4<f32>(0.0);
  for (var r = 0u; r < rows; r++) {
    let d = scratch[dz + r * nout4 + j4];
    let av = scratch[a + r * nin4];
    g0 += d.x * av;
    g1 += d.y * av;
    g2 += d.z * av;
    g3 += d.w * av;
    gb += d;
  }
  let i = vec4<u32>(4u * i4) + vec4<u32>(0u, 1u, 2u, 3u);
  let decay = select(vec4<f32>(0.0), vec4<f32>(1.0), i < vec4<u32>(dim(l)));
  let p = pz + 4u * j4 * nin4 + i4;
  update(p, z, g0 * decay, decay, h);
  update(p + nin4, z, g1 * decay, decay, h);
  update(p + 2u * nin4, z, g2 * decay, decay, h);
  update(p + 3u * nin4, z, g3 * decay, decay, h);
  // A batch-normalised layer's bias is not used: gradient 0 (it stays as it is).
  let bn_layer = BN && l + 1u < u.layers;
  if (i4 == 0u) { update(pz + 4u * nout4 * nin4 + j4, z, select(gb, vec4<f32>(0.0), bn_layer), vec4<f32>(0.0), h); }
}

// The update of state vec4 i from gradient g (optimizer.wgsl's formulas; L2 on decay = 1 lanes).
fn update(i: u32, z: u32, g0: vec4<f32>, decay: vec4<f32>, h: vec4<f32>) {
  let w = state[i];
  apply_update(i, z, w, g0 + h.w * decay * w, h);
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

// Phase A with BN, layer by layer: the rows pass of each layer, each hidden layer's forward column pass
// between two barriers; then from the last hidden layer down, its backward column pass (after a
// barrier) and, below the first, the rows pass of the layer under it (after another). Four barriers a
// hidden layer; the caller's barrier follows the last column pass.
fn bn_phase_a(o: ptr<function, Offsets>, z: u32, start: u32, rows: u32, t: u32, h: vec4<f32>, lid: u32) {
  let L = u.layers;
  for (var l = 0u; l < L; l++) {
    for (var g = lid; 4u * g < rows; g += WG) { rows_step(o, z, start, rows, g, t, l, l + 1u, L - 1u); }
    if (l + 1u < L) {
      storageBarrier();
      for (var c = lid; c < w4(l + 1u); c += WG) { bn_forward_col(o, z, rows, l + 1u, c, t); }
      storageBarrier();
    }
  }
  for (var k = L - 1u; k >= 1u; k--) {
    storageBarrier();
    for (var c = lid; c < w4(k); c += WG) { bn_backward_col(o, z, rows, k, c, h); }
    if (k > 1u) {
      storageBarrier();
      for (var g = lid; 4u * g < rows; g += WG) { bn_rows_backward(o, z, rows, g, t, k - 1u); }
    }
  }
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
    if (BN) {
      bn_phase_a(&o, z, start, rows, step_t(row), h, lid);
    } else {
      for (var g = lid; 4u * g < rows; g += WG) { rows_step(&o, z, start, rows, g, step_t(row), 0u, u.layers, 1u); }
    }
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
