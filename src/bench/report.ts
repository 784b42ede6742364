// Turns the page's results into what people read: derived figures (speed-ups, crossover, share of a
// measured peak), a text table for the terminal, and one self-contained HTML file with SVG plots.
import type { HostCounts } from '../gpu/counters.ts';
import type { BenchResults, Engine, HostCostResult, HostFlatResult, KernelResult, StepResult } from './protocol.ts';
import { median } from './timing.ts';

export interface Derived {
  /** Per issue configuration: our step time against each other engine's (> 1: ours is faster). */
  readonly speedups: { config: string; vs: Engine; ratio: number; firstStepOnly: boolean }[];
  /** Per sweep axis: the first point where the WebGPU plan's step is faster than the CPU reference's. */
  readonly crossover: { axis: string; at: string | null; note: string }[];
  /** The measured peak used as the denominator, and each 1024³ kernel's share of it. */
  readonly peak: { label: string; gflops: number } | null;
  readonly matmulShare: { label: string; engine: Engine; kernel: string; gflops: number; share: number | null }[];
  /** Per configuration: the bench's TF.js WASM step against the plain hand-written one (tfjs-plain.ts),
   *  bench / plain (median over the rounds they were timed in): near 1 when the bench gives TF.js its natural step. */
  readonly tfjsVsPlain: { config: string; benchMs: number; plainMs: number; ratio: number }[];
  /** Per small configuration: the other engine's step time over our fused step's (> 1: fused is faster);
   *  against our layered plan, timed in turns with it, the median of the per-round ratios. */
  readonly fused: { config: string; vs: Engine; ratio: number }[];
}

const byEngine = (rows: StepResult[], config: string, engine: Engine) =>
  rows.find((r) => r.config === config && r.engine === engine);

export function derive(res: BenchResults, headline = 1024): Derived {
  const speedups: Derived['speedups'] = [];
  for (const cfg of [...new Set(res.steps.filter((r) => r.group === 'issue').map((r) => r.config))]) {
    const ours = byEngine(res.steps, cfg, 'webgpu');
    if (!ours) continue;
    for (const vs of ['tfjs-webgpu', 'tfjs-wasm', 'cpu-reference'] as const) {
      const other = byEngine(res.steps, cfg, vs);
      if (other)
        speedups.push({
          config: cfg,
          vs,
          ratio: other.msPerStep / ours.msPerStep,
          firstStepOnly: other.firstStepOnly || ours.firstStepOnly,
        });
    }
  }
  const crossover: Derived['crossover'] = [];
  for (const axis of ['width', 'depth', 'batch'] as const) {
    const cfgs = [...new Set(res.steps.filter((r) => r.group === axis).map((r) => r.config))];
    if (cfgs.length === 0) continue;
    const pairs = cfgs.map((c) => ({
      c,
      g: byEngine(res.steps, c, 'webgpu'),
      p: byEngine(res.steps, c, 'cpu-reference'),
    }));
    const hit = pairs.find((x) => x.g && x.p && x.g.msPerStep < x.p.msPerStep);
    const note = pairs
      .map((x) => `${x.c}: ${x.g && x.p ? (x.p.msPerStep / x.g.msPerStep).toFixed(2) + '×' : 'n/a'}`)
      .join(', ');
    crossover.push({ axis, at: hit ? hit.c : null, note });
  }
  const mm = res.kernels.filter((k) => k.M === headline && k.N === headline && k.K === headline && !k.config);
  const wasm = mm.find((k) => k.engine === 'tfjs-wasm');
  const cpuLike = /swiftshader|llvmpipe|lavapipe/i.test(res.adapter);
  // On a CPU-emulated adapter the fair denominator is the CPU itself: XNNPACK's SIMD matmul is as
  // close to the CPU's fp32 peak as anything that runs in this page.
  const peak =
    cpuLike && wasm
      ? { label: `TF.js WASM (XNNPACK, SIMD, ${wasmThreads(res)}) matmul ${headline}³`, gflops: wasm.gflops }
      : null;
  const matmulShare = mm.map((k) => ({
    label: k.label,
    engine: k.engine,
    kernel: k.kernel,
    gflops: k.gflops,
    share: peak ? k.gflops / peak.gflops : null,
  }));
  const tfjsVsPlain: Derived['tfjsVsPlain'] = [];
  for (const cfg of [...new Set(res.steps.map((r) => r.config))]) {
    const bench = byEngine(res.steps, cfg, 'tfjs-wasm');
    const plain = byEngine(res.steps, cfg, 'tfjs-wasm-plain');
    if (!bench || !plain) continue;
    // Timed in turns (run.ts): the median of the per-round ratios, which a drifting load hits alike.
    const rounds = bench.blocksMs.length === plain.blocksMs.length && bench.blocksMs.length > 0;
    const ratio = rounds
      ? median(bench.blocksMs.map((b, i) => b / plain.blocksMs[i]!))
      : bench.msPerStep / plain.msPerStep;
    tfjsVsPlain.push({ config: cfg, benchMs: bench.msPerStep, plainMs: plain.msPerStep, ratio });
  }
  return { speedups, crossover, peak, matmulShare, tfjsVsPlain, fused: fusedRatios(res.steps) };
}

