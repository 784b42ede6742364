// What a kernel asks of one workgroup, read from its WGSL rather than written down a second time: the
// entry point's @workgroup_size and the workgroup memory its source declares. The device-limit check
// (limits.ts) compares them with maxComputeWorkgroupSize{X,Y,Z}, maxComputeInvocationsPerWorkgroup and
// maxComputeWorkgroupStorageSize before a plan allocates anything.
import { KERNELS, type KernelDesc, type KernelId } from './kernels.ts';

export interface WorkgroupShape {
  /** @workgroup_size of the entry point, 1 where a dimension is left out. */
  readonly size: readonly [number, number, number];
  /** Bytes of `var<workgroup>` storage in the kernel's source. Every declaration of the source is
   *  counted, used by this entry point or not (matmul.wgsl's tiles are also in the blocked kernels'
   *  source): an upper bound, so a kernel is never let through on a device it would fail on. */
  readonly storageBytes: number;
}

const cache = new Map<KernelId, WorkgroupShape>();

/** The workgroup shape of a kernel (parsed once per kernel). Throws naming the kernel when its source
 *  has something this reader does not understand, so a new shader cannot slip past the check. */
export function workgroupShape(id: KernelId): WorkgroupShape {
  let shape = cache.get(id);
  if (!shape) {
    shape = parseWorkgroup(KERNELS[id]);
    cache.set(id, shape);
  }
  return shape;
}

export function parseWorkgroup(desc: Pick<KernelDesc, 'source' | 'entryPoint' | 'name'>): WorkgroupShape {
  const src = desc.source.replace(/\/\/[^\n]*/g, '');
  const consts = constants(src);
  const value = (expr: string): number => {
    const e = expr.trim();
    const literal = /^(\d+)[iu]?$/.exec(e);
    const v = literal ? Number(literal[1]) : consts.get(e);
    if (v === undefined)
      throw new Error(`kernel ${desc.name} (${desc.entryPoint}): cannot read '${e}' as a workgroup size or length`);
    return v;
  };
  const entry = new RegExp(
    `@workgroup_size\\s*\\(([^)]*)\\)(?:\\s*@\\w+(?:\\([^)]*\\))?)*\\s*fn\\s+${desc.entryPoint}\\s*\\(`,
  );
  const m = entry.exec(src);
  if (!m) throw new Error(`kernel ${desc.name}: no @workgroup_size found for entry point ${desc.entryPoint}`);
  const dims = m[1]!.split(',').filter((d) => d.trim() !== '');
  const size: [number, number, number] = [1, 1, 1];
  dims.forEach((d, i) => (size[i] = value(d)));
  let storageBytes = 0;
  for (const w of src.matchAll(/var\s*<\s*workgroup\s*>\s*\w+\s*:\s*([^;]+);/g)) {
    storageBytes += typeBytes(w[1]!.trim(), value, desc);
  }
  return { size, storageBytes };
}

/** `const NAME: u32 = 64u;` and `const NAME = 64;` of a source (the only expressions a size may use),
 *  and an `override NAME: u32 = 64u;`'s default, which its kernel's host never raises (so the check
 *  holds for every value the host picks). */
function constants(src: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const c of src.matchAll(/\b(?:const|override)\s+(\w+)\s*(?::\s*\w+\s*)?=\s*(\d+)[iu]?\s*;/g))
    out.set(c[1]!, Number(c[2]));
  return out;
}

/** Bytes of a workgroup variable's type: 32-bit scalars, vectors of them (vec3 counted as 16 bytes,
 *  its alignment) and fixed-size arrays of those. */
function typeBytes(type: string, value: (e: string) => number, desc: Pick<KernelDesc, 'entryPoint' | 'name'>): number {
  const t = type.replace(/\s+/g, '');
  if (/^(f32|u32|i32|atomic<(u32|i32)>)$/.test(t)) return 4;
  const vec = /^vec([234])<(f32|u32|i32)>$/.exec(t) ?? /^vec([234])[fiu]$/.exec(t);
  if (vec) return (vec[1] === '3' ? 4 : Number(vec[1])) * 4;
  const arr = /^array<(.+),([^,<>]+)>$/.exec(t);
  if (arr) return typeBytes(arr[1]!, value, desc) * value(arr[2]!);
  throw new Error(`kernel ${desc.name} (${desc.entryPoint}): cannot size workgroup variable of type ${type}`);
}
