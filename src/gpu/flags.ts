// The WebGPU spec's flag constants, the library's own copy: a page has them as globals, Dawn's Node
// bindings do not (they hand them over in a `globals` object), and a library that reads globals would
// make every Node user install them first. The values are fixed by the spec
// (https://www.w3.org/TR/webgpu/#buffer-usage and following), so a copy cannot drift. Modules import
// them under the globals' own names, so the code that uses them reads as it would in a page.

export const GPUBufferUsage = {
  MAP_READ: 0x0001,
  MAP_WRITE: 0x0002,
  COPY_SRC: 0x0004,
  COPY_DST: 0x0008,
  INDEX: 0x0010,
  VERTEX: 0x0020,
  UNIFORM: 0x0040,
  STORAGE: 0x0080,
  INDIRECT: 0x0100,
  QUERY_RESOLVE: 0x0200,
} as const;

export const GPUMapMode = { READ: 0x0001, WRITE: 0x0002 } as const;

export const GPUShaderStage = { VERTEX: 0x1, FRAGMENT: 0x2, COMPUTE: 0x4 } as const;
