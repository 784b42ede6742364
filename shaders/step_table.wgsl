// What changes from step to step, and what differs from model to model, for the kernels that need it
// (gather, dropout, the optimizers, the L2 penalty). Prepended to their sources.
//
// `table` holds one block per uniform slot of a submitted group (the plan writes the whole group's
// blocks with one buffer write): at block row `row` the step's (start, t) — the first row of the
// batch in the order, and the step number (from 1) — then, for each model z, (lr, c1, c2, l2/m) as
// f32 bits: the learning rate, Adam's bias corrections 1 − β^t, and the L2 factor of the step.
// `models` holds each model's constants, written when the plan is built (and `running` when a model is
// stopped). A plan of one model has one of each; several models read theirs by workgroup_id.z.

struct Model { beta1: f32, beta2: f32, eps: f32, half_lambda: f32, seed: u32, threshold: u32, scale: f32, running: u32 }

@group(0) @binding(14) var<storage, read> table: array<vec4<u32>>;
@group(0) @binding(15) var<storage, read> models: array<Model>;

fn step_start(row: u32) -> u32 { return table[row].x; }
fn step_t(row: u32) -> u32 { return table[row].y; }
// (lr, c1, c2, l2/m) of model z at block row `row`.
fn model_step(row: u32, z: u32) -> vec4<f32> { return bitcast<vec4<f32>>(table[row + 1u + z]); }
