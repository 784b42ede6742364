// Sums the per-row (loss, correct) pairs of one batch and adds them to a running total, so loss and
// accuracy stay on the GPU until the trainer asks for them (every N steps, never inside a step); with
// `l2` set it then adds the step's L2 term, (λ/2)·Σ of the 64 partial sums l2_penalty.wgsl wrote.
// One thread per model, summing in row order: no workgroup memory and no barrier (on SwiftShader, a
// CPU emulation, a 256-thread tree of 9 barriers cost 20 times the rest of a small model's step), and
// a batch is at most a few thousand rows. Model z has its rows s_stats apart and adds to total[z].

struct Shape { rows: u32, s_stats: u32, s_models: u32, l2: u32 }

@group(0) @binding(0) var<storage, read> row_stats: array<vec2<f32>>;
@group(0) @binding(1) var<storage, read_write> total: array<vec2<f32>>;
@group(0) @binding(2) var<uniform> shape: Shape;
@group(0) @binding(3) var<storage, read> l2_part: array<f32>;

@compute @workgroup_size(64)
fn reduce_stats(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let z = gid.x + gid.y * nwg.x * 64u;
  if (z >= max(shape.s_models, 1u)) { return; }
  let o = z * shape.s_stats;
  var s = vec2<f32>(0.0);
  for (var r = 0u; r < shape.rows; r++) { s += row_stats[o + r]; }
  total[z] += s;
  if (shape.l2 != 0u) {
    var p = 0.0;
    for (var i = 0u; i < 64u; i++) { p += l2_part[z * 64u + i]; }
    total[z].x += models[z].half_lambda * p;
  }
}
