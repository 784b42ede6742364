// Picks the matmul family for an adapter by timing what a training step runs: one hidden layer's
// forward Z = A·Wᵀ (+ bias, ReLU), dW = dZᵀ·A and dA = (dZ·W) ⊙ g', each with the kernel the plan
// would pick for that family (so the blocked family is timed with its vec4 kernels), instead of
// trusting preferredMatmul's name match. The answer is kept in memory per page and, through a
// TuneStore, across runs: keyed by the adapter and a hash of the matmul shaders, so a kernel change
// re-tunes. A few seconds on SwiftShader, nearly all pipeline compilation (about 1 s per pipeline there,
// three per family), milliseconds of timing on a GPU. Nothing waits for it: a trainer takes a known
// answer (knownTune) or the adapter's default (defaultTune), and the tune runs after training has
// started or on request (src/lib/engine.ts says when).
import { BufferArena } from './arena.ts';
import type { GpuContext } from './device.ts';
import { Dispatch } from './dispatch.ts';
import {
  KERNELS,
  MATMUL_FAMILIES,
  actConstants,
  backwardMatmul,
  forwardMatmul,
  matmulDefaultMeasured,
  matmulWorkgroups,
  preferredMatmul,
  type MatmulFamily,
} from './kernels.ts';
import { PassTimer } from './pass-timer.ts';

export interface AutotuneResult {
  readonly family: MatmulFamily;
  /** Milliseconds of each family's three products (forward, dW, dA) of SHAPE: timestamp-query when
   *  available, else wall time; the best of a few repeats after a warm-up. */
  readonly ms: Readonly<Record<MatmulFamily, number>>;
  /** 'cached': read from the store (or this page's memory), nothing timed; 'default': the adapter's
   *  default family (preferredMatmul), nothing timed and every time NaN. */
  readonly source: 'measured' | 'cached' | 'default';
  /** Seconds the tune took here, pipeline compilation included. */
  readonly seconds: number;
}

/** What a store keeps per adapter. */
export interface TuneEntry {
  /** tuneKey(): the adapter, the matmul shaders' hash and the shape; another key is stale. */
  readonly key: string;
  readonly family: MatmulFamily;
  readonly ms: Readonly<Record<MatmulFamily, number>>;
}

/** Persistent storage of tunes, one entry per adapter (IndexedDB in the app, a JSON file for the CLI).
 *  load returns whatever was stored (validated here); failures of either are logged, never fatal. */
export interface TuneStore {
  load(adapter: string): Promise<unknown>;
  save(adapter: string, entry: TuneEntry): Promise<void>;
}

/** One hidden layer of a training-sized step: 64 rows (the default batch), 512 → 256, ReLU. Every size divisible by 4
 *  and by the tiles, so each family runs its fast path; ~17 MFLOP per product. */
export const TUNE_SHAPE = { rows: 64, nIn: 512, nOut: 256 } as const;
const REPEATS = 3;

const FAMILIES = Object.keys(MATMUL_FAMILIES) as MatmulFamily[];

/** FNV-1a, 32 bits: enough to notice that a shader changed. */
function fnv1a(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(16).padStart(8, '0');
}

/** The distinct sources of every matmul kernel (each .wgsl with its shared prefixes), from KERNELS. */
export const MATMUL_SOURCES: readonly string[] = [
  ...new Set(
    Object.entries(KERNELS)
      .filter(([id]) => id.startsWith('matmul'))
      .map(([, d]) => d.source),
  ),
];

/** The cache key of an adapter's tune: a change of adapter, shader source or tune shape misses. */
export function tuneKey(adapter: string, sources: readonly string[] = MATMUL_SOURCES): string {
  const { rows, nIn, nOut } = TUNE_SHAPE;
  return `${adapter} | matmul shaders ${fnv1a(sources.join('\n\0\n'))} | ${rows}x${nIn}->${nOut}`;
}

const fastest = (ms: Readonly<Record<MatmulFamily, number>>): MatmulFamily =>
  FAMILIES.reduce((best, f) => (ms[f] < ms[best] ? f : best));

/** A stored entry is used only when it is for this key, times every family and names the fastest;
 *  anything else (another key, a corrupt or hand-edited value) is measured again. */
