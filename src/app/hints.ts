// A line of plain words under each settings field: what it does and which way to turn it. The labels
// keep the course's names (β1, L2 λ); the hints say what they mean. A hint follows its field's label and
// takes its data-for/data-optimizers marks, so it shows and hides with the field.
import { KEYS, type Key } from './settings.ts';

export const HINTS: Record<Key, string> = {
  data: 'a 2-D set you can see, handwritten digits, or your own file',
  noise: 'how far the points scatter: more is harder',
  samples: 'points made (2-D sets), or at most this many rows',
  testSplit: 'share of rows held out to test on unseen data',
  hidden: 'units per hidden layer: more fit more complex shapes',
  activation: 'the bend each unit applies; without it, layers stay linear',
  batchNorm: 'rescales each hidden layer; often trains faster',
  loss: 'what training minimises; auto suits the task',
  optimizer: 'how gradients move the weights; Adam adapts per weight',
  lr: 'the step size: too high diverges, too low crawls',
  beta1: 'how much momentum remembers (0.9: about 10 steps)',
  beta2: 'how long the gradient-size average remembers',
  l2: 'pulls weights toward 0, smoothing the fit; 0 is off',
  keepProb: 'dropout: share of hidden units kept; 1 is off',
  batchSize: 'rows per step: larger is smoother, smaller noisier',
  epochs: 'passes over the training rows',
  seed: 'fixes the data, split and start, so a run repeats',
  device: 'WebGPU is fast; the CPU reference is exact but slow',
};

/** Puts each field's hint under its label. */
export function addHints(form: HTMLFormElement): void {
  for (const key of KEYS) {
    const el = form.elements.namedItem(key);
    if (!(el instanceof HTMLInputElement || el instanceof HTMLSelectElement)) continue;
    const label = el.closest('label');
    if (!label) continue;
    const hint = document.createElement('p');
    hint.className = 'field-hint';
    hint.id = `${key}-hint`;
    hint.textContent = HINTS[key];
    for (const mark of ['for', 'optimizers'] as const) {
      const v = label.dataset[mark];
      if (v !== undefined) hint.dataset[mark] = v;
    }
    label.after(hint);
    el.setAttribute('aria-describedby', hint.id);
  }
}
