import { describe, expect, it } from 'vitest';
import { DEFAULTS } from '../../src/app/settings.ts';
import { APP_MAX_TRIALS, sweepTrials, trialLabel } from '../../src/app/sweep.ts';

describe('web app sweep fields', () => {
  // Test that the fields expand as the CLI's --sweep does, around the settings' values.
  it('expands a grid and a random search around the settings', () => {
    const s = { ...DEFAULTS, lr: 0.3, l2: 0.01, seed: 7 };
    const grid = sweepTrials('lr=0.1,0.5, seed=1..2', '', s);
    expect(grid.search).toBe('grid');
    expect(grid.swept).toEqual(['lr', 'seed']);
    expect(grid.trials.map((t) => t.hyper)).toEqual([
      { lr: 0.1, l2: 0.01, keepProb: 1, beta1: 0.9, beta2: 0.999, seed: 1 },
      { lr: 0.1, l2: 0.01, keepProb: 1, beta1: 0.9, beta2: 0.999, seed: 2 },
      { lr: 0.5, l2: 0.01, keepProb: 1, beta1: 0.9, beta2: 0.999, seed: 1 },
      { lr: 0.5, l2: 0.01, keepProb: 1, beta1: 0.9, beta2: 0.999, seed: 2 },
    ]);
    expect(trialLabel(grid.trials[1]!, grid.swept)).toBe('lr 0.1 · seed 2');
    const random = sweepTrials(' lr=log:1e-3:1, keep=0.5,0.9999 ', ' 5 ', s);
    expect(random.search).toBe('random');
    expect(random.trials.length).toBe(5);
    expect(sweepTrials('lr=log:1e-3:1, keep=0.5,0.9999', '5', s).trials).toEqual(random.trials); // seeded by the settings' seed
    expect(random.trials.every((t) => t.hyper.lr >= 1e-3 && t.hyper.lr <= 1 && t.hyper.seed === 7)).toBe(true);
    expect(
      trialLabel({ index: 0, hyper: { ...random.trials[0]!.hyper, lr: 0.0031623, keepProb: 0.9999 } }, random.swept),
    ).toBe('lr 3.16e-3 · keep 0.9999');
  });

  // Test that every bad input gets a message quoting it, in the app's words.
  it('refuses bad specs, counts and no-effect parameters', () => {
    const s = DEFAULTS; // sgd, hidden [32, 32]
    const fails =
      (spec: string, trials: string, settings = s) =>
      () =>
        sweepTrials(spec, trials, settings);
    expect(fails('lr=0.1, foo=3', '')).toThrow("sweep spec: unknown parameter 'foo' in 'foo=3'");
    expect(fails('', '')).toThrow('sweep spec: empty');
    expect(fails('lr=0.1,0.2', 'two')).toThrow(
      "trials: expected a whole number (or nothing for the whole grid), got 'two'",
    );
    expect(fails('lr=log:1e-3:1', '')).toThrow('give the number of trials (fill in trials)');
    expect(fails('lr=0.1,0.2', '3')).toThrow('3 trials asked of a grid of 2 points');
    expect(fails('beta2=0.99,0.999', '')).toThrow(
      "sweep spec: 'beta2=0.99,0.999' has no effect with the sgd optimizer (beta2 is used by rmsprop and adam)",
    );
    expect(sweepTrials('beta2=0.99,0.999', '', { ...s, optimizer: 'adam' }).trials.length).toBe(2);
    expect(fails('keep=0.5,1', '', { ...s, hidden: [] })).toThrow('has no effect without hidden layers');
    expect(fails(`seed=1..${APP_MAX_TRIALS + 1}`, '')).toThrow(
      `sweep: ${APP_MAX_TRIALS + 1} trials, the app runs at most ${APP_MAX_TRIALS}`,
    );
  });
});
