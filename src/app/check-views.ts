// The two check panels: one training step on the GPU against the float64 reference ("Check this step"),
// and the course's gradient check, each as a title line and a table.
import type { FromWorker, LayerCheck } from './protocol.ts';

const $ = (id: string): HTMLElement => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`page is missing #${id}`);
  return el;
};

function tableRow(cells: string[], tag: 'th' | 'td', cls = ''): HTMLTableRowElement {
  const tr = document.createElement('tr');
  if (cls) tr.className = cls;
  for (const c of cells) {
    const td = document.createElement(tag);
    td.textContent = c;
    tr.append(td);
  }
  return tr;
}

export function onGradcheck(m: Extract<FromWorker, { type: 'gradcheck' }>): void {
  const allOk = m.results.every((r) => r.ok);
  const title = $('gradcheck-title');
  const reg = [m.l2 > 0 ? `L2 λ=${m.l2}` : '', m.keepProb < 1 ? `dropout keep=${m.keepProb}` : '']
    .filter(Boolean)
    .join(', ');
  title.textContent =
    `Gradient check (float64, sizes [${m.spec.sizes.join(',')}], ${m.spec.activation}, ${m.spec.loss}${reg ? `, ${reg}` : ''}; ${m.rows} rows, initial weights, ${m.seconds.toFixed(1)} s): ` +
    (allOk
      ? `every tensor below ${m.threshold}`
      : `ABOVE ${m.threshold}: backprop disagrees with the numerical gradient`);
  title.className = allOk ? 'ok' : 'bad';
  $('gradcheck-table').replaceChildren(
    tableRow(['layer', 'tensor', 'relative difference', `< ${m.threshold}`], 'th'),
    ...m.results.map((r) =>
      tableRow([String(r.layer), r.name, r.relDiff.toExponential(2), r.ok ? 'yes' : 'NO'], 'td', r.ok ? 'ok' : 'bad'),
    ),
  );
}

export function onCheck(m: Extract<FromWorker, { type: 'check' }>): void {
  const allOk = m.layers.every((l) => l.ok);
  const title = $('check-title');
  title.textContent = `Check this step (${m.path} step) on ${m.adapter}: ${m.rows} rows, loss GPU ${m.gpuLoss.toPrecision(7)} vs CPU ${m.cpuLoss.toPrecision(7)} — ${allOk ? 'all layers within tolerance' : 'MISMATCH'}`;
  title.className = allOk ? 'ok' : 'bad';
  const table = $('check-table');
  const row = tableRow;
  const e = (v: number) => v.toExponential(2);
  // Batch norm adds dγ, dβ and, after the step, γ, β and the running mean and var (the output layer has none).
  const bnHead = m.spec.batchNorm
    ? ['max |Δdγ|', 'max |Δdβ|', 'max |Δγ| after', 'max |Δβ| after', 'max |Δμ run| after', 'max |Δσ² run| after']
    : [];
  const bnCells = (l: LayerCheck) =>
    !m.spec.batchNorm
      ? []
      : l.bn
        ? [l.bn.dGamma, l.bn.dBeta, l.bn.gammaAfter, l.bn.betaAfter, l.bn.meanAfter, l.bn.varAfter].map(e)
        : bnHead.map(() => '—');
  table.replaceChildren(
    row(['layer', 'W shape', 'max |ΔdW|', 'max |Δdb|', 'max |ΔW| after', 'max |Δb| after', ...bnHead, ''], 'th'),
    ...m.layers.map((l) =>
      row(
        [
          String(l.layer),
          l.shape,
          e(l.dW),
          e(l.db),
          e(l.weightAfter),
          e(l.biasAfter),
          ...bnCells(l),
          l.ok ? 'ok' : 'outside tolerance',
        ],
        'td',
        l.ok ? 'ok' : 'bad',
      ),
    ),
  );
}
