// Shared by matmul.wgsl and matmul_tiled8.wgsl (prepended to both, after matmul_common.wgsl): the
// scalar bindings, the orientation overrides, operand loads that read zero outside the matrix, and the
// store with the three epilogues (EPILOGUE, matmul_common.wgsl), guarded to the matrix.

override TRANS_A: bool = false;
override TRANS_B: bool = false;

@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read_write> c: array<f32>;
@group(0) @binding(3) var<uniform> dims: Dims;
@group(0) @binding(4) var<storage, read> bias: array<f32>;
@group(0) @binding(5) var<storage, read> aux: array<f32>;

fn load_a(m: u32, k: u32) -> f32 {
  if (m >= dims.M || k >= dims.K) { return 0.0; }
  if (TRANS_A) { return a[oa + k * dims.M + m]; }
  return a[oa + m * dims.K + k];
}

fn load_b(k: u32, n: u32) -> f32 {
  if (k >= dims.K || n >= dims.N) { return 0.0; }
  if (TRANS_B) { return b[ob + n * dims.K + k]; }
  return b[ob + k * dims.N + n];
}

// The stored value of output (row, col) = rc, at offset o in c (and aux), for product value v.
fn epilogue(rc: vec2<u32>, o: u32, v: f32) -> f32 {
  if (EPILOGUE == 1u) { return act_forward(v + bias[ox + rc.y]); }
  if (EPILOGUE == 2u) { return v * act_grad_from_output(aux[ox + o]); }
  return v;
}

fn store_out(rc: vec2<u32>, v: f32) {
  if (rc.x < dims.M && rc.y < dims.N) {
    let o = rc.x * dims.N + rc.y;
    c[oc + o] = epilogue(rc, o, v);
  }
}
