// One first run, as the README's library example starts one (moons, 2-16-16-1 tanh, Adam, batch 32):
// milliseconds from createTrainer to the trainer, to the plan (the fit's 'start' event) and to the
// first training step (its first 'progress' event, evalEvery 1). Runs in a page or a module Worker.
import { createTrainer, labeled, splitDataset, toyDataset, type MatmulChoice } from '../../src/index.ts';

export interface FirstRun {
  readonly where: 'page' | 'worker';
  readonly matmul: MatmulChoice;
  readonly adapter: string;
  /** The trainer's matmul line (onTune's), in order. */
  readonly tune: readonly string[];
  readonly createMs: number;
  readonly planMs: number;
  readonly firstStepMs: number;
  readonly fitMs: number;
}

export async function firstRun(where: FirstRun['where'], matmul: MatmulChoice): Promise<FirstRun> {
  const { train } = splitDataset(toyDataset('moons', 1000, 1), { testSplit: 0.2, seed: 1 });
  const tune: string[] = [];
  const t0 = performance.now();
  const since = () => performance.now() - t0;
  const trainer = await createTrainer({
    inputs: 2,
    hidden: [16, 16],
    classes: 2,
    activation: 'tanh',
    optimizer: 'adam',
    device: 'gpu',
    matmul,
    onTune: (_, line) => void tune.push(line),
  });
  const createMs = since();
  let planMs = NaN;
  let firstStepMs = NaN;
  try {
    await trainer.fit(labeled(train), {
      epochs: 1,
      batchSize: 32,
      lr: 0.01,
      evalEvery: 1,
      onEvent: (e) => {
        if (e.type === 'start') planMs = since();
        if (e.type === 'progress' && Number.isNaN(firstStepMs)) firstStepMs = since();
      },
    });
    return { where, matmul, adapter: trainer.adapter, tune, createMs, planMs, firstStepMs, fitMs: since() };
  } finally {
    trainer.destroy();
  }
}
