// The lane kernel: the fused step of fused_step_vec4.wgsl (whose functions it reuses: its source is
// appended to that file's) with ONE invocation owning a whole model, so nothing is shared between
// invocations and the step needs no barrier. The invocation runs, in order, what the vec4 kernel's
// workgroup runs in parallel: phase A for every block of four rows (ascending), then every phase-B task
// (ascending), then the step's statistics; a sum has the same owner and order as in the vec4 kernel,
// so the results are the vec4 kernel's. N models are N invocations: grid ceil(N / WG).
// Why (docs/fused-plan.md, "The lane kernel"): SwiftShader runs a workgroup with barriers as coroutines of
// 4-wide subgroups switched at every barrier; here each subgroup of 4 lanes is 4 models, which run in
// SIMD without a switch.

// bn_phase_a (fused_step_vec4.wgsl) in one invocation: the same passes in the same order, no barrier.
fn bn_phase_a_lane(o: ptr<function, Offsets>, z: u32, start: u32, rows: u32, t: u32, h: vec4<f32>) {
  let L = u.layers;
  for (var l = 0u; l < L; l++) {
    for (var g = 0u; 4u * g < rows; g++) { rows_step(o, z, start, rows, g, t, l, l + 1u, L - 1u); }
    if (l + 1u < L) {
      for (var c = 0u; c < w4(l + 1u); c++) { bn_forward_col(o, z, rows, l + 1u, c, t); }
    }
  }
  for (var k = L - 1u; k >= 1u; k--) {
    for (var c = 0u; c < w4(k); c++) { bn_backward_col(o, z, rows, k, c, h); }
    if (k > 1u) {
      for (var g = 0u; 4u * g < rows; g++) { bn_rows_backward(o, z, rows, g, t, k - 1u); }
    }
  }
}

@compute @workgroup_size(WG)
fn fused_step_lane(@builtin(global_invocation_id) gid: vec3<u32>) {
  let z = gid.x;
  if (z >= u.models || models[z].running == 0u) { return; }
  var o = offsets();
  for (var k = 0u; k < u.steps; k++) {
    let row = u.row0 + k * u.block_rows;
    let start = step_start(row);
    let rows = min(u.batch, u.n - start);
    let h = model_step(row, z);
    var penalty = 0.0;
    if (models[z].half_lambda != 0.0) { penalty = l2_term(&o, z); }
    if (BN) {
      bn_phase_a_lane(&o, z, start, rows, step_t(row), h);
    } else {
      for (var g = 0u; 4u * g < rows; g++) { rows_step(&o, z, start, rows, g, step_t(row), 0u, u.layers, 1u); }
    }
    for (var t = 0u; t < o.tasks; t++) { task_step(&o, z, rows, t, h); }
    var s = vec2<f32>(0.0);
    let so = z * u.s_scratch + o.stat_o;
    for (var r = 0u; r < rows; r++) { s += scratch[so + r].xy; }
    stats[z * u.s_stats + k] = vec2<f32>(s.x + penalty, s.y);
  }
}
