// The page's words for library messages (src/app/form-words.ts) and the regression defaults
// (src/app/settings.ts), the latter checked on the CPU reference: the classification defaults diverge on a
// regression CSV like the e2e test's, the regression ones converge.
import { describe, expect, it } from 'vitest';
import { inFormWords } from '../../src/app/form-words.ts';
import { DEFAULTS, REGRESSION_DEFAULTS, regressionSettings } from '../../src/app/settings.ts';
import { createTrainer, parseCsv, TrainerError, type OptimizerKind } from '../../src/index.ts';

/** A seeded uniform generator (a 32-bit LCG), as the e2e test's. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

/** y = sin(x1) + 0.5·x2² + noise: the e2e regression CSV's rows. */
function wave(rows: number, seed: number): { x: Float32Array; y: Float32Array } {
  const rnd = lcg(seed);
  const x = new Float32Array(2 * rows);
  const y = new Float32Array(rows);
  for (let i = 0; i < rows; i++) {
    const x1 = 6 * rnd() - 3;
    const x2 = 4 * rnd() - 2;
    x[2 * i] = x1;
    x[2 * i + 1] = x2;
    y[i] = Math.sin(x1) + 0.5 * x2 * x2 + 0.05 * (rnd() + rnd() + rnd() - 1.5);
  }
  return { x, y };
}

describe('the app messages and regression defaults', () => {
  // Test that library messages reach the page in the form's words: no option names (lr, drop: [...],
  // label: '...', the delimiter option, task: '...') where the page has a field or nothing to set.
  it('Test that library messages name the form, not the library options', () => {
    expect(
      inFormWords('loss is NaN in steps 1..25 (epoch 1); … the last known good (try a lower learning rate, lr)'),
    ).toBe('loss is NaN in steps 1..25 (epoch 1); … the last known good (try a lower learning rate)');
    const text = (col: string) =>
      `text in a feature column ('setosa'): features must be numbers; leave the column out with drop: ['${col}'] (or predict it with label: '${col}')`;
    expect(inFormWords(text('species'))).toBe(
      `text in a feature column ('setosa'): features must be numbers; choose "species" as the label column, or remove that column from the file`,
    );
    expect(
      inFormWords(
        "more than 1000 distinct values: an id or free-text column? (drop: ['id'], or label: another column)",
      ),
    ).toBe(
      'more than 1000 distinct values: an id or free-text column? (remove "id" from the file, or choose another label column)',
    );
    expect(inFormWords('need at least 2 columns; no , ; or tab delimiter found (the delimiter option sets one)')).toBe(
      'need at least 2 columns; no , ; or tab delimiter found (save the file with commas, semicolons or tabs between values)',
    );
    for (const m of [text('a'), "a numeric target? task: 'regression'", 'x (try a lower learning rate, lr)'])
      expect(inFormWords(m)).not.toMatch(/\blr\b|drop:|label:|task:|--/);
  });

  // Test that the CSV reader's own messages come out in the form's words (a text feature column).
  it("Test that the CSV reader's text-feature message comes out in the form's words", () => {
    let msg = '';
    try {
      parseCsv('a,species,y\n1,setosa,0\n2,virginica,1\n', 'iris.csv', { label: 'y' });
    } catch (e) {
      msg = inFormWords(e instanceof Error ? e.message : String(e));
    }
    expect(msg).toContain('choose "species" as the label column');
    expect(msg).not.toMatch(/drop:|label:/);
  });

  // Test that a regression gets Adam at 0.01 only while the optimizer and learning rate are the defaults.
  it('Test that the regression defaults replace only untouched optimizer settings', () => {
    expect(regressionSettings(DEFAULTS)).toEqual({ ...DEFAULTS, ...REGRESSION_DEFAULTS });
    expect(regressionSettings({ ...DEFAULTS, lr: 0.1 })).toBeUndefined();
    expect(regressionSettings({ ...DEFAULTS, optimizer: 'momentum' })).toBeUndefined();
  });

  // Test that on the CPU reference the classification defaults diverge on the regression CSV's rows and
  // the regression defaults converge (R² ≥ 0.9 on held-out rows), with the page's model and scaling.
  it('Test that the regression defaults converge where the classification defaults diverge', async () => {
    const train = wave(400, 11);
    const test = wave(100, 12);
    const run = async (s: { optimizer: OptimizerKind; lr: number }) => {
      const trainer = await createTrainer({
        inputs: 2,
        hidden: [...DEFAULTS.hidden],
        outputs: 1,
        activation: DEFAULTS.activation,
        optimizer: s.optimizer,
        device: 'cpu',
        normalize: 'standard',
        normalizeTarget: true,
        seed: DEFAULTS.seed,
      });
      try {
        await trainer.fit(train, { epochs: DEFAULTS.epochs, batchSize: DEFAULTS.batchSize, lr: s.lr, seed: 1 });
        return (await trainer.evaluate(test)).r2;
      } finally {
        trainer.destroy();
      }
    };
    const diverged = await run(DEFAULTS).catch((e: unknown) => e);
    expect(diverged instanceof TrainerError && diverged.code).toBe('diverged');
    expect(await run(REGRESSION_DEFAULTS)).toBeGreaterThan(0.9);
  });
});