/** Derived['fused']: each small configuration's fused step against every other engine timed on it. */
function fusedRatios(steps: StepResult[]): Derived['fused'] {
  const out: Derived['fused'] = [];
  for (const cfg of [...new Set(steps.filter((r) => r.group === 'small').map((r) => r.config))]) {
    const fused = byEngine(steps, cfg, 'webgpu-fused');
    if (!fused) continue;
    for (const vs of ['webgpu', 'tfjs-wasm', 'tfjs-wasm-plain', 'tfjs-webgpu', 'cpu-reference'] as const) {
      const other = byEngine(steps, cfg, vs);
      if (!other) continue;
      const rounds = vs === 'webgpu' && other.blocksMs.length === fused.blocksMs.length && fused.blocksMs.length > 0;
      const ratio = rounds
        ? median(other.blocksMs.map((b, i) => b / fused.blocksMs[i]!))
        : other.msPerStep / fused.msPerStep;
      out.push({ config: cfg, vs, ratio });
    }
  }
  return out;
}

/** The small configurations' table: every engine's ms per step, then the fused step's speed-ups. */
function smallLines(res: BenchResults, d: Derived): string[] {
  const cfgs = [...new Set(res.steps.filter((r) => r.group === 'small').map((r) => r.config))];
  if (cfgs.length === 0) return [];
  const engines: Engine[] = ['webgpu-fused', 'webgpu', 'tfjs-webgpu', 'tfjs-wasm', 'tfjs-wasm-plain', 'cpu-reference'];
  const lines = [
    '',
    'Small networks, steady state (median ms per step; webgpu = the layered plan, timed in turns with the',
  ];
  lines.push('fused step; the last columns: how many times faster the fused step is):');
  lines.push(
    `  ${'config'.padEnd(22)}${engines.map((e) => e.padStart(16)).join('')}${'vs webgpu'.padStart(11)}${'vs wasm'.padStart(9)}`,
  );
  const ratio = (c: string, vs: Engine) => d.fused.find((f) => f.config === c && f.vs === vs)?.ratio;
  for (const c of cfgs) {
    const row = engines.map((e) => {
      const r = byEngine(res.steps, c, e);
      return (r ? (r.firstStepOnly ? '≤' : '') + r.msPerStep.toFixed(r.msPerStep < 1 ? 3 : 2) : '-').padStart(16);
    });
    const x = (v: number | undefined, w: number) => (v !== undefined ? `${v.toFixed(2)}×` : '-').padStart(w);
    lines.push(`  ${c.padEnd(22)}${row.join('')}${x(ratio(c, 'webgpu'), 11)}${x(ratio(c, 'tfjs-wasm'), 9)}`);
  }
  return lines;
}

const wasmThreads = (res: BenchResults): string => {
  const n = res.tfjs.wasmThreads ? res.tfjs.wasmThreadsCount : 1;
  return `${n ?? '?'} thread${n === 1 ? '' : 's'}`;
};

