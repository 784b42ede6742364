// Minimal in-page trainer: a synthetic 2-D set trained on WebGPU with the same plan and loop as the CLI.
import { targets } from '../data/dataset.ts';
import { trainTestSplit } from '../data/split.ts';
import { syntheticDataset, SYNTHETIC_NAMES, type SyntheticName } from '../data/synthetic.ts';
import { acquireDevice, type GpuContext } from '../gpu/device.ts';
import { TrainingPlan } from '../gpu/plan.ts';
import { initParams } from '../init.ts';
import { HIDDEN_ACTIVATIONS, outputsForClasses, validateSpec, type Activation, type ModelSpec } from '../model.ts';
import { runTraining, type TrainEvent } from '../train/loop.ts';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const log = $<HTMLPreElement>('log');
const write = (line: string) => (log.textContent += line + '\n');

function describe(e: TrainEvent): string | undefined {
  switch (e.type) {
    case 'start': return `${e.trainRows} train / ${e.testRows} test rows, batch ${e.batchSize}, ${e.totalSteps} steps on ${e.adapter}`;
    case 'epoch': return e.epoch % 10 === 0 || e.epoch === e.epochs ? `epoch ${e.epoch}/${e.epochs}: test acc ${e.testAccuracy === null ? 'n/a' : (100 * e.testAccuracy).toFixed(1) + '%'}` : undefined;
    case 'summary': return `done: train acc ${(100 * e.trainAccuracy).toFixed(1)}%, test acc ${e.testAccuracy === null ? 'n/a' : (100 * e.testAccuracy).toFixed(1) + '%'}, ${e.stepsPerSecond.toFixed(0)} steps/s`;
    default: return undefined;
  }
}

async function train(ctx: GpuContext, form: FormData): Promise<void> {
  const name = String(form.get('data')) as SyntheticName;
  const activation = String(form.get('activation')) as Activation;
  if (!SYNTHETIC_NAMES.includes(name) || !HIDDEN_ACTIVATIONS.includes(activation)) throw new Error('unknown data set or activation');
  const hidden = String(form.get('hidden')).split(',').filter((s) => s.trim() !== '').map(Number);
  const epochs = Number(form.get('epochs'));
  const lr = Number(form.get('lr'));
  if (!Number.isInteger(epochs) || epochs < 1) throw new Error(`epochs must be a positive integer, got '${String(form.get('epochs'))}'`);
  if (!(lr > 0) || !Number.isFinite(lr)) throw new Error(`lr must be a positive number, got '${String(form.get('lr'))}'`);
  const data = syntheticDataset(name, 1000, 1);
  const { train: tr, test: te } = trainTestSplit(data, 0.2, 1);
  const spec: ModelSpec = { sizes: [2, ...hidden, outputsForClasses(data.classes)], activation, loss: data.classes === 2 ? 'bce' : 'ce' };
  validateSpec(spec);
  const plan = await TrainingPlan.create(ctx, {
    spec, params: initParams(spec, 1), maxBatch: 32,
    train: { x: tr.x, y: targets(tr), n: tr.n }, test: { x: te.x, y: targets(te), n: te.n },
  });
  try {
    await runTraining(plan, tr.n, te.n, { epochs, batchSize: 32, lr, seed: 1, shuffle: true, evalEvery: 100 }, (e) => {
      const line = describe(e);
      if (line) write(line);
    });
  } finally {
    plan.destroy();
  }
}

async function main(): Promise<void> {
  const ctx = await acquireDevice();
  $('adapter').textContent = `Adapter: ${ctx.adapterName}`;
  const button = $<HTMLButtonElement>('train');
  $<HTMLFormElement>('form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    button.disabled = true;
    log.textContent = '';
    train(ctx, new FormData(ev.target as HTMLFormElement))
      .catch((e: unknown) => write(`error: ${e instanceof Error ? e.message : String(e)}`))
      .finally(() => (button.disabled = false));
  });
}

main().catch((e: unknown) => {
  const p = $('adapter');
  p.className = 'error';
  p.textContent = e instanceof Error ? e.message : String(e);
});
