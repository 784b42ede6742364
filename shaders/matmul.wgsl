// C[M][N] = op(A) · op(B), op(A) M×K, op(B) K×N, all row-major; TRANS_A / TRANS_B read the stored
// matrix transposed in place (A stored [K][M], B stored [N][K]), so no transpose pass is ever needed:
//   forward   Z       = A_prev · Wᵀ   (TRANS_B)
//   backward  dW      = dZᵀ · A_prev  (TRANS_A)
//             dA_prev = dZ · W        (neither)
// Entry points differ only in the epilogue: plain store, + bias then activation (forward),
// × g'(aux) (backward: dZ_prev = (dZ · W) ⊙ g'(A_prev)).
// Requires activation_fns.wgsl in front.

override TRANS_A: bool = false;
override TRANS_B: bool = false;

struct Dims { M: u32, N: u32, K: u32, _pad: u32 }

@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read_write> c: array<f32>;
@group(0) @binding(3) var<uniform> dims: Dims;
@group(0) @binding(4) var<storage, read> bias: array<f32>;
@group(0) @binding(5) var<storage, read> aux: array<f32>;

fn load_a(m: u32, k: u32) -> f32 {
  if (m >= dims.M || k >= dims.K) { return 0.0; }
  if (TRANS_A) { return a[k * dims.M + m]; }
  return a[m * dims.K + k];
}

fn load_b(k: u32, n: u32) -> f32 {
  if (k >= dims.K || n >= dims.N) { return 0.0; }
  if (TRANS_B) { return b[n * dims.K + k]; }
  return b[k * dims.N + n];
}

// ---- Tiled: 16×16 threads, each owns a 4×4 block of outputs strided by 16 (rows ty+16i, columns
// tx+16j, so neighbouring threads touch neighbouring addresses); 64×64 output tile; K in steps of 16
// staged through workgroup memory.
const TS: u32 = 64u;   // output tile edge
const TK: u32 = 16u;   // K step
const WG: u32 = 16u;   // threads per edge
const RB: u32 = 4u;    // outputs per thread per edge

var<workgroup> tileA: array<f32, 1024>; // [TK][TS], k-major
var<workgroup> tileB: array<f32, 1024>; // [TK][TS], k-major

fn tiled_product(wg: vec3<u32>, lid: vec3<u32>) -> array<array<f32, 4>, 4> {
  let row0 = wg.y * TS;
  let col0 = wg.x * TS;
  let t = lid.y * WG + lid.x;
  var acc: array<array<f32, 4>, 4>;
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
      var av: array<f32, 4>;
      var bv: array<f32, 4>;
      for (var i = 0u; i < RB; i++) { av[i] = tileA[k * TS + lid.y + i * WG]; }
      for (var j = 0u; j < RB; j++) { bv[j] = tileB[k * TS + lid.x + j * WG]; }
      for (var i = 0u; i < RB; i++) {
        for (var j = 0u; j < RB; j++) { acc[i][j] = fma(av[i], bv[j], acc[i][j]); }
      }
    }
    workgroupBarrier();
  }
  return acc;
}

@compute @workgroup_size(16, 16)
fn tiled(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let acc = tiled_product(wg, lid);
  for (var i = 0u; i < RB; i++) {
    let r = wg.y * TS + lid.y + i * WG;
    for (var j = 0u; j < RB; j++) {
      let col = wg.x * TS + lid.x + j * WG;
      if (r < dims.M && col < dims.N) { c[r * dims.N + col] = acc[i][j]; }
    }
  }
}

@compute @workgroup_size(16, 16)
fn tiled_bias_act(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let acc = tiled_product(wg, lid);
  for (var i = 0u; i < RB; i++) {
    let r = wg.y * TS + lid.y + i * WG;
    for (var j = 0u; j < RB; j++) {
      let col = wg.x * TS + lid.x + j * WG;
      if (r < dims.M && col < dims.N) { c[r * dims.N + col] = act_forward(acc[i][j] + bias[col]); }
    }
  }
}

@compute @workgroup_size(16, 16)
fn tiled_act_grad(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let acc = tiled_product(wg, lid);
  for (var i = 0u; i < RB; i++) {
    let r = wg.y * TS + lid.y + i * WG;
    for (var j = 0u; j < RB; j++) {
      let col = wg.x * TS + lid.x + j * WG;
      if (r < dims.M && col < dims.N) {
        let o = r * dims.N + col;
        c[o] = acc[i][j] * act_grad_from_output(aux[o]);
      }
    }
  }
}

// ---- Naive: one thread per output, no workgroup memory. Kept beside the tiled kernel as the
// readable baseline (and because on some CPU-emulated adapters barriers cost more than they save).
@compute @workgroup_size(16, 16)
fn naive(@builtin(global_invocation_id) gid: vec3<u32>) {
  let r = gid.y;
  let col = gid.x;
  if (r >= dims.M || col >= dims.N) { return; }
  var s = 0.0;
  for (var k = 0u; k < dims.K; k++) { s = fma(load_a(r, k), load_b(k, col), s); }
  c[r * dims.N + col] = s;
}
