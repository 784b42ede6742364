// C[M][N] = op(A) · op(B), op(A) M×K, op(B) K×N, all row-major; TRANS_A / TRANS_B read the stored
// matrix transposed in place (A stored [K][M], B stored [N][K]), so no transpose pass is ever needed:
//   forward   Z       = A_prev · Wᵀ   (TRANS_B)
//   backward  dW      = dZᵀ · A_prev  (TRANS_A)
//             dA_prev = dZ · W        (neither)
// One entry point per kernel; the epilogue is the EPILOGUE override (matmul_common.wgsl): plain store,
// + bias then activation (forward), × g'(aux) (backward: dZ_prev = (dZ · W) ⊙ g'(A_prev)).
// Requires activation_fns.wgsl, matmul_common.wgsl and matmul_scalar.wgsl in front.

// ---- Tiled: 16×16 threads, each owns a 4×4 block of outputs strided by 16 (rows ty+16i, columns
// tx+16j, so neighbouring threads touch neighbouring addresses); 64×64 output tile; K in steps of 16
// staged through workgroup memory.
const TS: u32 = 64u;   // output tile edge
const TK: u32 = 16u;   // K step
const WG: u32 = 16u;   // threads per edge

var<workgroup> tileA: array<f32, 1024>; // [TK][TS], k-major
var<workgroup> tileB: array<f32, 1024>; // [TK][TS], k-major

fn tiled_product(wg: vec3<u32>, lid: vec3<u32>) -> Acc {
  let row0 = wg.y * TS;
  let col0 = wg.x * TS;
  let t = lid.y * WG + lid.x;
  var acc = Acc();
  for (var k0 = 0u; k0 < dims.K; k0 += TK) {
    // Each of the 256 threads stages 4 elements of each tile. The element a thread picks follows
    // the stored layout, so consecutive threads read consecutive addresses in either orientation.
    for (var i = 0u; i < 4u; i++) {
      let idx = t + i * 256u;
      var mA: u32; var kA: u32;
      if (TRANS_A) { mA = idx % TS; kA = idx / TS; } else { kA = idx % TK; mA = idx / TK; }
      tileA[kA * TS + mA] = load_a(row0 + mA, k0 + kA);
      var nB: u32; var kB: u32;
      if (TRANS_B) { kB = idx % TK; nB = idx / TK; } else { nB = idx % TS; kB = idx / TS; }
      tileB[kB * TS + nB] = load_b(k0 + kB, col0 + nB);
    }
    workgroupBarrier();
    for (var k = 0u; k < TK; k++) {
      let ka = k * TS + lid.y;
      let kb = k * TS + lid.x;
      let bv = vec4<f32>(tileB[kb], tileB[kb + WG], tileB[kb + 2u * WG], tileB[kb + 3u * WG]);
      acc.r0 = fma(vec4<f32>(tileA[ka]), bv, acc.r0);
      acc.r1 = fma(vec4<f32>(tileA[ka + WG]), bv, acc.r1);
      acc.r2 = fma(vec4<f32>(tileA[ka + 2u * WG]), bv, acc.r2);
      acc.r3 = fma(vec4<f32>(tileA[ka + 3u * WG]), bv, acc.r3);
    }
    workgroupBarrier();
  }
  return acc;
}

// Output element (i, j) of a thread's 4×4 block, for the tiled layout (strided by WG).
fn tiled_rc(wg: vec3<u32>, lid: vec3<u32>, i: u32, j: u32) -> vec2<u32> {
  return vec2<u32>(wg.y * TS + lid.y + i * WG, wg.x * TS + lid.x + j * WG);
}

