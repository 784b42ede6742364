// destroy() during a GPU fit on a trainer that owns its device: the fit stops with TrainerError
// 'destroyed', the device's loss that follows is not taken for a real one (no 'recovered' event, no new
// device), and every buffer the trainer made is freed (the fixture counts them).
import { afterEach, describe, expect, it } from 'vitest';
import { syntheticDataset } from '../../src/data/synthetic.ts';
import { labeled } from '../../src/lib/data.ts';
import { TrainerError } from '../../src/errors.ts';
import { createTrainer } from '../../src/lib/trainer.ts';
import type { ModelSpec } from '../../src/model.ts';
import type { TrainEvent } from '../../src/train/loop.ts';
import { useDevice } from './fixture.ts';

useDevice();

const data = labeled(syntheticDataset('spiral', 240, 3));
const spec: ModelSpec = { sizes: [2, 16, 16, 3], activation: 'tanh', loss: 'ce' };
const gpu = navigator.gpu;
const requestAdapter = gpu.requestAdapter.bind(gpu);

afterEach(() => {
  gpu.requestAdapter = requestAdapter;
});

describe('destroy() during a fit', () => {
  // Test that destroy() during a GPU fit rejects it with 'destroyed', with no 'recovered' event and no
  // adapter requested after destroy().
  it("ends the fit with 'destroyed' and acquires no new device", async () => {
    const trainer = await createTrainer({ spec, device: 'gpu', matmul: 'tiled' });
    let requested = 0;
    gpu.requestAdapter = (o) => {
      requested++;
      return requestAdapter(o);
    };
    const events: TrainEvent[] = [];
    let running!: () => void;
    const started = new Promise<void>((r) => (running = r));
    const run = trainer.fit(data, {
      epochs: 400,
      batchSize: 32,
      lr: 0.3,
      evalEvery: 10,
      test: data,
      onEvent: (e) => {
        events.push(e);
        if (e.type === 'progress' && e.step >= 20) running();
      },
    });
    await started;
    trainer.destroy();
    const error = await run.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(TrainerError);
    expect((error as TrainerError).code).toBe('destroyed');
    expect(events.filter((e) => e.type === 'recovered')).toEqual([]);
    expect(requested).toBe(0);
    expect(trainer.busy).toBe(false);
  });
});
