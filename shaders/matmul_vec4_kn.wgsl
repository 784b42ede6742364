// The backward products, both with B stored [K][N], for N divisible by 4: rows of B, of C and of the
// g' operand are contiguous along N and bound as vec4 arrays, so each thread's 4×4 output block (same
// 8×8-thread grid as matmul_vec4.wgsl) reads one vec4 of B per step of K and stores one vec4 per row.
//   dW      = dZᵀ · A_prev  (tn: A stored [K][M], read as vec4 along M, needs M % 4 == 0)
//   dA_prev = dZ · W        (nn: A stored [M][K], read as vec4 along K, needs K % 4 == 0)
// nn has two epilogues (EPILOGUE), plain store and × g'(aux) (dZ_prev = (dZ · W) ⊙ g'(A_prev)); dW
// stores plain.
// Measured on SwiftShader: for A·B, scalar loads of A beside vec4 B were not reliably faster than the
// blocked kernel (vec4 A: 1.6-2×), and tn's 4-step unroll is ~1.6× its 1-step loop; so both operands
// are vec4 and both loops step K by 4.
// A sibling of matmul_vec4.wgsl because C (and aux) are vec4 arrays here and C a scalar one there.
// Requires activation_fns.wgsl and matmul_common.wgsl in front.

@group(0) @binding(0) var<storage, read> a: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> b: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> c: array<vec4<f32>>;
@group(0) @binding(3) var<uniform> dims: Dims;
@group(0) @binding(5) var<storage, read> aux: array<vec4<f32>>;

// Every operand here is a vec4 array: model offsets in vec4s (the plan's strides are multiples of 4).
fn set_model4(z: u32) {
  set_model(z);
  oa /= 4u;
  ob /= 4u;
  oc /= 4u;
  ox /= 4u;
}

// Out-of-range blocks read a clamped (valid) vec4 and are never stored, which keeps the inner loops
// free of bounds checks. With M % 4 == 0 (tn) and N % 4 == 0 a block is all in range or all out.
fn tn_product(gid: vec3<u32>) -> Acc {
  let m4 = dims.M / 4u;
  let n4 = dims.N / 4u;
  let i = min(gid.y, m4 - 1u);
  let j = min(gid.x, n4 - 1u);
  var acc = Acc();
  // Four steps of K per iteration (fewer loop and address overheads on SwiftShader), then the rest.
  let k4 = dims.K & ~3u;
  var pa = oa + i;
  var pb = ob + j;
  for (var k = 0u; k < k4; k += 4u) {
    let a0 = a[pa]; let a1 = a[pa + m4]; let a2 = a[pa + 2u * m4]; let a3 = a[pa + 3u * m4];
    let b0 = b[pb]; let b1 = b[pb + n4]; let b2 = b[pb + 2u * n4]; let b3 = b[pb + 3u * n4];
    acc.r0 = fma(vec4<f32>(a3.x), b3, fma(vec4<f32>(a2.x), b2, fma(vec4<f32>(a1.x), b1, fma(vec4<f32>(a0.x), b0, acc.r0))));
    acc.r1 = fma(vec4<f32>(a3.y), b3, fma(vec4<f32>(a2.y), b2, fma(vec4<f32>(a1.y), b1, fma(vec4<f32>(a0.y), b0, acc.r1))));
    acc.r2 = fma(vec4<f32>(a3.z), b3, fma(vec4<f32>(a2.z), b2, fma(vec4<f32>(a1.z), b1, fma(vec4<f32>(a0.z), b0, acc.r2))));
    acc.r3 = fma(vec4<f32>(a3.w), b3, fma(vec4<f32>(a2.w), b2, fma(vec4<f32>(a1.w), b1, fma(vec4<f32>(a0.w), b0, acc.r3))));
    pa += 4u * m4;
    pb += 4u * n4;
  }
  for (var k = k4; k < dims.K; k++) {
    let av = a[oa + k * m4 + i];
    let bv = b[ob + k * n4 + j];
    acc.r0 = fma(vec4<f32>(av.x), bv, acc.r0);
    acc.r1 = fma(vec4<f32>(av.y), bv, acc.r1);
    acc.r2 = fma(vec4<f32>(av.z), bv, acc.r2);
    acc.r3 = fma(vec4<f32>(av.w), bv, acc.r3);
  }
  return acc;
}

