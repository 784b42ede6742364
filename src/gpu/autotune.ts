// Picks the matmul family for an adapter by timing each family's plain product once on a
// training-sized shape, instead of trusting preferredMatmul's name match. The answer is cached per
// adapter name, so a page pays for it once (a few seconds on SwiftShader with its pipeline
// compilation, milliseconds on a GPU).
import { BufferArena } from './arena.ts';
import type { GpuContext } from './device.ts';
import { Dispatch } from './dispatch.ts';
import { MATMUL_FAMILIES, matmulWorkgroups, type MatmulFamily } from './kernels.ts';
import { PassTimer } from './pass-timer.ts';

export interface AutotuneResult {
  readonly family: MatmulFamily;
  /** Milliseconds per product of each family (timestamp-query when available, else wall time). */
  readonly ms: Readonly<Record<MatmulFamily, number>>;
}

const cache = new Map<string, Promise<AutotuneResult>>();

/** A forward product of a 256-row batch through a 512-wide layer: big enough to fill a GPU's
 *  workgroups, small enough to time in well under a second on a CPU emulation. */
const SHAPE = { M: 256, N: 512, K: 512 } as const;

export function autotuneMatmul(ctx: GpuContext): Promise<AutotuneResult> {
  let p = cache.get(ctx.adapterName);
  if (!p) {
    p = measure(ctx);
    cache.set(ctx.adapterName, p);
    p.catch(() => cache.delete(ctx.adapterName)); // a failed tune may be retried
  }
  return p;
}

async function measure(ctx: GpuContext): Promise<AutotuneResult> {
  const { device } = ctx;
  const { M, N, K } = SHAPE;
  const arena = new BufferArena(device, 'autotune');
  try {
    const a = arena.upload('a', new Float32Array(M * K).fill(0.5));
    const b = arena.upload('b', new Float32Array(N * K).fill(0.25));
    const c = arena.create('c', M * N * 4, GPUBufferUsage.STORAGE);
    const timer = new PassTimer(ctx, arena);
    const ms = {} as Record<MatmulFamily, number>;
    try {
      for (const family of Object.keys(MATMUL_FAMILIES) as MatmulFamily[]) {
        const id = MATMUL_FAMILIES[family].plain;
        const d = await Dispatch.create(arena, id, { TRANS_A: 0, TRANS_B: 1 }, { a, b, c }, { M, N, K });
        const grid = matmulWorkgroups(id, M, N);
        const once = () => timer.time(`autotune ${id}`, (pass) => d.encode(pass, grid));
        await once(); // warm-up: first use compiles on some drivers
        ms[family] = Math.min(await once(), await once());
      }
    } finally {
      timer.destroy();
    }
    const family = (Object.keys(ms) as MatmulFamily[]).reduce((best, f) => (ms[f] < ms[best] ? f : best));
    return { family, ms };
  } finally {
    arena.destroy();
  }
}
