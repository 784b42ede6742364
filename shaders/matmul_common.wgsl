// Shared by matmul.wgsl and matmul_vec4.wgsl (prepended to both, like activation_fns.wgsl).

struct Dims { M: u32, N: u32, K: u32, _pad: u32 }

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
