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

struct Bn { rows: u32, cols: u32, eps: f32, momentum: f32 }

// Forward. γ and β live in the flat parameter buffer next to the running stats, which the training
// forward writes, so all four are bound read_write (one buffer may not be read-only and writable in
// the same dispatch).
@group(0) @binding(0) var<storage, read_write> x: array<f32>;
@group(0) @binding(1) var<uniform> bn: Bn;
@group(0) @binding(2) var<storage, read_write> gamma: array<f32>;
@group(0) @binding(3) var<storage, read_write> beta: array<f32>;
@group(0) @binding(4) var<storage, read_write> run_mean: array<f32>;
@group(0) @binding(5) var<storage, read_write> run_var: array<f32>;
@group(0) @binding(6) var<storage, read_write> xhat: array<f32>;
@group(0) @binding(7) var<storage, read_write> istd: array<f32>;
// Backward only.
@group(0) @binding(8) var<storage, read> a: array<f32>;
@group(0) @binding(9) var<storage, read> gamma_in: array<f32>;
@group(0) @binding(10) var<storage, read_write> dgamma: array<f32>;
@group(0) @binding(11) var<storage, read_write> dbeta: array<f32>;
@group(0) @binding(12) var<storage, read> xhat_in: array<f32>;
@group(0) @binding(13) var<storage, read> istd_in: array<f32>;

@compute @workgroup_size(64)
fn bn_forward(@builtin(global_invocation_id) gid: vec3<u32>) {
  let j = gid.x;
  let n = bn.cols;
  if (j >= n) { return; }
  let m = f32(bn.rows);
  var s = 0.0;
  for (var r = 0u; r < bn.rows; r++) { s += x[r * n + j]; }
  let mu = s / m;
  var q = 0.0;
  for (var r = 0u; r < bn.rows; r++) { let d = x[r * n + j] - mu; q += d * d; }
  let v = q / m;
  let is = 1.0 / sqrt(v + bn.eps);
  istd[j] = is;
  let g = gamma[j];
  let b = beta[j];
  for (var r = 0u; r < bn.rows; r++) {
    let i = r * n + j;
    let h = (x[i] - mu) * is;
    xhat[i] = h;
    x[i] = act_forward(g * h + b);
  }
  run_mean[j] = bn.momentum * run_mean[j] + (1.0 - bn.momentum) * mu;
  run_var[j] = bn.momentum * run_var[j] + (1.0 - bn.momentum) * v;
}

@compute @workgroup_size(64)
fn bn_inference(@builtin(global_invocation_id) gid: vec3<u32>) {
  let j = gid.x;
  let n = bn.cols;
  if (j >= n) { return; }
  let is = 1.0 / sqrt(run_var[j] + bn.eps);
  let mu = run_mean[j];
  let g = gamma[j];
  let b = beta[j];
  for (var r = 0u; r < bn.rows; r++) {
    let i = r * n + j;
    x[i] = act_forward(g * (x[i] - mu) * is + b);
  }
}

@compute @workgroup_size(64)
fn bn_backward(@builtin(global_invocation_id) gid: vec3<u32>) {
  let j = gid.x;
  let n = bn.cols;
  if (j >= n) { return; }
  var sg = 0.0;
  var sb = 0.0;
  for (var r = 0u; r < bn.rows; r++) {
    let i = r * n + j;
    let dzt = x[i] * act_grad_from_output(a[i]);
    sg += dzt * xhat_in[i];
    sb += dzt;
  }
  dgamma[j] = sg;
  dbeta[j] = sb;
  let g = gamma_in[j];
  let m = f32(bn.rows);
  let k = istd_in[j] / m;
  for (var r = 0u; r < bn.rows; r++) {
    let i = r * n + j;
    let dzt = x[i] * act_grad_from_output(a[i]);
    x[i] = k * (m * g * dzt - g * sb - xhat_in[i] * g * sg);
  }
}
