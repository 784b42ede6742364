// A drawing made into a model input the way MNIST's digits were made (LeCun et al.): the ink's bounding
// box scaled, keeping its aspect ratio, to fit a 20×20 box (area-averaged, so strokes stay grey at their
// edges), then placed in the 28×28 image so that its centre of mass is the image's centre.

/** MNIST's side, and the box the digit is scaled into. */
export const SIDE = 28;
const BOX = 20;

/** 28×28 ink values in [0, 1] (row-major, as MNIST's pixels) from `ink` [h][w] in [0, 1], or undefined
 *  when nothing is drawn. */
export function mnistPixels(ink: Float32Array, w: number, h: number): Float32Array | undefined {
  const box = inkBox(ink, w, h);
  if (!box) return undefined;
  const small = fitBox(ink, w, box);
  return centred(small.values, small.w, small.h);
}

interface Box {
  readonly x0: number;
  readonly y0: number;
  readonly w: number;
  readonly h: number;
}

/** The smallest rectangle holding every inked pixel. */
function inkBox(ink: Float32Array, w: number, h: number): Box | undefined {
  let x0 = w,
    x1 = -1,
    y0 = h,
    y1 = -1;
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      if (ink[y * w + x]! > 0) {
        x0 = Math.min(x0, x);
        x1 = Math.max(x1, x);
        y0 = Math.min(y0, y);
        y1 = Math.max(y1, y);
      }
  return x1 < 0 ? undefined : { x0, y0, w: x1 - x0 + 1, h: y1 - y0 + 1 };
}

/** The box's ink scaled so its longer side is BOX pixels: each small pixel the mean of the source
 *  pixels that fall in it (a box filter; a drawing far larger than 20 px, so no pixel is left empty). */
function fitBox(ink: Float32Array, w: number, b: Box): { values: Float32Array; w: number; h: number } {
  const scale = BOX / Math.max(b.w, b.h);
  const sw = Math.max(1, Math.round(b.w * scale));
  const sh = Math.max(1, Math.round(b.h * scale));
  const sum = new Float32Array(sw * sh);
  const count = new Float32Array(sw * sh);
  for (let y = 0; y < b.h; y++) {
    const sy = Math.min(sh - 1, Math.floor(y * scale));
    for (let x = 0; x < b.w; x++) {
      const k = sy * sw + Math.min(sw - 1, Math.floor(x * scale));
      sum[k]! += ink[(b.y0 + y) * w + b.x0 + x]!;
      count[k]! += 1;
    }
  }
  return { values: sum.map((s, k) => (count[k]! > 0 ? s / count[k]! : 0)), w: sw, h: sh };
}

/** `small` [h][w] placed in a 28×28 image with its centre of mass at the centre (14, 14), clipped. */
function centred(small: Float32Array, w: number, h: number): Float32Array {
  let m = 0,
    mx = 0,
    my = 0;
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const v = small[y * w + x]!;
      m += v;
      mx += v * (x + 0.5);
      my += v * (y + 0.5);
    }
  const dx = Math.round(SIDE / 2 - mx / m);
  const dy = Math.round(SIDE / 2 - my / m);
  const out = new Float32Array(SIDE * SIDE);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const tx = x + dx,
        ty = y + dy;
      if (tx >= 0 && tx < SIDE && ty >= 0 && ty < SIDE) out[ty * SIDE + tx] = Math.min(1, small[y * w + x]!);
    }
  return out;
}
