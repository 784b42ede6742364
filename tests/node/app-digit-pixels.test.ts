// The draw-a-digit pad's downsampling (src/app/digit-pixels.ts): MNIST's recipe of a 20×20 box and the
// centre of mass at the image's centre.
import { describe, expect, it } from 'vitest';
import { mnistPixels, SIDE } from '../../src/app/digit-pixels.ts';

const W = 280;

/** A W×W canvas with the rectangle [x0, x1) × [y0, y1) inked at full strength. */
function drawn(rects: [number, number, number, number][]): Float32Array {
  const ink = new Float32Array(W * W);
  for (const [x0, y0, x1, y1] of rects) for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) ink[y * W + x] = 1;
  return ink;
}

function centreOfMass(p: Float32Array): [number, number] {
  let m = 0,
    mx = 0,
    my = 0;
  p.forEach((v, i) => {
    m += v;
    mx += v * ((i % SIDE) + 0.5);
    my += v * (Math.floor(i / SIDE) + 0.5);
  });
  return [mx / m, my / m];
}

/** Columns and rows that hold ink. */
function extent(p: Float32Array): { w: number; h: number } {
  const xs = new Set<number>(),
    ys = new Set<number>();
  p.forEach((v, i) => {
    if (v > 0) {
      xs.add(i % SIDE);
      ys.add(Math.floor(i / SIDE));
    }
  });
  return { w: xs.size, h: ys.size };
}

describe('draw a digit: MNIST-like pixels', () => {
  it('Test that an empty pad gives no pixels', () => {
    expect(mnistPixels(new Float32Array(W * W), W, W)).toBeUndefined();
  });

  it('Test that a tall stroke is scaled to 20 pixels high, keeps its aspect ratio and is centred by its mass', () => {
    const p = mnistPixels(drawn([[130, 40, 150, 240]]), W, W)!; // 20 wide, 200 high
    expect(p.length).toBe(SIDE * SIDE);
    expect(extent(p)).toEqual({ w: 2, h: 20 });
    const [cx, cy] = centreOfMass(p);
    expect(Math.abs(cx - 14)).toBeLessThanOrEqual(0.5);
    expect(Math.abs(cy - 14)).toBeLessThanOrEqual(0.5);
    expect(Math.max(...p)).toBeLessThanOrEqual(1);
    expect(Math.min(...p)).toBeGreaterThanOrEqual(0);
  });

  it('Test that the same shape drawn small in a corner or large in the middle gives the same pixels', () => {
    // An "L": a bar and a foot; the corner one at a quarter of the size.
    const large = mnistPixels(
      drawn([
        [80, 40, 120, 240],
        [80, 200, 200, 240],
      ]),
      W,
      W,
    )!;
    const small = mnistPixels(
      drawn([
        [10, 10, 20, 60],
        [10, 50, 40, 60],
      ]),
      W,
      W,
    )!;
    expect(Array.from(small)).toEqual(Array.from(large));
    const [cx, cy] = centreOfMass(large);
    expect(Math.abs(cx - 14)).toBeLessThanOrEqual(0.5);
    expect(Math.abs(cy - 14)).toBeLessThanOrEqual(0.5);
  });

  it('Test that a stroke covering half of a small pixel gives a grey value (area average)', () => {
    // Two 5-px bars 200 px apart: each small pixel spans 10 source pixels, half of them inked.
    const p = mnistPixels(
      drawn([
        [40, 40, 45, 240],
        [235, 40, 240, 240],
      ]),
      W,
      W,
    )!;
    expect(Math.max(...p)).toBe(0.5);
    expect(p.filter((v) => v > 0).length).toBe(40);
  });
});