export function textSummary(res: BenchResults, d: Derived): string {
  const lines: string[] = [];
  lines.push(
    `adapter ${res.adapter} | ${res.hardwareConcurrency} logical CPUs | TF.js ${res.tfjs.version} (wasm simd ${res.tfjs.wasmSimd}, ` +
      `threads ${res.tfjs.wasmThreads}: ${wasmThreads(res)}) | page cross-origin isolated: ${res.crossOriginIsolated}`,
  );
  lines.push(
    `webgpu matmul family: ${res.family}${res.family !== res.autotune.family ? ' (forced with --family)' : ''} (autotune chose ${res.autotune.family}: ${Object.entries(
      res.autotune.ms,
    )
      .map(([f, ms]) => `${f} ${ms.toFixed(2)} ms`)
      .join(', ')})`,
  );
  if (res.steps.some((r) => r.group !== 'small')) {
    lines.push('');
    lines.push('Training step, steady state (median ms per step):');
    const cfgs = [...new Set(res.steps.filter((r) => r.group !== 'small').map((r) => r.config))];
    const engines: Engine[] = ['webgpu', 'tfjs-webgpu', 'tfjs-wasm', 'tfjs-wasm-plain', 'cpu-reference'];
    lines.push(`  ${'config'.padEnd(22)}${engines.map((e) => e.padStart(16)).join('')}   GFLOP/step`);
    for (const c of cfgs) {
      const row = engines.map((e) => {
        const r = byEngine(res.steps, c, e);
        return (r ? (r.firstStepOnly ? '≤' : '') + r.msPerStep.toFixed(r.msPerStep < 10 ? 2 : 0) : '-').padStart(16);
      });
      const any = res.steps.find((r) => r.config === c)!;
      lines.push(`  ${c.padEnd(22)}${row.join('')}   ${(any.flopsPerStep / 1e9).toFixed(3)}`);
    }
    lines.push('');
    lines.push('  (≤: first step only, compilation included; an upper bound on the steady state)');
  }
  lines.push(...smallLines(res, d));
  lines.push(...hostLines(res.hostCost, res.hostFlat));
  if (res.submitSweep.length > 0) {
    lines.push('');
    lines.push(
      'WebGPU plan by training steps per submit, timed in turns (median ms per step; in brackets: median over',
    );
    lines.push('rounds of the time relative to the first column in the same round):');
    const ks = [...new Set(res.submitSweep.map((r) => r.stepsPerSubmit ?? 1))];
    lines.push(`  ${'config'.padEnd(22)}${ks.map((k) => `${k}/submit`.padStart(18)).join('')}`);
    for (const c of [...new Set(res.submitSweep.map((r) => r.config))]) {
      const at = (k: number) => res.submitSweep.find((r) => r.config === c && (r.stepsPerSubmit ?? 1) === k);
      const base = at(ks[0]!);
      lines.push(
        `  ${c.padEnd(22)}${ks
          .map((k) => {
            const r = at(k);
            const ratio =
              r && base && r.blocksMs.length === base.blocksMs.length && r.blocksMs.length > 0
                ? median(r.blocksMs.map((b, i) => b / base.blocksMs[i]!))
                : undefined;
            return (
              r
                ? `${r.msPerStep.toFixed(r.msPerStep < 10 ? 2 : 0)}${ratio !== undefined ? ` (${ratio.toFixed(2)})` : ''}`
                : '-'
            ).padStart(18);
          })
          .join('')}`,
      );
    }
  }
  for (const s of d.speedups)
    lines.push(
      `  ${s.config}: ` +
        (s.ratio >= 1
          ? `webgpu ${s.ratio.toFixed(2)}× faster than ${s.vs}`
          : `${s.vs} ${(1 / s.ratio).toFixed(2)}× faster than webgpu`) +
        (s.firstStepOnly ? ' (from a first step: includes compilation)' : ''),
    );
  for (const p of d.tfjsVsPlain) {
    lines.push(
      `  ${p.config}: tfjs-wasm / tfjs-wasm-plain = ${p.ratio.toFixed(2)} (median over rounds; bench's TF.js step ${p.benchMs.toFixed(2)} ms, plain hand-written TF.js step ${p.plainMs.toFixed(2)} ms)`,
    );
  }
  lines.push('');
  for (const c of d.crossover)
    lines.push(
      `crossover webgpu vs cpu-reference along ${c.axis}: ${c.at ?? 'none in the sweep'} (cpu/gpu time: ${c.note})`,
    );
  lines.push('');
  if (d.peak) lines.push(`measured CPU peak: ${d.peak.gflops.toFixed(2)} GFLOP/s (${d.peak.label})`);
  for (const m of d.matmulShare)
    lines.push(
      `  ${m.label} ${m.engine} ${m.kernel}: ${m.gflops.toFixed(2)} GFLOP/s${m.share !== null ? ` = ${(100 * m.share).toFixed(1)}% of the measured peak` : ''}`,
    );
  for (const n of res.notes) lines.push(`note: ${n}`);
  return lines.join('\n');
}

const count = (v: number) => (Number.isInteger(v) ? String(v) : v.toFixed(2));

/** '12 dispatches, 12 bind-group sets, 0 buffer writes, 1 submits per step'. */
export const countsText = (c: HostCounts): string =>
  `${count(c.dispatches)} dispatches, ${count(c.bindGroupSets)} bind-group sets, ${count(c.bufferWrites)} buffer writes, ${count(c.submits)} submits per step`;

