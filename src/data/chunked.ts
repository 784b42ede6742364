// A typed array that grows while rows are read (the CSV reader's columns), without copying as it grows.
export type Typed = Float32Array | Uint32Array;

/** A typed array that grows by fixed chunks, so growing never copies; finish() copies once (or not at
 *  all when reserve() sized the first chunk well). */
export class Chunked<T extends Typed> {
  private readonly full: T[] = [];
  cur: T;
  pos = 0;
  constructor(
    private readonly make: (n: number) => T,
    private readonly size: number,
  ) {
    this.cur = make(size);
  }
  /** Offset in `cur` of `width` new values (width divides every chunk's size). */
  next(width: number): number {
    if (this.pos === this.cur.length) {
      this.full.push(this.cur);
      this.cur = this.make(this.size);
      this.pos = 0;
    }
    const at = this.pos;
    this.pos += width;
    return at;
  }
  /** Makes the current chunk `n` values long (a multiple of the row width), for an expected total. */
  reserve(n: number): void {
    if (this.full.length > 0 || n <= this.cur.length) return;
    const big = this.make(n);
    big.set(this.cur.subarray(0, this.pos));
    this.cur = big;
  }
  finish(): T {
    if (this.full.length === 0 && this.pos >= this.cur.length * 0.875) return this.cur.subarray(0, this.pos) as T;
    const total = this.full.reduce((s, c) => s + c.length, 0) + this.pos;
    const out = this.make(total);
    let o = 0;
    for (let i = 0; i < this.full.length; i++) {
      out.set(this.full[i]!, o);
      o += this.full[i]!.length;
      this.full[i] = this.make(0); // each chunk can go as soon as it is copied
    }
    out.set(this.cur.subarray(0, this.pos), o);
    this.cur = this.make(0);
    return out;
  }
}
