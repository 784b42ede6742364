// The software-adapter notice in the browser: probeAdapter's answer and every fit's start event carry it
// on SwiftShader (CI's adapter), and neither does on a hardware adapter.
import { describe, expect, it } from 'vitest';
import { createTrainer, probeAdapter, type TrainEvent } from '../../src/index.ts';

describe('software adapter notice', () => {
  // Test that probeAdapter and a fit's start event name SwiftShader as a software adapter (and a GPU not).
  it('is in probeAdapter and in the start event on SwiftShader only', async () => {
    const probe = await probeAdapter();
    await probe.tune;
    const swift = /swiftshader/i.test(probe.name);
    if (swift) expect(probe.software).toMatch(/is a software one \(SwiftShader.*training runs on the CPU/);
    else expect(probe.software).toBeUndefined();

    const trainer = await createTrainer({ inputs: 2, hidden: [4], classes: 2 });
    try {
      const events: TrainEvent[] = [];
      const x = Float32Array.from({ length: 16 }, (_, i) => (i % 3) - 1);
      const labels = Uint32Array.from({ length: 8 }, (_, i) => i % 2);
      await trainer.fit({ x, labels }, { epochs: 1, batchSize: 4, lr: 0.1, onEvent: (e) => events.push(e) });
      const start = events.find((e) => e.type === 'start');
      if (start?.type !== 'start') throw new Error('no start event');
      expect(start.software).toBe(probe.software);
    } finally {
      trainer.destroy();
    }
  });
});