export function validEntry(value: unknown, key: string): TuneEntry | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const e = value as Partial<Record<keyof TuneEntry, unknown>>;
  if (e.key !== key || typeof e.ms !== 'object' || e.ms === null) return undefined;
  const ms = e.ms as Record<string, unknown>;
  if (!FAMILIES.every((f) => typeof ms[f] === 'number' && Number.isFinite(ms[f]) && ms[f] > 0)) return undefined;
  const times = Object.fromEntries(FAMILIES.map((f) => [f, ms[f] as number])) as Record<MatmulFamily, number>;
  const family = fastest(times);
  return e.family === family ? { key, family, ms: times } : undefined;
}

/** The tune for `key`: the store's entry when valid, else measured and saved. */
export async function tuneWith(
  key: string,
  adapter: string,
  store: TuneStore | undefined,
  measure: () => Promise<Record<MatmulFamily, number>>,
): Promise<AutotuneResult> {
  const t0 = performance.now();
  const seconds = () => (performance.now() - t0) / 1000;
  const stored = await storedEntry(key, adapter, store, 'measuring instead');
  if (stored) return { family: stored.family, ms: stored.ms, source: 'cached', seconds: seconds() };
  const ms = await measure();
  const family = fastest(ms);
  await store
    ?.save(adapter, { key, family, ms })
    .catch((e: unknown) => warn('saving', e, 'the next run measures again'));
  return { family, ms, source: 'measured', seconds: seconds() };
}

/** The store's entry for `key` when valid; a failed read is warned of (`then`: what happens instead). */
async function storedEntry(
  key: string,
  adapter: string,
  store: TuneStore | undefined,
  then: string,
): Promise<TuneEntry | undefined> {
  return store && validEntry(await store.load(adapter).catch((e: unknown) => warn('reading', e, then)), key);
}

function warn(what: string, e: unknown, then: string): undefined {
  console.warn(
    `matmul autotune: ${what} the tune cache failed (${e instanceof Error ? e.message : String(e)}); ${then}`,
  );
  return undefined;
}

/** This page's tunes by key, in flight or settled; `settled` holds the finished ones. */
const memory = new Map<string, Promise<AutotuneResult>>();
const settled = new Map<string, AutotuneResult>();

/** The matmul family for this context's adapter, tuned once per page and key (a replaced device
 *  of the same adapter asks again for free). */
export function autotuneMatmul(ctx: GpuContext, store?: TuneStore): Promise<AutotuneResult> {
  const key = tuneKey(ctx.adapterName);
  const known = memory.get(key);
  if (known) return known.then((r) => ({ ...r, source: 'cached', seconds: 0 }));
  const p = tuneWith(key, ctx.adapterName, store, () => measure(ctx));
  memory.set(key, p);
  p.then(
    (r) => void settled.set(key, r),
    () => memory.delete(key), // a failed tune may be retried
  );
  return p;
}

/** The adapter's tune when one is known without timing anything: this page's finished one, else the
 *  store's valid entry; undefined otherwise (a tune still running in this page is not waited for). */
export async function knownTune(adapter: string, store: TuneStore | undefined): Promise<AutotuneResult | undefined> {
  const key = tuneKey(adapter);
  const mine = settled.get(key);
  if (mine) return { ...mine, source: 'cached', seconds: 0 };
  const entry = await storedEntry(key, adapter, store, 'using the default');
  return entry && { family: entry.family, ms: entry.ms, source: 'cached', seconds: 0 };
}

/** The family trainers take without timing anything: a known tune, else the adapter's default; `guess`
 *  when that default was never measured on this adapter, so that a tune could change it. */
export async function untimedTune(
  adapter: string,
  store: TuneStore | undefined,
): Promise<{ readonly result: AutotuneResult; readonly guess: boolean }> {
  const known = await knownTune(adapter, store);
  if (known) return { result: known, guess: false };
  return { result: defaultTune(adapter), guess: !matmulDefaultMeasured(adapter) };
}

/** The adapter's default family (preferredMatmul) as a tune result: nothing timed, every time NaN. */
export function defaultTune(adapter: string): AutotuneResult {
  const ms = Object.fromEntries(FAMILIES.map((f) => [f, NaN])) as Record<MatmulFamily, number>;
  return { family: preferredMatmul(adapter), ms, source: 'default', seconds: 0 };
}