/** A host cost row's name: the configuration, marked when the fused step was measured. */
const hostLabel = (r: HostCostResult): string => (r.engine ? `${r.config} fused` : r.config);

/** The host cost table and the long-run line (nothing when neither was measured). */
export function hostLines(host: readonly HostCostResult[], flat: HostFlatResult | undefined): string[] {
  const lines: string[] = [];
  if (host.length > 0) {
    lines.push('');
    lines.push(
      'Host cost of our training step: JS time of step() (encode + uniforms + submit) in blocks of steps, the GPU',
    );
    lines.push(
      'work drained between blocks outside the timing, and the first step after each drain untimed (its median',
    );
    lines.push('under "lead"); median over blocks, min–max, the mean over all timed steps, and API calls per step:');
    lines.push(
      `  ${'config'.padEnd(22)}${'JS ms/step'.padStart(11)}${'min–max'.padStart(16)}${'mean'.padStart(8)}${'blocks'.padStart(8)}${'lead ms'.padStart(9)}` +
        `${'dispatches'.padStart(12)}${'bind groups'.padStart(13)}${'writes'.padStart(8)}${'submits'.padStart(9)}${'step wall ms'.padStart(14)}`,
    );
    for (const r of host) {
      lines.push(
        `  ${hostLabel(r).padEnd(22)}${r.jsMsPerStep.toFixed(4).padStart(11)}${`${Math.min(...r.blocksMs).toFixed(4)}–${Math.max(...r.blocksMs).toFixed(4)}`.padStart(16)}` +
          `${r.meanMsPerStep.toFixed(4).padStart(8)}${`${r.blocksMs.length}×${r.stepsPerBlock}`.padStart(8)}${r.firstAfterDrainMs.toFixed(3).padStart(9)}${count(r.perStep.dispatches).padStart(12)}${count(r.perStep.bindGroupSets).padStart(13)}` +
          `${count(r.perStep.bufferWrites).padStart(8)}${count(r.perStep.submits).padStart(9)}${r.stepWallMs.toFixed(1).padStart(14)}`,
      );
    }
  }
  if (flat && flat.blocksMs.length > 0) {
    const ends = (xs: readonly number[]) => {
      const first = xs[0]!;
      const last = xs[xs.length - 1]!;
      return `first ${first.toFixed(4)}, last ${last.toFixed(4)} (last / first ${(last / first).toFixed(2)})`;
    };
    lines.push('');
    lines.push(
      `Host cost over ${flat.steps} steps of ${flat.config} (timed in chunks of ${flat.chunkSteps} as above), JS ms/step per ${flat.reportSteps} steps:`,
    );
    lines.push(`  median of the chunks: ${flat.blocksMs.map((m) => m.toFixed(4)).join(' ')}; ${ends(flat.blocksMs)}`);
    lines.push(
      `  mean (all chunks):    ${flat.blocksMeanMs.map((m) => m.toFixed(4)).join(' ')}; ${ends(flat.blocksMeanMs)}`,
    );
    lines.push(`  ${countsText(flat.perStep)}; ${flat.wallS.toFixed(0)} s wall`);
  }
  return lines;
}

// ---- HTML with inline SVG: no scripts, no external files ----
const COLORS: Record<Engine, string> = {
  webgpu: '#1f77b4',
  'webgpu-fused': '#9467bd',
  'tfjs-webgpu': '#ff7f0e',
  'tfjs-wasm': '#2ca02c',
  'tfjs-wasm-plain': '#98df8a',
  'cpu-reference': '#7f7f7f',
};
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function logTicks(lo: number, hi: number): number[] {
  const t: number[] = [];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) t.push(10 ** e);
  return t;
}

