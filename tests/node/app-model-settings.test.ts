// A model file's settings for the form (src/app/model-settings.ts): architecture from the tensors,
// the rest from trainedWith, what cannot be taken named; a CSV's columns checked against the model's.
import { describe, expect, it } from 'vitest';
import { initParams, type SavedModel } from '../../src/index.ts';
import { columnsProblem, settingsFromModel } from '../../src/app/model-settings.ts';
import { DEFAULTS, runRecord } from '../../src/app/settings.ts';

const spec = { sizes: [2, 12, 6, 1], activation: 'tanh', loss: 'bce', batchNorm: true } as const;
const model = (info: SavedModel['info']): SavedModel => ({ spec, params: initParams(spec, 1), info });

describe('model file → form settings', () => {
  it('Test that the page’s own record comes back as the settings that made it, architecture from the tensors', () => {
    const made = {
      ...DEFAULTS,
      data: 'moons' as const,
      samples: 300,
      lr: 0.2,
      l2: 0.001,
      seed: 3,
      hidden: [12, 6],
      activation: 'tanh' as const,
      batchNorm: true,
    };
    const r = settingsFromModel(model({ trainedWith: { ...runRecord(made), device: 'cpu' } }), DEFAULTS);
    expect(r.settings).toEqual(made); // the device stays this page's
    expect(r.notes).toEqual([]);
    expect(r.columns).toBeUndefined();
  });

  it('Test that a record the form cannot take (a CLI data path) keeps the current value and says so', () => {
    const r = settingsFromModel(model({ trainedWith: { data: 'runs/iris.csv', lr: 0.05, epochs: 7 } }), DEFAULTS);
    expect(r.settings).toMatchObject({ data: 'spiral', lr: 0.05, epochs: 7, hidden: [12, 6], loss: 'bce' });
    expect(r.notes).toEqual([
      "the file's data set was not used (data set must be one of spiral, moons, circles, xor, mnist, csv, got 'runs/iris.csv')",
    ]);
  });

  it('Test that a file without a record sets the architecture only, and names its columns', () => {
    const r = settingsFromModel(model({ featureNames: ['a', 'b'], labelName: 'y' }), { ...DEFAULTS, lr: 0.07 });
    expect(r.settings).toMatchObject({ lr: 0.07, hidden: [12, 6], activation: 'tanh', batchNorm: true, loss: 'bce' });
    expect(r.notes).toEqual(['the file records no training settings: the architecture is set, the rest kept']);
    expect(r.columns).toEqual({ label: 'y', features: ['a', 'b'] });
  });

  it('Test that a CSV fits only with every column of the model, inputs in the model’s order', () => {
    const cols = { label: 'y', features: ['a', 'b'] };
    expect(columnsProblem(cols, ['a', 'y', 'b'])).toBeUndefined();
    expect(columnsProblem(cols, ['a', 'c'])).toBe('the file has no columns "y", "b"');
    expect(columnsProblem(cols, ['b', 'a', 'y'])).toBe(
      "the model takes the columns a, b in that order; the file's inputs are b, a",
    );
  });
});
