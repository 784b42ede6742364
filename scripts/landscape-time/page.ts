// The page half of scripts/landscape-time.ts: the app's default spiral net (1000 rows, hidden 32,32
// relu, 3 classes: softmax CE), trained a few epochs, then Trainer.lossSurface (41×41 points) timed: the first call (which
// compiles the kernel) and `repeat` more, each from the call to the costs read back.
import { createTrainer, labeled, toyDataset } from '../../src/index.ts';

export interface SurfaceTime {
  readonly adapter: string;
  readonly rows: number;
  readonly points: number;
  readonly firstMs: number;
  readonly ms: number[];
  readonly centre: number;
}

const hooks = window as unknown as Window & {
  __surfaceDone(r: SurfaceTime): void;
  __surfaceError(m: string): void;
};

async function measure(repeat: number): Promise<SurfaceTime> {
  const data = labeled(toyDataset('spiral', 1000, 1));
  const trainer = await createTrainer({ inputs: 2, hidden: [32, 32], classes: 3, activation: 'relu', seed: 1 });
  try {
    await trainer.fit(data, { epochs: 5, batchSize: 32, lr: 0.3 });
    const time = async () => {
      const t0 = performance.now();
      const s = await trainer.lossSurface(data);
      return { ms: performance.now() - t0, s };
    };
    const first = await time();
    const ms: number[] = [];
    for (let i = 0; i < repeat; i++) ms.push((await time()).ms);
    const n = first.s.size;
    return {
      adapter: trainer.adapter,
      rows: 1000,
      points: n * n,
      firstMs: first.ms,
      ms,
      centre: first.s.cost[(n * n - 1) / 2]!,
    };
  } finally {
    trainer.destroy();
  }
}

const repeat = Number(new URLSearchParams(location.search).get('repeat') ?? 3);
measure(repeat).then(
  (r) => void hooks.__surfaceDone(r),
  (e: unknown) => void hooks.__surfaceError(e instanceof Error ? e.message : String(e)),
);
