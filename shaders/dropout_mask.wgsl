// Inverted dropout's mask, never stored: unit i (row·cols + col, cols the layer's real width) of hidden
// layer `layer` of model z at training step t is kept when the top 24 bits of
// hash(seed, t, layer, i) are below the model's threshold = round(keepProb · 2^24), and then scaled by
// 1/keepProb. One function for both paths (dropout.wgsl in the layered plan, the fused step), so they
// draw the same masks; src/reference/ops.ts dropoutMask writes the same integer hash out for the CPU.
// Needs step_table.wgsl's `models`. With keepProb = 1 every unit is kept with factor 1 (exact).

// PCG hash (Jarzynski & Olano, "Hash Functions for GPU Rendering", 2020): one u32 in, one out.
fn pcg(v: u32) -> u32 {
  let state = v * 747796405u + 2891336453u;
  let word = ((state >> ((state >> 28u) + 4u)) ^ state) * 277803737u;
  return (word >> 22u) ^ word;
}

// 1/keepProb when unit i of hidden layer `layer` of model z is kept at step t, else 0.
fn dropout_factor(z: u32, t: u32, layer: u32, i: u32) -> f32 {
  let m = models[z];
  let h = pcg(pcg(pcg(pcg(m.seed) ^ t) ^ layer) ^ i);
  return select(0.0, m.scale, (h >> 8u) < m.threshold);
}
