// Forward product only (the NT orientation), C[M][N] = A · Bᵀ with A stored [M][K] and B stored [N][K]
// (Z = A_prev · Wᵀ), for K divisible by 4: both operands are contiguous along K, so they are bound as
// vec4 arrays and each thread's 4×4 output block takes 8 vec4 loads per 4 steps of K, where the
// blocked kernel in matmul.wgsl takes 32 scalar loads. Same grid as that kernel (8×8 threads, each a
// contiguous 4×4 block). Epilogues: plain and + bias then activation (EPILOGUE 0 and 1). Requires
// activation_fns.wgsl and matmul_common.wgsl in front.

@group(0) @binding(0) var<storage, read> a: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> b: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> c: array<f32>;
@group(0) @binding(3) var<uniform> dims: Dims;
@group(0) @binding(4) var<storage, read> bias: array<f32>;

// a and b are vec4 arrays: their model offsets in vec4s (the plan's strides are multiples of 4 here).
fn set_model4(z: u32) {
  set_model(z);
  oa /= 4u;
  ob /= 4u;
}

fn nt_product(gid: vec3<u32>) -> Acc {
  let k4 = dims.K / 4u;
  // Out-of-range rows and columns read a clamped (valid) row and are never stored.
  let r = min(vec4<u32>(gid.y * RB) + vec4<u32>(0u, 1u, 2u, 3u), vec4<u32>(dims.M - 1u)) * k4 + vec4<u32>(oa);
  let n = min(vec4<u32>(gid.x * RB) + vec4<u32>(0u, 1u, 2u, 3u), vec4<u32>(dims.N - 1u)) * k4 + vec4<u32>(ob);
  var acc = Acc();
  for (var k = 0u; k < k4; k++) {
    let a0 = a[r.x + k]; let a1 = a[r.y + k]; let a2 = a[r.z + k]; let a3 = a[r.w + k];
    let b0 = b[n.x + k]; let b1 = b[n.y + k]; let b2 = b[n.z + k]; let b3 = b[n.w + k];
    // dot() per output; an fma form over the transposed B block timed the same on SwiftShader.
    acc.r0 += vec4<f32>(dot(a0, b0), dot(a0, b1), dot(a0, b2), dot(a0, b3));
    acc.r1 += vec4<f32>(dot(a1, b0), dot(a1, b1), dot(a1, b2), dot(a1, b3));
    acc.r2 += vec4<f32>(dot(a2, b0), dot(a2, b1), dot(a2, b2), dot(a2, b3));
    acc.r3 += vec4<f32>(dot(a3, b0), dot(a3, b1), dot(a3, b2), dot(a3, b3));
  }
  return acc;
}

// The stored value of an output in column n for product value v: plain, or + bias then activation
// (the forward product's epilogues; EPILOGUE, matmul_common.wgsl).
fn nt_out(n: u32, v: f32) -> f32 {
  if (EPILOGUE == 1u) { return act_forward(v + bias[ox + n]); }
  return v;
}

// Row i of a thread's 4×4 block (its values v), written out straight: no loop over a dynamically
// indexed row, which SwiftShader keeps in memory; a row past M is skipped whole, and columns past N.
fn nt_row(gid: vec3<u32>, i: u32, v: vec4<f32>) {
  let r = gid.y * RB + i;
  let c0 = gid.x * RB;
  if (r >= dims.M || c0 >= dims.N) { return; }
  let o = oc + r * dims.N + c0;
  c[o] = nt_out(c0, v.x);
  if (c0 + 1u < dims.N) { c[o + 1u] = nt_out(c0 + 1u, v.y); }
  if (c0 + 2u < dims.N) { c[o + 2u] = nt_out(c0 + 2u, v.z); }
  if (c0 + 3u < dims.N) { c[o + 3u] = nt_out(c0 + 3u, v.w); }
}

@compute @workgroup_size(8, 8)
fn vec4_nt(@builtin(global_invocation_id) id: vec3<u32>) {
  let gid = model_block(id);
  if (past_models(gid)) { return; }
  set_model4(gid.z);
  let acc = nt_product(gid);
  nt_row(gid, 0u, acc.r0); nt_row(gid, 1u, acc.r1); nt_row(gid, 2u, acc.r2); nt_row(gid, 3u, acc.r3);
}
