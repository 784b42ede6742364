import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { batcher } from '../../src/cli/batch.ts';

describe('batcher (the runner page to the CLI)', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  // Test that messages within one window go in one call, in order, and a later window in another.
  it('sends one batch per window, in order', async () => {
    const sent: number[][] = [];
    const b = batcher(async (ms: number[]) => void sent.push(ms), 100);
    for (let i = 0; i < 5; i++) b.push(i);
    expect(sent).toEqual([]);
    await vi.advanceTimersByTimeAsync(100);
    b.push(5);
    b.push(6);
    await vi.advanceTimersByTimeAsync(100);
    expect(sent).toEqual([
      [0, 1, 2, 3, 4],
      [5, 6],
    ]);
  });

  // Test that an urgent message goes at once with what was queued before it, and flush sends the rest.
  it('sends an urgent message at once and flushes the queue', async () => {
    const sent: string[][] = [];
    const b = batcher(async (ms: string[]) => void sent.push(ms), 100);
    b.push('a');
    b.push('start', true);
    await vi.advanceTimersByTimeAsync(0);
    expect(sent).toEqual([['a', 'start']]);
    b.push('b');
    await b.flush();
    expect(sent).toEqual([['a', 'start'], ['b']]);
    await vi.advanceTimersByTimeAsync(200);
    expect(sent).toHaveLength(2);
  });

  // Test that flush waits for a slow delivery and that a failed batch does not stop the next ones.
  it('delivers in order past a failed batch', async () => {
    const sent: number[][] = [];
    let calls = 0;
    const b = batcher(async (ms: number[]) => {
      calls++;
      if (calls === 1) throw new Error('the CLI is gone');
      await new Promise((r) => setTimeout(r, 50));
      sent.push(ms);
    }, 100);
    b.push(1);
    await expect(b.flush()).rejects.toThrow('the CLI is gone');
    b.push(2);
    const done = b.flush();
    await vi.advanceTimersByTimeAsync(50);
    await done;
    expect(sent).toEqual([[2]]);
  });
});
