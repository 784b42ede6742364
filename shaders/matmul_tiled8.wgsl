// The GPU-oriented matmul: C[M][N] = op(A) · op(B), same contract, orientations (TRANS_A / TRANS_B) and
// epilogues (EPILOGUE) as matmul.wgsl, with a larger output tile so each value staged in workgroup memory feeds
// more arithmetic. The standard 2-D block tiling: a 128×128 output tile per workgroup of 16×16 threads,
// each thread an 8×8 block (64 accumulators in registers); K staged 8 at a time through workgroup
// memory as vec4 rows, so the inner loop does 4 vec4 workgroup loads per 64 FMAs (the tiled kernel
// does 8 scalar loads per 16). A thread's 8 rows are ty*4 + 0..3 and 64 + ty*4 + 0..3 (columns
// likewise with tx): each half is one vec4 of the staged tile, and 8 neighbouring threads read 128
// contiguous bytes, which avoids workgroup-memory bank conflicts. Requires activation_fns.wgsl,
// matmul_common.wgsl and matmul_scalar.wgsl in front (loads read zero outside the matrix, so partial
// tiles and K not a multiple of T8_K add nothing).

const T8_TILE: u32 = 128u; // output tile edge
const T8_K: u32 = 8u;      // K step
const T8_V: u32 = 32u;     // vec4s per staged row (T8_TILE / 4)

// k-major: element (k, m) of the A tile is tA8[k * T8_V + m / 4][m % 4]; B likewise with n. 8 KiB.
var<workgroup> tA8: array<vec4<f32>, 256>;
var<workgroup> tB8: array<vec4<f32>, 256>;

// 16 vec4 rows indexed only by constants (see matmul_common.wgsl): row i, columns 0..3 (x) and 4..7 (y).
struct Acc8 {
  r0x: vec4<f32>, r0y: vec4<f32>, r1x: vec4<f32>, r1y: vec4<f32>, r2x: vec4<f32>, r2y: vec4<f32>, r3x: vec4<f32>, r3y: vec4<f32>,
  r4x: vec4<f32>, r4y: vec4<f32>, r5x: vec4<f32>, r5y: vec4<f32>, r6x: vec4<f32>, r6y: vec4<f32>, r7x: vec4<f32>, r7y: vec4<f32>,
}

fn acc8_row(acc: Acc8, i: u32) -> array<vec4<f32>, 2> {
  switch i {
    case 0u: { return array(acc.r0x, acc.r0y); }
    case 1u: { return array(acc.r1x, acc.r1y); }
    case 2u: { return array(acc.r2x, acc.r2y); }
    case 3u: { return array(acc.r3x, acc.r3y); }
    case 4u: { return array(acc.r4x, acc.r4y); }
    case 5u: { return array(acc.r5x, acc.r5y); }
    case 6u: { return array(acc.r6x, acc.r6y); }
    default: { return array(acc.r7x, acc.r7y); }
  }
}

// Staging, per thread and K step: 4 elements of each operand, picked along the stored layout's
// contiguous dimension so a warp reads whole runs of memory in either orientation:
//   contiguous along the tile edge (Aᵀ, B): row k = t / 32, elements 4(t % 32) .. +3, one vec4 store;
//   contiguous along K (A, Bᵀ): edge index t / 2, k = 4(t % 2) .. +3, four scalar stores.
// Split into fetch (global → registers) and stage (registers → workgroup memory), so the next step's
// loads can be in flight during this step's arithmetic.
fn fetch_a(row0: u32, k0: u32, t: u32) -> vec4<f32> {
  if (TRANS_A) {
    let m = row0 + (t % T8_V) * 4u;
    let k = k0 + t / T8_V;
    return vec4<f32>(load_a(m, k), load_a(m + 1u, k), load_a(m + 2u, k), load_a(m + 3u, k));
  }
  let m = row0 + t / 2u;
  let k = k0 + (t % 2u) * 4u;
  return vec4<f32>(load_a(m, k), load_a(m, k + 1u), load_a(m, k + 2u), load_a(m, k + 3u));
}

fn fetch_b(col0: u32, k0: u32, t: u32) -> vec4<f32> {
  if (TRANS_B) {
    let n = col0 + t / 2u;
    let k = k0 + (t % 2u) * 4u;
    return vec4<f32>(load_b(k, n), load_b(k + 1u, n), load_b(k + 2u, n), load_b(k + 3u, n));
  }
  let n = col0 + (t % T8_V) * 4u;
  let k = k0 + t / T8_V;
  return vec4<f32>(load_b(k, n), load_b(k, n + 1u), load_b(k, n + 2u), load_b(k, n + 3u));
}