// ---- Blocked: 8×8 threads, each owns a contiguous 4×4 block of outputs, read straight from global
// memory with no workgroup memory and no barriers. On CPU-emulated adapters (SwiftShader) barriers
// cost more than the staging saves and the caches do that work, so this is the fast variant there.
fn blocked_product(gid: vec3<u32>) -> Acc {
  // Out-of-range rows and columns read a clamped (valid) address and are never stored, which keeps
  // the inner loop free of bounds checks.
  let r = min(vec4<u32>(gid.y * RB) + vec4<u32>(0u, 1u, 2u, 3u), vec4<u32>(dims.M - 1u));
  let n = min(vec4<u32>(gid.x * RB) + vec4<u32>(0u, 1u, 2u, 3u), vec4<u32>(dims.N - 1u));
  // Each row's (column's) first element of this model's operand: the loop adds k (or k × the stride).
  let ra = select(r * dims.K, r, TRANS_A) + vec4<u32>(oa);
  let nb = select(n, n * dims.K, TRANS_B) + vec4<u32>(ob);
  var acc = Acc();
  for (var k = 0u; k < dims.K; k++) {
    var av: vec4<f32>;
    var bv: vec4<f32>;
    if (TRANS_A) {
      let o = k * dims.M;
      av = vec4<f32>(a[ra.x + o], a[ra.y + o], a[ra.z + o], a[ra.w + o]);
    } else {
      av = vec4<f32>(a[ra.x + k], a[ra.y + k], a[ra.z + k], a[ra.w + k]);
    }
    if (TRANS_B) {
      bv = vec4<f32>(b[nb.x + k], b[nb.y + k], b[nb.z + k], b[nb.w + k]);
    } else {
      let o = k * dims.N;
      bv = vec4<f32>(b[nb.x + o], b[nb.y + o], b[nb.z + o], b[nb.w + o]);
    }
    acc.r0 = fma(vec4<f32>(av.x), bv, acc.r0);
    acc.r1 = fma(vec4<f32>(av.y), bv, acc.r1);
    acc.r2 = fma(vec4<f32>(av.z), bv, acc.r2);
    acc.r3 = fma(vec4<f32>(av.w), bv, acc.r3);
  }
  return acc;
}

// Row i of a thread's 4×4 block (its values v), written out straight: no loop over a dynamically
// indexed row, which SwiftShader keeps in memory; a row past M is skipped whole.
fn blocked_row(gid: vec3<u32>, i: u32, v: vec4<f32>) {
  let r = gid.y * RB + i;
  if (r >= dims.M) { return; }
  let c0 = gid.x * RB;
  store_out(vec2<u32>(r, c0), v.x); store_out(vec2<u32>(r, c0 + 1u), v.y);
  store_out(vec2<u32>(r, c0 + 2u), v.z); store_out(vec2<u32>(r, c0 + 3u), v.w);
}

@compute @workgroup_size(16, 16)
fn tiled(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  set_model(wg.z);
  let acc = tiled_product(wg, lid);
  for (var i = 0u; i < RB; i++) {
    let row = acc_row(acc, i);
    for (var j = 0u; j < RB; j++) { store_out(tiled_rc(wg, lid, i, j), row[j]); }
  }
}

@compute @workgroup_size(8, 8)
fn blocked(@builtin(global_invocation_id) id: vec3<u32>) {
  let gid = model_block(id);
  if (past_models(gid)) { return; }
  set_model(gid.z);
  let acc = blocked_product(gid);
  blocked_row(gid, 0u, acc.r0); blocked_row(gid, 1u, acc.r1); blocked_row(gid, 2u, acc.r2); blocked_row(gid, 3u, acc.r3);
}

// ---- Naive: one thread per output, no workgroup memory. Kept beside the tiled kernel as the
// readable baseline (and because on some CPU-emulated adapters barriers cost more than they save);
// plain store only, so it binds neither bias nor aux.
@compute @workgroup_size(16, 16)
fn naive(@builtin(global_invocation_id) gid: vec3<u32>) {
  set_model(gid.z);
  let r = gid.y;
  let col = gid.x;
  if (r >= dims.M || col >= dims.N) { return; }
  var s = 0.0;
  for (var k = 0u; k < dims.K; k++) { s = fma(load_a(r, k), load_b(k, col), s); }
  c[oc + r * dims.N + col] = s;
}