/** Grouped horizontal bars on a log axis: one group per label, one bar per series. */
function barChart(
  title: string,
  unit: string,
  groups: { label: string; bars: { series: Engine; value: number; text: string }[] }[],
): string {
  const vals = groups.flatMap((g) => g.bars.map((b) => b.value)).filter((v) => v > 0);
  if (vals.length === 0) return '';
  const lo = 10 ** Math.floor(Math.log10(Math.min(...vals)));
  const hi = 10 ** Math.ceil(Math.log10(Math.max(...vals)));
  const left = 190,
    width = 560,
    barH = 14,
    gap = 10;
  const x = (v: number) => left + (width * (Math.log10(v) - Math.log10(lo))) / (Math.log10(hi) - Math.log10(lo));
  let y = 30;
  const parts: string[] = [];
  for (const g of groups) {
    parts.push(
      `<text x="${left - 8}" y="${y + (g.bars.length * barH) / 2 + 4}" text-anchor="end" font-size="12">${esc(g.label)}</text>`,
    );
    for (const b of g.bars) {
      parts.push(
        `<rect x="${left}" y="${y}" width="${Math.max(1, x(b.value) - left)}" height="${barH - 2}" fill="${COLORS[b.series]}"><title>${esc(b.series)}: ${esc(b.text)}</title></rect>`,
      );
      parts.push(`<text x="${x(b.value) + 4}" y="${y + barH - 4}" font-size="10">${esc(b.text)}</text>`);
      y += barH;
    }
    y += gap;
  }
  const ticks = logTicks(lo, hi).map(
    (t) =>
      `<line x1="${x(t)}" y1="24" x2="${x(t)}" y2="${y}" stroke="#ddd"/><text x="${x(t)}" y="${y + 14}" font-size="10" text-anchor="middle">${t >= 1 ? t : t.toPrecision(1)}</text>`,
  );
  return `<h2>${esc(title)}</h2><svg xmlns="http://www.w3.org/2000/svg" width="${left + width + 120}" height="${y + 34}">${ticks.join('')}${parts.join('')}<text x="${left + width / 2}" y="${y + 30}" font-size="11" text-anchor="middle">${esc(unit)} (log scale)</text></svg>`;
}

/** ms/step against one swept parameter, both axes log, one line per engine. */
function lineChart(title: string, xs: number[], series: { engine: Engine; ys: (number | undefined)[] }[]): string {
  const all = series.flatMap((s) => s.ys.filter((v): v is number => v !== undefined && v > 0));
  if (all.length === 0 || xs.length < 2) return '';
  const W = 360,
    H = 220,
    L = 50,
    T = 20;
  const ylo = 10 ** Math.floor(Math.log10(Math.min(...all))),
    yhi = 10 ** Math.ceil(Math.log10(Math.max(...all)));
  const xlo = Math.min(...xs),
    xhi = Math.max(...xs);
  const px = (v: number) => L + (W * Math.log(v / xlo)) / Math.log(xhi / xlo);
  const py = (v: number) => T + H - (H * Math.log(v / ylo)) / Math.log(yhi / ylo);
  const parts: string[] = [];
  for (const t of logTicks(ylo, yhi))
    parts.push(
      `<line x1="${L}" x2="${L + W}" y1="${py(t)}" y2="${py(t)}" stroke="#ddd"/><text x="${L - 4}" y="${py(t) + 3}" font-size="10" text-anchor="end">${t >= 1 ? t : t.toPrecision(1)}</text>`,
    );
  for (const v of xs)
    parts.push(`<text x="${px(v)}" y="${T + H + 14}" font-size="10" text-anchor="middle">${v}</text>`);
  for (const s of series) {
    const pts = xs
      .map((v, i) => [v, s.ys[i]] as const)
      .filter((p): p is readonly [number, number] => p[1] !== undefined);
    parts.push(
      `<polyline fill="none" stroke="${COLORS[s.engine]}" stroke-width="2" points="${pts.map(([a, b]) => `${px(a)},${py(b)}`).join(' ')}"/>`,
    );
    for (const [a, b] of pts)
      parts.push(
        `<circle cx="${px(a)}" cy="${py(b)}" r="3" fill="${COLORS[s.engine]}"><title>${s.engine} ${a}: ${b.toFixed(2)} ms</title></circle>`,
      );
  }
  return `<figure style="display:inline-block;margin:0 12px"><figcaption>${esc(title)}</figcaption><svg xmlns="http://www.w3.org/2000/svg" width="${L + W + 10}" height="${T + H + 24}">${parts.join('')}</svg></figure>`;
}

