// Batch normalisation of a hidden layer (src/model.ts), fused with its activation. Requires
// activation_fns.wgsl in front. Z, A, Ẑ, dA are [rows][cols] row-major; γ, β, the running mean and
// var, and istd = 1/√(σ² + ε) are [cols]. One thread per column (as bias_grad.wgsl): the statistics are
// reductions over the rows, neighbouring threads read neighbouring addresses of each row. Two passes
// over the column for the variance (mean first), so it is not the difference of two large sums.
//   bn_forward:   training: μ, σ² (biased) of each column; Ẑ = (Z − μ)·istd; x = g(γ·Ẑ + β) in place
//                 (x holds Z on entry, A on exit); run = momentum·run + (1 − momentum)·batch
//   bn_inference: x = g(γ·(Z − mean)/√(var + ε) + β) in place, with the running stats
//   bn_backward:  dZ̃ = dA ⊙ g'(A); dγ = Σ dZ̃·Ẑ, dβ = Σ dZ̃;
//                 dZ = (istd/m)·(m·γ·dZ̃ − γ·dβ − Ẑ·γ·dγ)  in place (x holds dA on entry, dZ on exit)

// γ, β, the running mean and var live in the flat parameter buffer `p` at offsets o_gamma, o_beta,
// o_mean, o_var (dγ and dβ in the gradient buffer `g` at o_gamma and o_beta): one binding each, since
// separate writable bindings of them would overlap once they span several models.
// Model z (workgroup_id.z): the [rows][cols] tensors are s_x apart, the parameter-buffer ones s_param
// apart, istd s_istd apart. Several models run as one flat range of columns: thread J is column
// J % cols of model J / cols (s_models of them; 0 for one).
struct Bn { rows: u32, cols: u32, eps: f32, momentum: f32, s_x: u32, s_param: u32, s_istd: u32, o_gamma: u32,
  o_beta: u32, o_mean: u32, o_var: u32, s_models: u32 }

// (column, model) of a thread, 1-D over a 2-D grid of workgroups (so more than 65535 × 64 columns can
// be covered); model past the last when the thread has no column.
fn column_of(gid: vec3<u32>, nwg: vec3<u32>) -> vec2<u32> {
  let f = gid.x + gid.y * nwg.x * 64u;
  let z = f / bn.cols;
  return vec2<u32>(f - z * bn.cols, z);
}

// Forward. The training forward writes the running stats, so the parameters are bound read_write.
@group(0) @binding(0) var<storage, read_write> x: array<f32>;
@group(0) @binding(1) var<uniform> bn: Bn;
@group(0) @binding(2) var<storage, read_write> p: array<f32>;
@group(0) @binding(6) var<storage, read_write> xhat: array<f32>;
@group(0) @binding(7) var<storage, read_write> istd: array<f32>;
// Backward only.
@group(0) @binding(8) var<storage, read> a: array<f32>;
@group(0) @binding(9) var<storage, read> p_in: array<f32>;
@group(0) @binding(10) var<storage, read_write> g: array<f32>;
@group(0) @binding(12) var<storage, read> xhat_in: array<f32>;
@group(0) @binding(13) var<storage, read> istd_in: array<f32>;

@compute @workgroup_size(64)
fn bn_forward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let jz = column_of(gid, nwg);
  if (jz.y >= max(bn.s_models, 1u)) { return; }
  let j = jz.x;
  let z = jz.y;
  let n = bn.cols;
  let ox = z * bn.s_x;
  let op = z * bn.s_param + j;
  let m = f32(bn.rows);
  var s = 0.0;
  for (var r = 0u; r < bn.rows; r++) { s += x[ox + r * n + j]; }
  let mu = s / m;
  var q = 0.0;
  for (var r = 0u; r < bn.rows; r++) { let d = x[ox + r * n + j] - mu; q += d * d; }
  let v = q / m;
  let is = 1.0 / sqrt(v + bn.eps);
  istd[z * bn.s_istd + j] = is;
  let gm = p[bn.o_gamma + op];
  let b = p[bn.o_beta + op];
  for (var r = 0u; r < bn.rows; r++) {
    let i = ox + r * n + j;
    let h = (x[i] - mu) * is;
    xhat[i] = h;
    x[i] = act_forward(gm * h + b);
  }
  p[bn.o_mean + op] = bn.momentum * p[bn.o_mean + op] + (1.0 - bn.momentum) * mu;
  p[bn.o_var + op] = bn.momentum * p[bn.o_var + op] + (1.0 - bn.momentum) * v;
}

@compute @workgroup_size(64)
fn bn_inference(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let jz = column_of(gid, nwg);
  if (jz.y >= max(bn.s_models, 1u)) { return; }
  let j = jz.x;
  let z = jz.y;
  let n = bn.cols;
  let ox = z * bn.s_x;
  let op = z * bn.s_param + j;
  let is = 1.0 / sqrt(p[bn.o_var + op] + bn.eps);
  let mu = p[bn.o_mean + op];
  let gm = p[bn.o_gamma + op];
  let b = p[bn.o_beta + op];
  for (var r = 0u; r < bn.rows; r++) {
    let i = ox + r * n + j;
    x[i] = act_forward(gm * (x[i] - mu) * is + b);
  }
}

@compute @workgroup_size(64)
fn bn_backward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let jz = column_of(gid, nwg);
  if (jz.y >= max(bn.s_models, 1u)) { return; }
  let j = jz.x;
  let z = jz.y;
  let n = bn.cols;
  let ox = z * bn.s_x;
  let op = z * bn.s_param + j;
  var sg = 0.0;
  var sb = 0.0;
  for (var r = 0u; r < bn.rows; r++) {
    let i = ox + r * n + j;
    let dzt = x[i] * act_grad_from_output(a[i]);
    sg += dzt * xhat_in[i];
    sb += dzt;
  }
  g[bn.o_gamma + op] = sg;
  g[bn.o_beta + op] = sb;
  let gm = p_in[bn.o_gamma + op];
  let m = f32(bn.rows);
  let k = istd_in[z * bn.s_istd + j] / m;
  for (var r = 0u; r < bn.rows; r++) {
    let i = ox + r * n + j;
    let dzt = x[i] * act_grad_from_output(a[i]);
    x[i] = k * (m * gm * dzt - gm * sb - xhat_in[i] * gm * sg);
  }
}
