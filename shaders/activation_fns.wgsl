// Activation functions shared by the fused matmul epilogues and the elementwise kernels.
// Prepended to a module's source (the one place shaders share text); behaviour is chosen by the
// ACT override constant: 0 linear, 1 relu, 2 sigmoid, 3 tanh, 4 leaky_relu (see src/gpu/kernels.ts).
override ACT: u32 = 0u;
override LEAKY_SLOPE: f32 = 0.01;

fn sigmoid(z: f32) -> f32 {
  // Two branches so exp never overflows: for z >= 0 exp(-z) <= 1, for z < 0 exp(z) < 1.
  if (z >= 0.0) { return 1.0 / (1.0 + exp(-z)); }
  let e = exp(z);
  return e / (1.0 + e);
}

fn tanh_stable(z: f32) -> f32 {
  // exp(-2|z|) is in (0, 1], so this stays finite where a naive (e^z - e^-z)/(e^z + e^-z) overflows.
  let e = exp(-2.0 * abs(z));
  return sign(z) * (1.0 - e) / (1.0 + e);
}

fn act_forward(z: f32) -> f32 {
  switch ACT {
    case 1u: { return max(z, 0.0); }
    case 2u: { return sigmoid(z); }
    case 3u: { return tanh_stable(z); }
    case 4u: { return select(LEAKY_SLOPE * z, z, z > 0.0); }
    default: { return z; }
  }
}

// g'(z) written through the output a = g(z), so the backward pass needs only the stored A.
fn act_grad_from_output(a: f32) -> f32 {
  switch ACT {
    case 1u: { return select(0.0, 1.0, a > 0.0); }
    case 2u: { return a * (1.0 - a); }
    case 3u: { return 1.0 - a * a; }
    case 4u: { return select(LEAKY_SLOPE, 1.0, a > 0.0); }
    default: { return 1.0; }
  }
}