// Stores a fetched vec4 into its k-major tile, where the matching fetch above picked it from.
fn stage_a(t: u32, v: vec4<f32>) {
  if (TRANS_A) { tA8[t] = v; return; }
  let e = t / 2u;
  let o = (t % 2u) * 4u * T8_V + e / 4u;
  tA8[o][e % 4u] = v.x; tA8[o + T8_V][e % 4u] = v.y; tA8[o + 2u * T8_V][e % 4u] = v.z; tA8[o + 3u * T8_V][e % 4u] = v.w;
}

fn stage_b(t: u32, v: vec4<f32>) {
  if (!TRANS_B) { tB8[t] = v; return; }
  let e = t / 2u;
  let o = (t % 2u) * 4u * T8_V + e / 4u;
  tB8[o][e % 4u] = v.x; tB8[o + T8_V][e % 4u] = v.y; tB8[o + 2u * T8_V][e % 4u] = v.z; tB8[o + 3u * T8_V][e % 4u] = v.w;
}

fn tiled8_product(wg: vec3<u32>, lid: vec3<u32>) -> Acc8 {
  let row0 = wg.y * T8_TILE;
  let col0 = wg.x * T8_TILE;
  let t = lid.y * 16u + lid.x;
  var acc = Acc8();
  var va = fetch_a(row0, 0u, t);
  var vb = fetch_b(col0, 0u, t);
  for (var k0 = 0u; k0 < dims.K; k0 += T8_K) {
    stage_a(t, va);
    stage_b(t, vb);
    workgroupBarrier();
    // The next step's loads (zeros past K), issued before the arithmetic that hides their latency.
    va = fetch_a(row0, k0 + T8_K, t);
    vb = fetch_b(col0, k0 + T8_K, t);
    for (var k = 0u; k < T8_K; k++) {
      let a0 = tA8[k * T8_V + lid.y];       // rows ty*4 + 0..3
      let a1 = tA8[k * T8_V + 16u + lid.y]; // rows 64 + ty*4 + 0..3
      let b0 = tB8[k * T8_V + lid.x];       // columns tx*4 + 0..3
      let b1 = tB8[k * T8_V + 16u + lid.x]; // columns 64 + tx*4 + 0..3
      acc.r0x = fma(vec4<f32>(a0.x), b0, acc.r0x); acc.r0y = fma(vec4<f32>(a0.x), b1, acc.r0y);
      acc.r1x = fma(vec4<f32>(a0.y), b0, acc.r1x); acc.r1y = fma(vec4<f32>(a0.y), b1, acc.r1y);
      acc.r2x = fma(vec4<f32>(a0.z), b0, acc.r2x); acc.r2y = fma(vec4<f32>(a0.z), b1, acc.r2y);
      acc.r3x = fma(vec4<f32>(a0.w), b0, acc.r3x); acc.r3y = fma(vec4<f32>(a0.w), b1, acc.r3y);
      acc.r4x = fma(vec4<f32>(a1.x), b0, acc.r4x); acc.r4y = fma(vec4<f32>(a1.x), b1, acc.r4y);
      acc.r5x = fma(vec4<f32>(a1.y), b0, acc.r5x); acc.r5y = fma(vec4<f32>(a1.y), b1, acc.r5y);
      acc.r6x = fma(vec4<f32>(a1.z), b0, acc.r6x); acc.r6y = fma(vec4<f32>(a1.z), b1, acc.r6y);
      acc.r7x = fma(vec4<f32>(a1.w), b0, acc.r7x); acc.r7y = fma(vec4<f32>(a1.w), b1, acc.r7y);
    }
    workgroupBarrier();
  }
  return acc;
}

// Output coordinates of a thread's row i (0..7) and column j (0..7), matching the layout above.
fn tiled8_rc(wg: vec3<u32>, lid: vec3<u32>, i: u32, j: u32) -> vec2<u32> {
  let r = select(lid.y * 4u + i, 64u + lid.y * 4u + i - 4u, i >= 4u);
  let col = select(lid.x * 4u + j, 64u + lid.x * 4u + j - 4u, j >= 4u);
  return vec2<u32>(wg.y * T8_TILE + r, wg.x * T8_TILE + col);
}

@compute @workgroup_size(16, 16)
fn tiled8(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  set_model(wg.z);
  let acc = tiled8_product(wg, lid);
  for (var i = 0u; i < 8u; i++) {
    let row = acc8_row(acc, i);
    let lo = row[0];
    let hi = row[1];
    for (var j = 0u; j < 4u; j++) {
      store_out(tiled8_rc(wg, lid, i, j), lo[j]);
      store_out(tiled8_rc(wg, lid, i, j + 4u), hi[j]);
    }
  }
}
