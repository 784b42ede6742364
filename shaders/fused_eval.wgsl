// The fused evaluation: a forward pass over a whole split, loss and accuracy sums only, one workgroup
// per model (z = workgroup_id.x), reading the model's weights where the fused step keeps them (`state`,
// the vec4 layout of fused_step_vec4.wgsl, whose functions it reuses: its source is appended to that
// file's). Nothing is copied into another plan. The split's rows are taken in chunks of u.batch
// (src/gpu/fused-eval.ts's EVAL_CHUNK) rows, in order; within a chunk each invocation runs blocks of
// four rows (gather, forward, the loss of loss_row: the training step's own formulas; the dZ it also
// writes is not read), the rows strided by WG as in phase A of the step.
// Summation order (deterministic, no atomics, the same for every WG and every model count): invocation
// 0 sums a chunk's rows' (loss, correct) in ascending row order in float32, then adds that chunk sum to
// the model's total, chunks in ascending order; the total goes to stats[z · s_stats]. A model's sums
// thus depend on its weights and the split only, so a sweep's model gets its solo run's bits.
// One barrier a chunk: the rows' statistics alternate between two halves of `eval_stats`, so the next
// chunk's rows may be written while invocation 0 still sums this one's (a half is written again only
// after the following barrier, which invocation 0 reaches once it is done with it). Each invocation's
// activations are its own rows' (same blocks every chunk), so they need no barrier.

const EVAL_CHUNK: u32 = 256u;
var<workgroup> eval_stats: array<vec2<f32>, 512>; // 2 × EVAL_CHUNK

// Rows 4g..4g+3 of the chunk starting at split row `first` (clamped to its `rows`; a clamped row is the
// last row again, the same values to the same place): their (loss, correct) to eval_stats[half + r].
fn eval_block(o: ptr<function, Offsets>, sb: u32, pb: u32, first: u32, rows: u32, g: u32, half: u32) {
  let rr = min(vec4<u32>(4u * g) + vec4<u32>(0u, 1u, 2u, 3u), vec4<u32>(rows - 1u));
  let src = vec4<u32>(first) + rr;
  let a0 = vec4<u32>(sb + (*o).ao[0]) + rr * w4(0u);
  gather_row(a0.x, src.x);
  gather_row(a0.y, src.y);
  gather_row(a0.z, src.z);
  gather_row(a0.w, src.w);
  forward_rows(o, sb, pb, rr);
  let L = u.layers;
  let cols = dim(L);
  for (var q = 0u; q < 4u; q++) {
    let r = rr[q];
    let st = loss_row(sb + (*o).ao[L] + r * w4(L), sb + (*o).dl[L] + r * w4(L), src[q] * cols, cols, rows);
    eval_stats[half + r] = st;
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
    let half = (c % 2u) * EVAL_CHUNK;
    for (var g = lid; 4u * g < rows; g += WG) { eval_block(&o, sb, pb, first, rows, g, half); }
    workgroupBarrier();
    if (lid == 0u) {
      var s = vec2<f32>(0.0);
      for (var r = 0u; r < rows; r++) { s += eval_stats[half + r]; }
      total += s;
    }
  }
  if (lid == 0u) { stats[z * u.s_stats] = total; }
}
