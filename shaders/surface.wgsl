// The loss surface's render pipeline (src/app/surface-view.ts): the surface lit by one directional light
// (both faces, so its underside reads too), coloured by height; the run's path unlit on top of it.

struct Camera {
  view_proj: mat4x4<f32>,
  // Direction towards the light (xyz).
  light: vec4<f32>,
}

@group(0) @binding(0) var<uniform> cam: Camera;

struct VsOut {
  @builtin(position) pos: vec4<f32>,
  @location(0) normal: vec3<f32>,
  @location(1) colour: vec3<f32>,
}

@vertex
fn vs(@location(0) p: vec3<f32>, @location(1) n: vec3<f32>, @location(2) c: vec3<f32>) -> VsOut {
  var out: VsOut;
  out.pos = cam.view_proj * vec4<f32>(p, 1.0);
  out.normal = n;
  out.colour = c;
  return out;
}

@fragment
fn fs_lit(v: VsOut) -> @location(0) vec4<f32> {
  let diffuse = abs(dot(normalize(v.normal), normalize(cam.light.xyz)));
  return vec4<f32>(v.colour * (0.3 + 0.7 * diffuse), 1.0);
}

@fragment
fn fs_flat(v: VsOut) -> @location(0) vec4<f32> {
  return vec4<f32>(v.colour, 1.0);
}
