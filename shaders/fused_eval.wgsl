// The fused evaluation: a forward pass over a whole split, loss and accuracy sums only, one workgroup
// per model (z = workgroup_id.x), reading the model's weights where the fused step keeps them (`state`,
// the vec4 layout of fused_step_vec4.wgsl, whose functions it reuses: its source is appended to that
// file's). Nothing is copied into another plan. The split's rows are taken in chunks of u.batch
// (src/gpu/fused-eval.ts's FUSED_EVAL_CHUNK) rows, in order; within a chunk each invocation runs blocks of
// four rows (gather, forward, the loss of loss_row: the training step's own formulas; the dZ it also
// writes is not read), the rows strided by WG as in phase A of the step.
// Summation order (deterministic, no atomics, the same for every WG and every model count): invocation
// 0 sums a chunk's rows' (loss, correct) in ascending row order in float32, then adds that chunk sum to
// the model's total, chunks in ascending order; the total goes to stats[z · s_stats]. A model's sums
// thus depend on its weights and the split only, so a sweep's model gets its solo run's bits.
// One barrier a chunk: the rows' statistics alternate between two halves of the model's statistics
// region in `scratch` (2 × u.batch rows from stat_o; the host sizes it), so the next chunk's rows may be
// written while invocation 0 still sums this one's (a half is written again only after the following
// barrier, which invocation 0 reaches once it is done with it). Each invocation's activations are its
// own rows' (same blocks every chunk), so they need no barrier. Storage, not workgroup memory: on
// SwiftShader a workgroup array of 512 vec2s alone took ~0.8 s to compile, the whole kernel with it
// ~1 s (docs/fused-plan.md).

// Rows 4g..4g+3 of the chunk starting at split row `first`: gathered and forward as a block of four
// (clamped to the chunk's `rows`: a clamped row is the last row again, the same values to the same
// place), then each real row's (loss, correct) to the statistics region's row half + r.
fn eval_block(o: ptr<function, Offsets>, sb: u32, pb: u32, first: u32, rows: u32, g: u32, half: u32) {
  let rr = min(vec4<u32>(4u * g) + vec4<u32>(0u, 1u, 2u, 3u), vec4<u32>(rows - 1u));
  let src = vec4<u32>(first) + rr;
  let a0 = vec4<u32>(sb + (*o).ao[0]) + rr * w4(0u);
  gather_row(a0.x, src.x);
  gather_row(a0.y, src.y);
  gather_row(a0.z, src.z);
  gather_row(a0.w, src.w);
  // DROPOUT stays false here: evaluation keeps every unit; batch norm uses the running averages.
  forward_rows(o, sb, pb, rr, 0u, 0u, 0u, u.layers, false);
  let L = u.layers;
  let cols = dim(L);
  // The block's real rows only, in a loop of run-time length (one copy of loss_row in the compiled code).
  for (var r = 4u * g; r < min(4u * g + 4u, rows); r++) {
    let st = loss_row(sb + (*o).ao[L] + r * w4(L), sb + (*o).dl[L] + r * w4(L), (first + r) * cols, cols, rows);
    scratch[sb + (*o).stat_o + half + r] = vec4<f32>(st, 0.0, 0.0);
  }
}

@compute @workgroup_size(WG)
fn fused_eval(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let z = wid.x;
  // Uniform across the workgroup, so the barrier below stays in uniform control flow.
  if (z >= u.models) { return; }
  var o = offsets();
  let sb = z * u.s_scratch;
  let pb = z * u.s_state;
  var total = vec2<f32>(0.0);
  let chunks = (u.n + u.batch - 1u) / u.batch;
  for (var c = 0u; c < chunks; c++) {
    let first = c * u.batch;
    let rows = min(u.batch, u.n - first);
    let half = (c % 2u) * u.batch;
    for (var g = lid; 4u * g < rows; g += WG) { eval_block(&o, sb, pb, first, rows, g, half); }
    storageBarrier();
    if (lid == 0u) {
      var s = vec2<f32>(0.0);
      let so = sb + o.stat_o + half;
      for (var r = 0u; r < rows; r++) { s += scratch[so + r].xy; }
      total += s;
    }
  }
  if (lid == 0u) { stats[z * u.s_stats] = total; }
}
