// The app's live steps/s and time left (src/app/rate.ts), fed synthetic streams of progress readings
// that arrive as they do in the page: a period's statistics settle a period late, the last two of an
// epoch together, several at once when the GPU queue drains, after a startup of seconds (compiling), with
// an evaluation after every epoch. No real clock: each reading carries the run's seconds.
import { describe, expect, it } from 'vitest';
import { RateEstimator } from '../../src/app/rate.ts';

interface Stream {
  readonly name: string;
  /** Steps per second while training. */
  readonly rate: number;
  readonly period: number;
  readonly stepsPerEpoch: number;
  readonly epochs: number;
  /** Seconds of evaluation after every epoch. */
  readonly evalSeconds: number;
  /** Seconds before the first step (pipelines compiled, data uploaded). */
  readonly startup: number;
  /** When the reading of the period ending at `done` seconds arrives, given its index. */
  readonly arrives: (k: number, done: number, periodDone: (k: number) => number) => number;
}

/** The readings of a stream, in arrival order, with the training's true mean rate (evaluations in). */
function readings(s: Stream): { trueRate: number; total: number; list: { step: number; t: number }[] } {
  const epochSeconds = s.stepsPerEpoch / s.rate + s.evalSeconds;
  const doneAt = (step: number) => {
    const epoch = Math.floor((step - 1) / s.stepsPerEpoch);
    return s.startup + epoch * epochSeconds + (step - epoch * s.stepsPerEpoch) / s.rate;
  };
  const total = s.stepsPerEpoch * s.epochs;
  const ends: number[] = [];
  for (let e = 0; e < s.epochs; e++) {
    for (let k = s.period; k < s.stepsPerEpoch; k += s.period) ends.push(e * s.stepsPerEpoch + k);
    ends.push((e + 1) * s.stepsPerEpoch);
  }
  const periodDone = (k: number) => doneAt(ends[Math.min(k, ends.length - 1)]!);
  // Read-backs come back in order: none arrives before the one queued ahead of it.
  let last = 0;
  const list = ends.map((step, k) => ({ step, t: (last = Math.max(last, s.arrives(k, doneAt(step), periodDone))) }));
  return { trueRate: total / (s.epochs * epochSeconds), total, list };
}

/** A seeded uniform generator, so the irregular stream is the same every run. */
function lcg(seed: number): () => number {
  let x = seed >>> 0;
  return () => (x = (Math.imul(x, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

const rnd = lcg(9);
const jitter = Array.from({ length: 10_000 }, () => rnd());

const STREAMS: Stream[] = [
  {
    // The default spiral run on SwiftShader: 25 steps an epoch, progress every 6, read a period late.
    name: 'a period late',
    rate: 220,
    period: 6,
    stepsPerEpoch: 25,
    epochs: 40,
    evalSeconds: 0.004,
    startup: 12,
    arrives: (k, _done, periodDone) => periodDone(k + 1) + 0.002,
  },
  {
    // The queue drains every 8 periods: eight readings at once, the oldest 7 periods late.
    name: 'bursts of 8',
    rate: 220,
    period: 6,
    stepsPerEpoch: 200,
    epochs: 10,
    evalSeconds: 0.05,
    startup: 3,
    arrives: (k, _done, periodDone) => periodDone(8 * Math.floor(k / 8) + 8) + 0.01,
  },
  {
    // The queue drains at random: bursts of 1 to 8 periods (up to 0.2 s late), with up to 30 ms more latency.
    name: 'irregular bursts',
    rate: 220,
    period: 6,
    stepsPerEpoch: 100,
    epochs: 20,
    evalSeconds: 0.02,
    startup: 5,
    arrives: (k, _done, periodDone) => periodDone(k + Math.floor(8 * jitter[k]!)) + 0.03 * jitter[k + 1]!,
  },
  {
    // Long epochs: an evaluation of a second after 20 s of steps, progress every 50 steps read a period late.
    name: 'long epochs',
    rate: 150,
    period: 50,
    stepsPerEpoch: 3000,
    epochs: 4,
    evalSeconds: 1,
    startup: 8,
    arrives: (k, _done, periodDone) => periodDone(k + 1) + 0.03 * jitter[k]!,
  },
];

describe('the app steps/s and time left', () => {
  for (const s of STREAMS)
    // Test that the rate stays within 20% of the true rate, and time left within 20% (or half a second)
    // of the true time left, at every reading after the first second of readings.
    it(`Test that the windowed rate stays within 20% of the true one: ${s.name}`, () => {
      const { trueRate, total, list } = readings(s);
      const est = new RateEstimator(s.stepsPerEpoch);
      let naiveWorst = 1;
      let prev: { step: number; t: number } | undefined;
      for (const r of list) {
        est.add(r.step, r.t);
        if (prev && r.t > prev.t) {
          const naive = (r.step - prev.step) / (r.t - prev.t) / trueRate;
          naiveWorst = Math.max(naiveWorst, naive, 1 / naive);
        }
        prev = r;
        if (r.t < list[0]!.t + 1) continue;
        const rate = est.rate;
        expect(rate, `no rate at ${r.t.toFixed(2)} s`).toBeDefined();
        expect(Math.abs(rate! / trueRate - 1), `rate ${rate} at ${r.t.toFixed(2)} s, true ${trueRate}`).toBeLessThan(
          0.2,
        );
        const trueLeft = (total - r.step) / trueRate;
        const left = est.secondsLeft(total)!;
        expect(Math.abs(left - trueLeft), `${left} s left at step ${r.step}, truly ${trueLeft}`).toBeLessThan(
          0.2 * trueLeft + 0.5,
        );
      }
      // The stream is as bursty as the page's: a rate between two readings would be off by far more.
      expect(naiveWorst).toBeGreaterThan(3);
    });

  // Test that a reset (resume after a pause) and a step count that goes back (a device lost, the run
  // back at its checkpoint) start the window over, so neither the pause nor the lost steps count.
  it('Test that a reset and a step count that goes back start the window over', () => {
    const est = new RateEstimator();
    for (let t = 0; t <= 2; t += 0.1) est.add(Math.round(100 * t), t);
    expect(est.rate).toBeCloseTo(100, 6);
    est.reset();
    est.add(200, 60); // after a minute's pause
    expect(est.rate).toBeUndefined();
    for (let t = 60.1; t <= 62; t += 0.1) est.add(200 + Math.round(100 * (t - 60)), t);
    expect(est.rate).toBeCloseTo(100, 0);
    est.add(100, 62.2); // back at a checkpoint
    expect(est.rate).toBeUndefined();
  });
});
