// Seeded 2-D toy data sets (the classic decision-boundary demos). Every generator draws from one
// Rng(seed), so the same arguments always give the same bits. Classes are as balanced as n allows.
import { Rng } from '../rng.ts';
import type { Dataset } from './dataset.ts';
import { TrainerError } from '../errors.ts';

export type SyntheticName = 'spiral' | 'moons' | 'circles' | 'xor';
export const SYNTHETIC_NAMES: readonly SyntheticName[] = ['spiral', 'moons', 'circles', 'xor'];

/** cs231n's spiral: class j has points at radius r in [0, 1] and angle j*4 + 4r + noise*N(0,1). Rows grouped by class. */
export function spiral(n: number, classes = 3, noise = 0.2, seed = 1): Dataset {
  check('spiral', n, noise, seed);
  if (!Number.isInteger(classes) || classes < 2 || classes > n) {
    throw new TrainerError('bad-input', `spiral: classes must be an integer in [2, n=${n}], got ${classes}`);
  }
  const rng = new Rng(seed);
  const b = new Builder('spiral', n, classes);
  for (let j = 0; j < classes; j++) {
    const m = share(n, classes, j);
    for (let i = 0; i < m; i++) {
      const r = m === 1 ? 0 : i / (m - 1);
      const t = j * 4 + 4 * r + noise * rng.normal();
      b.push(r * Math.sin(t), r * Math.cos(t), j);
    }
  }
  return b.done();
}

/** Two interleaving half circles, as sklearn's make_moons: class 0 the upper arc, class 1 the lower one. */
export function moons(n: number, noise = 0.1, seed = 1): Dataset {
  check('moons', n, noise, seed);
  const rng = new Rng(seed);
  const b = new Builder('moons', n, 2);
  const outer = Math.floor(n / 2);
  const inner = n - outer;
  for (let i = 0; i < outer; i++) {
    const t = Math.PI * (outer === 1 ? 0 : i / (outer - 1));
    b.push(Math.cos(t) + noise * rng.normal(), Math.sin(t) + noise * rng.normal(), 0);
  }
  for (let i = 0; i < inner; i++) {
    const t = Math.PI * (inner === 1 ? 0 : i / (inner - 1));
    b.push(1 - Math.cos(t) + noise * rng.normal(), 0.5 - Math.sin(t) + noise * rng.normal(), 1);
  }
  return b.done();
}

/** A circle inside a larger one, as sklearn's make_circles: class 0 radius 1, class 1 radius `factor`. */
export function circles(n: number, noise = 0.05, factor = 0.5, seed = 1): Dataset {
  check('circles', n, noise, seed);
  if (!(factor >= 0 && factor < 1))
    throw new TrainerError('bad-input', `circles: factor must be in [0, 1), got ${factor}`);
  const rng = new Rng(seed);
  const b = new Builder('circles', n, 2);
  const outer = Math.floor(n / 2);
  const inner = n - outer;
  for (const [count, radius, label] of [
    [outer, 1, 0],
    [inner, factor, 1],
  ] as const) {
    for (let i = 0; i < count; i++) {
      const t = (2 * Math.PI * i) / count;
      b.push(radius * Math.cos(t) + noise * rng.normal(), radius * Math.sin(t) + noise * rng.normal(), label);
    }
  }
  return b.done();
}

/** Points uniform in [-1, 1]^2, label (x > 0) xor (y > 0) of the clean point, then noise*N(0,1) added.
 *  Row i lies in quadrant i mod 4, so the classes are balanced exactly while the points stay uniform. */
export function xor(n: number, noise = 0.1, seed = 1): Dataset {
  check('xor', n, noise, seed);
  const rng = new Rng(seed);
  const b = new Builder('xor', n, 2);
  for (let i = 0; i < n; i++) {
    const sx = i % 2 === 0 ? 1 : -1;
    const sy = (i >> 1) % 2 === 0 ? 1 : -1;
    const x = sx * rng.next();
    const y = sy * rng.next();
    b.push(x + noise * rng.normal(), y + noise * rng.normal(), x > 0 !== y > 0 ? 1 : 0);
  }
  return b.done();
}

/** Default noise of each toy set (standard deviation, in data units). */
export const DEFAULT_NOISE: Readonly<Record<SyntheticName, number>> = {
  spiral: 0.2,
  moons: 0.1,
  circles: 0.05,
  xor: 0.1,
};

/** One of the toy sets (spiral with 3 classes), with its default noise unless `noise` is given. */
export function syntheticDataset(name: SyntheticName, n: number, seed: number, noise = DEFAULT_NOISE[name]): Dataset {
  switch (name) {
    case 'spiral':
      return spiral(n, 3, noise, seed);
    case 'moons':
      return moons(n, noise, seed);
    case 'circles':
      return circles(n, noise, 0.5, seed);
    case 'xor':
      return xor(n, noise, seed);
  }
}

/** Rows given to class j when n rows are split over k classes as evenly as possible. */
function share(n: number, k: number, j: number): number {
  return Math.floor(n / k) + (j < n % k ? 1 : 0);
}

function check(what: string, n: number, noise: number, seed: number): void {
  if (!Number.isInteger(n) || n < 2)
    throw new TrainerError('bad-input', `${what}: n must be an integer >= 2, got ${n}`);
  if (!(noise >= 0 && Number.isFinite(noise)))
    throw new TrainerError('bad-input', `${what}: noise must be a finite number >= 0, got ${noise}`);
  if (!Number.isInteger(seed) || seed < 0)
    throw new TrainerError('bad-input', `${what}: seed must be a non-negative integer, got ${seed}`);
}

/** Fills a 2-feature data set row by row. */
class Builder {
  readonly name: string;
  readonly n: number;
  readonly classes: number;
  readonly x: Float32Array;
  readonly labels: Uint32Array;
  row = 0;
  constructor(name: string, n: number, classes: number) {
    this.name = name;
    this.n = n;
    this.classes = classes;
    this.x = new Float32Array(n * 2);
    this.labels = new Uint32Array(n);
  }
  push(x: number, y: number, label: number): void {
    this.x[this.row * 2] = x;
    this.x[this.row * 2 + 1] = y;
    this.labels[this.row++] = label;
  }
  done(): Dataset {
    if (this.row !== this.n)
      throw new TrainerError('bad-input', `${this.name}: generated ${this.row} rows, expected ${this.n}`);
    return { name: this.name, n: this.n, features: 2, classes: this.classes, x: this.x, labels: this.labels };
  }
}
