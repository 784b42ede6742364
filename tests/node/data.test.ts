import { describe, it, expect } from 'vitest';
import type { Dataset } from '../../src/data/dataset.ts';
import { loadMnist } from '../../src/data/mnist.ts';
import { trainTestSplit } from '../../src/data/split.ts';
import { circles, moons, spiral, SYNTHETIC_NAMES, syntheticDataset, xor } from '../../src/data/synthetic.ts';

function classCounts(d: Dataset): number[] {
  const counts = new Array<number>(d.classes).fill(0);
  for (const l of d.labels) counts[l] = counts[l]! + 1;
  return counts;
}

describe('mnist', () => {
  // Test that the package's 10,000 digits load in file order with the known per-digit counts and pixels in [0, 1].
  it('loads 10000 rows of 784 pixels, 10 classes', () => {
    const d = loadMnist();
    expect(d).toMatchObject({ name: 'mnist', n: 10000, features: 784, classes: 10 });
    expect(d.x.length).toBe(10000 * 784);
    expect(classCounts(d)).toEqual([1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978]);
    expect(d.labels.every((l, i) => i === 0 || l >= d.labels[i - 1]!)).toBe(true);
    expect(d.x.every((v) => v >= 0 && v <= 1)).toBe(true);
    expect(Math.max(...d.x.subarray(0, 784))).toBeGreaterThan(0.5); // the first image is not blank
  });
});

describe('synthetic', () => {
  for (const name of SYNTHETIC_NAMES) {
    // Test that each toy set is a pure function of (n, seed), has 2 finite features and balanced classes.
    it(`${name} is deterministic per seed and balanced`, () => {
      const a = syntheticDataset(name, 301, 5);
      const b = syntheticDataset(name, 301, 5);
      const c = syntheticDataset(name, 301, 6);
      expect(a).toEqual(b);
      expect(a.x).not.toEqual(c.x);
      expect(a).toMatchObject({ name, n: 301, features: 2, classes: name === 'spiral' ? 3 : 2 });
      expect(a.x.every(Number.isFinite)).toBe(true);
      const counts = classCounts(a);
      expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
    });
  }

  // Test that with no noise each set lands exactly on its defining curve.
  it('noise-free points lie on the defining shapes', () => {
    const s = spiral(40, 4, 0, 1);
    for (let i = 0; i < s.n; i++) {
      const [x, y] = [s.x[2 * i]!, s.x[2 * i + 1]!];
      const r = Math.hypot(x, y);
      const t = s.labels[i]! * 4 + 4 * r; // angle measured from the y axis: (x, y) = r (sin t, cos t)
      if (r > 1e-6) expect(Math.abs(x - r * Math.sin(t)) + Math.abs(y - r * Math.cos(t))).toBeLessThan(1e-5);
    }
    const c = circles(10, 0, 0.3, 1);
    for (let i = 0; i < c.n; i++)
      expect(Math.hypot(c.x[2 * i]!, c.x[2 * i + 1]!)).toBeCloseTo(c.labels[i] === 0 ? 1 : 0.3, 5);
    const m = moons(20, 0, 1);
    for (let i = 0; i < m.n; i++) {
      const [x, y] = [m.x[2 * i]!, m.x[2 * i + 1]!];
      const dist = m.labels[i] === 0 ? Math.hypot(x, y) : Math.hypot(x - 1, y - 0.5);
      expect(dist).toBeCloseTo(1, 5);
      expect(m.labels[i] === 0 ? y >= -1e-6 : y <= 0.5 + 1e-6).toBe(true);
    }
    const q = xor(100, 0, 1);
    for (let i = 0; i < q.n; i++) {
      const [x, y] = [q.x[2 * i]!, q.x[2 * i + 1]!];
      expect(Math.abs(x) <= 1 && Math.abs(y) <= 1).toBe(true);
      expect(q.labels[i]).toBe(x > 0 !== y > 0 ? 1 : 0);
    }
  });

  // Test that bad generator arguments are rejected with the generator and value named.
  it('validates arguments', () => {
    expect(() => spiral(1)).toThrow('spiral: n must be an integer >= 2, got 1');
    expect(() => spiral(10, 1)).toThrow('spiral: classes must be an integer in [2, n=10], got 1');
    expect(() => moons(10, -1)).toThrow('moons: noise must be a finite number >= 0, got -1');
    expect(() => circles(10, 0.05, 1)).toThrow('circles: factor must be in [0, 1), got 1');
    expect(() => xor(10, 0.1, 1.5)).toThrow('xor: seed must be a non-negative integer, got 1.5');
  });
});

describe('trainTestSplit', () => {
  const d = syntheticDataset('moons', 101, 3);
  const key = (s: Dataset, i: number): string => `${s.x[2 * i]},${s.x[2 * i + 1]},${s.labels[i]}`;

  // Test that the split sizes are round(n*f) and n - round(n*f), the two sides are disjoint and together cover every row.
  it('splits into disjoint parts of the right sizes', () => {
    const { train, test } = trainTestSplit(d, 0.2, 9);
    expect([train.n, test.n]).toEqual([81, 20]);
    expect([train.features, train.classes, test.features, test.classes]).toEqual([2, 2, 2, 2]);
    const all = new Set(Array.from({ length: d.n }, (_, i) => key(d, i)));
    expect(all.size).toBe(d.n); // rows are distinct, so keys identify them
    const trainKeys = new Set(Array.from({ length: train.n }, (_, i) => key(train, i)));
    const testKeys = Array.from({ length: test.n }, (_, i) => key(test, i));
    expect(testKeys.some((k) => trainKeys.has(k))).toBe(false);
    expect(new Set([...trainKeys, ...testKeys])).toEqual(all);
  });

  // Test that the split is a function of the seed.
  it('is deterministic per seed', () => {
    expect(trainTestSplit(d, 0.3, 4)).toEqual(trainTestSplit(d, 0.3, 4));
    expect(trainTestSplit(d, 0.3, 4).test.x).not.toEqual(trainTestSplit(d, 0.3, 5).test.x);
  });

  // Test that fraction 0 gives an empty test set and out-of-range fractions are rejected.
  it('handles fraction 0 and rejects bad fractions', () => {
    const { train, test } = trainTestSplit(d, 0, 1);
    expect([train.n, test.n, test.x.length]).toEqual([101, 0, 0]);
    expect(() => trainTestSplit(d, 1, 1)).toThrow('test fraction must be in [0, 1), got 1');
    expect(() => trainTestSplit(d, -0.1, 1)).toThrow('test fraction must be in [0, 1), got -0.1');
    expect(() => trainTestSplit(d, NaN, 1)).toThrow('got NaN');
    expect(() => trainTestSplit(syntheticDataset('xor', 2, 1), 0.9, 1)).toThrow(/leaves no training rows/);
  });
});
