// Names travel: a CSV's header and label column reach the model file, its info and the ONNX export through
// labeled(parseCsv(…)) → fit → save, without the caller passing info by hand; info given by hand wins.
import { describe, expect, it } from 'vitest';
import {
  createTrainer,
  decodeModel,
  labeled,
  parseCsv,
  TrainerError,
  type Dataset,
  type TrainerOptions,
} from '../../src/index.ts';
import { Rng } from '../../src/rng.ts';

const rng = new Rng(3);
const SPECIES = ['setosa', 'versicolor', 'virginica'];

// Three text classes around different centres, in two named measurements, and an id column dropped.
const irisCsv = [
  'id,sepal length,petal width,species',
  ...Array.from({ length: 60 }, (_, i) => {
    const c = i % 3;
    return `${i},${(4 + c + 0.3 * rng.normal()).toFixed(3)},${(c + 0.2 * rng.normal()).toFixed(3)},${SPECIES[c]}`;
  }),
].join('\n');

// Two regression targets of a known function of two inputs.
const fnCsv = [
  'a,b,area,perimeter',
  ...Array.from({ length: 50 }, () => {
    const [a, b] = [rng.next() + 0.5, rng.next() + 0.5];
    return [a, b, a * b, 2 * (a + b)].map((v) => v.toFixed(4)).join(',');
  }),
].join('\n');

async function trainAndReload(d: Dataset, o: TrainerOptions) {
  const t = await createTrainer({ inputs: d.features, hidden: [8], device: 'cpu', ...o });
  try {
    await t.fit(labeled(d), { epochs: 2, batchSize: 16, lr: 0.05 });
    const saved = decodeModel(await t.save());
    const onnx = new TextDecoder().decode(await t.exportOnnx());
    return { info: t.info, saved, onnx };
  } finally {
    t.destroy();
  }
}

describe('names from the data reach the model', () => {
  // Test that a classifier fitted on labeled(parseCsv(…)) saves the class, feature and label names, keeps
  // them through a reload, and writes them into the ONNX export's metadata.
  it('classification: classNames, featureNames and labelName from the CSV', async () => {
    const d = parseCsv(irisCsv, 'iris', { drop: ['id'] });
    const { info, saved, onnx } = await trainAndReload(d, { classes: 3 });
    expect(info.classNames).toEqual(SPECIES);
    expect(saved.info.classNames).toEqual(SPECIES);
    expect(saved.info.featureNames).toEqual(['sepal length', 'petal width']);
    expect(saved.info.labelName).toBe('species');
    expect(onnx).toContain(JSON.stringify(SPECIES));
    expect(onnx).toContain(JSON.stringify(['sepal length', 'petal width']));
    const again = await createTrainer({ model: saved, device: 'cpu' });
    expect(decodeModel(await again.save()).info.classNames).toEqual(SPECIES);
    again.destroy();
  });

  // Test that names passed by hand in createTrainer's info win over the rows' names, field by field.
  it('info given by hand wins', async () => {
    const d = parseCsv(irisCsv, 'iris', { drop: ['id'] });
    const { saved } = await trainAndReload(d, { classes: 3, info: { classNames: ['a', 'b', 'c'] } });
    expect(saved.info.classNames).toEqual(['a', 'b', 'c']);
    expect(saved.info.featureNames).toEqual(['sepal length', 'petal width']);
  });

  // Test that a regression model on two label columns saves the target and feature names.
  it('regression: targetNames and featureNames from the CSV', async () => {
    const d = parseCsv(fnCsv, 'fn', { label: ['area', 'perimeter'] });
    const { saved, onnx } = await trainAndReload(d, { outputs: 2, normalizeTarget: true });
    expect(saved.info.task).toBe('regression');
    expect(saved.info.targetNames).toEqual(['area', 'perimeter']);
    expect(saved.info.featureNames).toEqual(['a', 'b']);
    expect(saved.info.classNames).toBeUndefined();
    expect(onnx).toContain(JSON.stringify(['area', 'perimeter']));
  });

  // Test that class names that do not fit the model (3 names, 4 outputs) stop the fit with 'bad-input'
  // naming both counts, rather than misnaming the outputs.
  it('names that do not fit the model are an error', async () => {
    const d = parseCsv(irisCsv, 'iris', { drop: ['id'] });
    const t = await createTrainer({ inputs: 2, classes: 4, device: 'cpu' });
    const e = await t.fit(labeled(d), { epochs: 1, batchSize: 16, lr: 0.05 }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(TrainerError);
    expect((e as TrainerError).code).toBe('bad-input');
    expect((e as TrainerError).message).toMatch(/^fit: train: the rows' names do not fit the model .*3 class names/);
    t.destroy();
  });
});