fn nn_product(gid: vec3<u32>) -> Acc {
  let k4 = dims.K / 4u;
  let n4 = dims.N / 4u;
  let r = min(vec4<u32>(gid.y * RB) + vec4<u32>(0u, 1u, 2u, 3u), vec4<u32>(dims.M - 1u)) * k4 + vec4<u32>(oa);
  let j = min(gid.x, n4 - 1u) + ob;
  var acc = Acc();
  for (var k = 0u; k < k4; k++) {
    // Four steps of K: a row of A gives one vec4 (a0 = A[r.x][4k..4k+3]), B four rows of one vec4.
    let a0 = a[r.x + k]; let a1 = a[r.y + k]; let a2 = a[r.z + k]; let a3 = a[r.w + k];
    let o = 4u * k * n4 + j;
    let b0 = b[o]; let b1 = b[o + n4]; let b2 = b[o + 2u * n4]; let b3 = b[o + 3u * n4];
    acc.r0 = fma(vec4<f32>(a0.w), b3, fma(vec4<f32>(a0.z), b2, fma(vec4<f32>(a0.y), b1, fma(vec4<f32>(a0.x), b0, acc.r0))));
    acc.r1 = fma(vec4<f32>(a1.w), b3, fma(vec4<f32>(a1.z), b2, fma(vec4<f32>(a1.y), b1, fma(vec4<f32>(a1.x), b0, acc.r1))));
    acc.r2 = fma(vec4<f32>(a2.w), b3, fma(vec4<f32>(a2.z), b2, fma(vec4<f32>(a2.y), b1, fma(vec4<f32>(a2.x), b0, acc.r2))));
    acc.r3 = fma(vec4<f32>(a3.w), b3, fma(vec4<f32>(a3.z), b2, fma(vec4<f32>(a3.y), b1, fma(vec4<f32>(a3.x), b0, acc.r3))));
  }
  return acc;
}

// Row i of a thread's block: index of its vec4 in C (and aux), or none when out of range.
fn out_index(gid: vec3<u32>, i: u32) -> i32 {
  let m = gid.y * RB + i;
  let n4 = dims.N / 4u;
  if (m >= dims.M || gid.x >= n4) { return -1; }
  return i32(m * n4 + gid.x);
}

// Row i of a thread's block, stored plain or × g'(aux) (EPILOGUE 0 or 2, matmul_common.wgsl). The
// dW entry point stores plain only, but shares this store (and so the aux binding) with dA's.
fn store_row(gid: vec3<u32>, i: u32, v: vec4<f32>) {
  let o = out_index(gid, i);
  if (o < 0) { return; }
  if (EPILOGUE == 2u) {
    let x = aux[ox + u32(o)];
    c[oc + u32(o)] = v * vec4<f32>(act_grad_from_output(x.x), act_grad_from_output(x.y), act_grad_from_output(x.z), act_grad_from_output(x.w));
  } else {
    c[oc + u32(o)] = v;
  }
}

@compute @workgroup_size(8, 8)
fn vec4_tn(@builtin(global_invocation_id) id: vec3<u32>) {
  let gid = model_block(id);
  if (past_models(gid)) { return; }
  set_model4(gid.z);
  let acc = tn_product(gid);
  store_row(gid, 0u, acc.r0); store_row(gid, 1u, acc.r1); store_row(gid, 2u, acc.r2); store_row(gid, 3u, acc.r3);
}

@compute @workgroup_size(8, 8)
fn vec4_nn(@builtin(global_invocation_id) id: vec3<u32>) {
  let gid = model_block(id);
  if (past_models(gid)) { return; }
  set_model4(gid.z);
  let acc = nn_product(gid);
  store_row(gid, 0u, acc.r0); store_row(gid, 1u, acc.r1); store_row(gid, 2u, acc.r2); store_row(gid, 3u, acc.r3);
}
