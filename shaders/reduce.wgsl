// Sums the per-row (loss, correct) pairs of one batch and adds them to a running total, so loss and
// accuracy stay on the GPU until the trainer asks for them (every N steps, never inside a step).
// One workgroup: each thread sums a strided slice, then a tree reduction in workgroup memory.

// Model z (workgroup_id.z) reads its rows s_stats apart and adds to total[z].
struct Shape { rows: u32, s_stats: u32, _p1: u32, _p2: u32 }

@group(0) @binding(0) var<storage, read> row_stats: array<vec2<f32>>;
@group(0) @binding(1) var<storage, read_write> total: array<vec2<f32>>;
@group(0) @binding(2) var<uniform> shape: Shape;

var<workgroup> partial: array<vec2<f32>, 256>;

@compute @workgroup_size(256)
fn reduce_stats(@builtin(local_invocation_index) t: u32, @builtin(workgroup_id) wid: vec3<u32>) {
  let o = wid.z * shape.s_stats;
  var s = vec2<f32>(0.0);
  for (var r = t; r < shape.rows; r += 256u) { s += row_stats[o + r]; }
  partial[t] = s;
  workgroupBarrier();
  for (var w = 128u; w > 0u; w >>= 1u) {
    if (t < w) { partial[t] += partial[t + w]; }
    workgroupBarrier();
  }
  if (t == 0u) { total[wid.z] += partial[0]; }
}