function table(head: string[], rows: string[][]): string {
  return `<table><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr>${rows.map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`).join('')}</table>`;
}

export function htmlReport(res: BenchResults, d: Derived, command: string): string {
  const issue = [...new Set(res.steps.filter((r) => r.group === 'issue').map((r) => r.config))];
  const stepChart = barChart(
    'Training step, steady state (ms per step, lower is better)',
    'ms per step',
    issue.map((c) => ({
      label: c,
      bars: res.steps
        .filter((r) => r.config === c)
        .map((r) => ({
          series: r.engine,
          value: r.msPerStep,
          text: `${r.msPerStep.toFixed(2)} ms, ${r.gflops.toFixed(2)} GFLOP/s`,
        })),
    })),
  );
  const sweeps = (['width', 'depth', 'batch'] as const)
    .map((axis) => {
      const rows = res.steps.filter((r) => r.group === axis);
      const cfgs = [...new Set(rows.map((r) => r.config))];
      const xs = cfgs.map((c) => Number(c.split(' ')[1]));
      return lineChart(
        `ms/step vs ${axis} (784-256-256-10 b64 otherwise)`,
        xs,
        (['webgpu', 'cpu-reference'] as const).map((engine) => ({
          engine,
          ys: cfgs.map((c) => byEngine(rows, c, engine)?.msPerStep),
        })),
      );
    })
    .join('');
  const mm = res.kernels.filter((k) => !k.config);
  const mmChart = barChart(
    'Single matmul (GFLOP/s, higher is better)',
    'GFLOP/s',
    [...new Set(mm.map((k) => k.label))].map((label) => ({
      label,
      bars: mm
        .filter((k) => k.label === label)
        .map((k) => ({
          series: k.engine,
          value: k.gflops,
          text: `${k.kernel} ${k.gflops.toFixed(2)} GFLOP/s (${k.timer})`,
        })),
    })),
  );
  const legend = (Object.keys(COLORS) as Engine[])
    .map((e) => `<span style="color:${COLORS[e]}">■</span> ${e}`)
    .join(' &nbsp; ');
  const stepRows = res.steps.map((r) => [
    r.config,
    r.engine,
    r.adapter,
    r.msPerStep.toFixed(3),
    r.samplesPerSecond.toFixed(0),
    r.gflops.toFixed(2),
    r.setupMs.toFixed(0),
    r.firstStepMs.toFixed(0),
    r.firstStepOnly ? 'first step only' : `${r.blocksMs.length}×${r.stepsPerBlock}`,
  ]);
  const hostRows = res.hostCost.map((r) => [
    hostLabel(r),
    r.adapter,
    r.jsMsPerStep.toFixed(4),
    r.meanMsPerStep.toFixed(4),
    r.blocksMs.map((m) => m.toFixed(4)).join(' '),
    `${r.blocksMs.length}×${r.stepsPerBlock}`,
    r.firstAfterDrainMs.toFixed(3),
    count(r.perStep.dispatches),
    count(r.perStep.bindGroupSets),
    count(r.perStep.bufferWrites),
    count(r.perStep.submits),
    r.stepWallMs.toFixed(1),
  ]);
  const kernelRows = res.kernels.map((k: KernelResult) => [
    k.label,
    k.engine,
    k.kernel,
    `${k.M}×${k.N}×${k.K}`,
    k.ms.toFixed(3),
    k.gflops.toFixed(2),
    k.timer,
  ]);
  return `<!doctype html><html><head><meta charset="utf-8"><title>webgpu-mlp benchmark ${esc(res.date)}</title>
<style>body{font-family:system-ui,sans-serif;margin:24px;max-width:1100px}table{border-collapse:collapse;font-size:12px;margin:8px 0 20px}td,th{border:1px solid #ccc;padding:2px 6px;text-align:right}td:first-child,th:first-child{text-align:left}pre{background:#f6f6f6;padding:8px;font-size:12px;white-space:pre-wrap}</style></head><body>
<h1>webgpu-mlp benchmark</h1>
<p>${esc(res.date)} · adapter <b>${esc(res.adapter)}</b> · ${res.hardwareConcurrency} logical CPUs · ${esc(res.userAgent)}<br>command: <code>${esc(command)}</code></p>
<p>${legend}</p>
<pre>${esc(textSummary(res, d))}</pre>
${stepChart}
<h2>Crossover against the CPU reference (float64)</h2>${sweeps}
${mmChart}
<h2>All step timings</h2>${table(['config', 'engine', 'adapter', 'ms/step', 'samples/s', 'GFLOP/s', 'setup ms', 'first step ms', 'blocks×steps'], stepRows)}
${hostRows.length > 0 ? `<h2>Host cost of our step</h2>${table(['config', 'adapter', 'JS ms/step', 'mean', 'per block', 'blocks×steps', 'lead ms', 'dispatches', 'bind-group sets', 'buffer writes', 'submits', 'step wall ms'], hostRows)}` : ''}
<h2>All kernel timings</h2>${table(['what', 'engine', 'kernel', 'M×N×K', 'ms', 'GFLOP/s', 'timer'], kernelRows)}
</body></html>
`;
}