/** Milliseconds of each family's forward, dW and dA products of TUNE_SHAPE, as the plan issues them. */
async function measure(ctx: GpuContext): Promise<Record<MatmulFamily, number>> {
  const { rows, nIn, nOut } = TUNE_SHAPE;
  // Timings of a lost (or destroyed) device are no answer: the tune then fails and stores nothing.
  let lost = false;
  void ctx.device.lost.then(() => (lost = true));
  const arena = new BufferArena(ctx.device, 'autotune');
  try {
    // Values in [-1, 1) with both signs, so ReLU and g' take both branches.
    const values = (n: number) => Float32Array.from({ length: n }, (_, i) => ((i * 7919) % 2000) / 1000 - 1);
    const a = arena.upload('A_prev', values(rows * nIn));
    const w = arena.upload('W', values(nOut * nIn));
    const bias = arena.upload('b', values(nOut));
    const z = arena.upload('A', new Float32Array(rows * nOut));
    const dz = arena.upload('dZ', values(rows * nOut));
    const dw = arena.upload('dW', new Float32Array(nOut * nIn));
    const dzPrev = arena.upload('dZ_prev', new Float32Array(rows * nIn));
    const relu = actConstants('relu');
    const timer = new PassTimer(ctx, arena);
    try {
      const steps = await Promise.all(
        FAMILIES.map(async (family) => {
          const fwd = forwardMatmul(family, nIn);
          const bwd = backwardMatmul(family, nIn, nOut);
          // The constants as plan.ts spreads them, so the plan reuses these pipelines.
          const ops = await Promise.all([
            Dispatch.create(
              arena,
              fwd.biasAct,
              { ...fwd.constants, ...relu },
              { a, b: w, c: z, bias },
              { M: rows, N: nOut, K: nIn },
            ).then((d) => [d, matmulWorkgroups(fwd.biasAct, rows, nOut)] as const),
            Dispatch.create(
              arena,
              bwd.dW.id,
              bwd.dW.constants,
              { a: dz, b: a, c: dw },
              { M: nOut, N: nIn, K: rows },
            ).then((d) => [d, matmulWorkgroups(bwd.dW.id, nOut, nIn)] as const),
            Dispatch.create(
              arena,
              bwd.dA.actGrad,
              { ...bwd.dA.constants, ...relu },
              { a: dz, b: w, c: dzPrev, aux: a },
              { M: rows, N: nIn, K: nOut },
            ).then((d) => [d, matmulWorkgroups(bwd.dA.actGrad, rows, nIn)] as const),
          ]);
          return {
            family,
            once: () => timer.time(`autotune ${family}`, (pass) => ops.forEach(([d, grid]) => d.encode(pass, grid))),
          };
        }),
      );
      for (const s of steps) await s.once(); // warm-up: first use compiles or uploads on some drivers
      const ms = Object.fromEntries(FAMILIES.map((f) => [f, Infinity])) as Record<MatmulFamily, number>;
      // Families interleaved, so a burst of load elsewhere hits both alike.
      for (let r = 0; r < REPEATS; r++) for (const s of steps) ms[s.family] = Math.min(ms[s.family], await s.once());
      if (lost) throw new Error(`the device (${ctx.adapterName}) was lost during the tune`);
      return ms;
    } finally {
      timer.destroy();
    }
  } finally {
    arena.destroy();
  }
}

/** One line for logs: the choice, each family's time and where it came from. */
export function describeTune(r: AutotuneResult, adapter: string): string {
  if (r.source === 'default')
    return matmulDefaultMeasured(adapter)
      ? `matmul ${r.family} (the default for ${adapter}, where the autotune's answer is known: nothing timed)`
      : `matmul ${r.family} (the default for ${adapter}, nothing timed; the autotune runs once training has started, for later trainers)`;
  const { rows, nIn, nOut } = TUNE_SHAPE;
  const times = FAMILIES.map((f) => `${f} ${r.ms[f].toFixed(2)} ms`).join(', ');
  return `matmul ${r.family} (autotune: ${times} for forward + dW + dA of ${rows} rows ${nIn}→${nOut}; ${r.source === 'cached' ? 'cached' : `measured in ${r.seconds.toFixed(1)} s`})`;
}
