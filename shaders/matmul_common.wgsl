// Shared by every matmul file (prepended to each, like activation_fns.wgsl).

// M, N, K of the product, then the model strides (s_a, s_b, s_c, s_x: elements of a, b, c and of bias or
// aux between one model's operand and the next). A plan that trains several models at once runs a
// product for all of them in one dispatch, model z = workgroup_id.z; with one model z is 0 and the
// strides are never used. The arithmetic of an output never depends on z, so every model's result is
// bit-identical to a one-model run.
// The kernels without workgroup memory (blocked, vec4: 8×8 threads, each a 4×4 block) tile the models
// over the grid instead, so a small product keeps its threads busy: each model takes s_blocks column
// blocks by s_rblocks row blocks, s_mx models side by side along x, then the next row of models
// (s_models in all; src/gpu/kernels.ts modelLayout picks s_mx). model_block maps a thread to (column
// block, row block, model). With s_blocks 0 (one model, the kernel tests) the grid is the blocks.
struct Dims { M: u32, N: u32, K: u32, s_a: u32, s_b: u32, s_c: u32, s_x: u32, s_blocks: u32, s_models: u32, s_rblocks: u32, s_mx: u32, _p0: u32 }

// The epilogue: what an entry point does with each output value on its way to c. Every family has one
// entry point whose descriptors (src/gpu/kernels.ts) set this constant, so the epilogue is written once
// per family; it is fixed when the pipeline is created and the compiler drops the branches not taken,
// so the plain product does no extra work. A file implements the epilogues its descriptors offer.
override EPILOGUE: u32 = 0u; // 0 plain store, 1 + bias then activation (forward), 2 × g'(aux) (backward)

fn model_block(gid: vec3<u32>) -> vec3<u32> {
  if (dims.s_blocks == 0u) { return vec3<u32>(gid.x, gid.y, gid.z); }
  let mx = gid.x / dims.s_blocks;
  let my = gid.y / dims.s_rblocks;
  // A thread right of the last column of models gets a model number past the last.
  let m = select(my * dims.s_mx + mx, dims.s_models, mx >= dims.s_mx);
  return vec3<u32>(gid.x - mx * dims.s_blocks, gid.y - my * dims.s_rblocks, m);
}

// Threads past the last model's blocks.
fn past_models(g: vec3<u32>) -> bool {
  return dims.s_blocks != 0u && g.z >= dims.s_models;
}

// Model z's offsets into a, b, c and bias/aux, in elements (set by each entry point first).
var<private> oa: u32;
var<private> ob: u32;
var<private> oc: u32;
var<private> ox: u32;

fn set_model(z: u32) {
  oa = z * dims.s_a;
  ob = z * dims.s_b;
  oc = z * dims.s_c;
  ox = z * dims.s_x;
}

const RB: u32 = 4u; // outputs per thread per edge

// Accumulators are four vec4 rows indexed only by constants: a private array indexed inside a loop
// would live in memory on some compilers (SwiftShader's among them) and run several times slower.
struct Acc { r0: vec4<f32>, r1: vec4<f32>, r2: vec4<f32>, r3: vec4<f32> }

fn acc_row(acc: Acc, i: u32) -> vec4<f32> {
  switch i {
    case 0u: { return acc.r0; }
    case 1u: { return acc.r1; }
    case 2u: { return acc.r2; }
    default: { return acc.r3; }
  }
}
