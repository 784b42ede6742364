// The PyTorch export run by Python with torch (Debian's python3-torch; npm test stops at once without it):
// model.py's module against predict, one step of train.py against the float64 reference's step, its CSV
// reader against ours, and two DistributedDataParallel ranks against `npm run train -- --device cpu`.
// Each part starts Python once (importing torch takes seconds) and runs all its cases in that process.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compare, TOL } from '../../src/check.ts';
import { initParams } from '../../src/init.ts';
import { readCsvFile } from '../../src/node.ts';
import { decodeModel, encodeModel, type ModelInfo, type SavedModel } from '../../src/lib/model-file.ts';
import { pytorchFiles } from '../../src/lib/pytorch-export.ts';
import { referencePredict } from '../../src/lib/reference-predict.ts';
import { HIDDEN_ACTIVATIONS, LOSSES, layerTensors, type ModelSpec, type Params } from '../../src/model.ts';
import { toParams64, trainStep, zeroState } from '../../src/reference/mlp.ts';
import { Rng } from '../../src/rng.ts';
import { OPTIMIZERS, resolveConfig, type OptimizerKind } from '../../src/train/backend.ts';
import { requirePythonWithTorch } from '../../src/cli/python.ts';
import { events, runPredict, runTrain } from './cli.ts';
import { randomNormalization, randomParams, randomRows } from './random-params.ts';

const PYTHON = requirePythonWithTorch();
const dir = mkdtempSync(join(tmpdir(), 'pytorch-export-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs Python code in `cwd` (the exported files import each other from there); its stdout. */
function python(code: string, cwd: string, timeoutMs = 60_000): string {
  const r = spawnSync(PYTHON, ['-c', code], { cwd, encoding: 'utf8', timeout: timeoutMs });
  if (r.status !== 0) throw new Error(`python exited ${r.status}:\n${r.stderr}\n${r.stdout}`);
  return r.stdout;
}

/** Writes a model's PyTorch files into a fresh directory under `dir`; returns it. */
function exportTo(name: string, model: SavedModel, epochs?: number): string {
  const out = join(dir, name);
  rmSync(out, { recursive: true, force: true });
  const files = pytorchFiles(model, epochs !== undefined ? { epochs } : {});
  for (const [file, content] of Object.entries(files)) {
    spawnSync('mkdir', ['-p', out]);
    writeFileSync(join(out, file), content);
  }
  return out;
}

const f32 = (path: string): Float32Array => {
  const b = readFileSync(path);
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
};

describe('model.py against predict', () => {
  const NORMS = ['none', 'standard', 'minmax'] as const;
  const ROWS = 37;
  const cases: { name: string; model: SavedModel; x: Float32Array }[] = [];
  HIDDEN_ACTIVATIONS.forEach((activation) =>
    LOSSES.forEach((loss) =>
      [false, true].forEach((batchNorm) =>
        NORMS.forEach((norm) => {
          const seed = cases.length;
          const spec: ModelSpec = { sizes: [5, 8, 6, loss === 'bce' ? 1 : 4], activation, loss, batchNorm };
          const info: ModelInfo = norm === 'none' ? {} : { normalization: randomNormalization(norm, 5, seed) };
          const name = `${activation}/${loss}/batch norm ${batchNorm}/${norm}`;
          cases.push({ name, model: { spec, params: randomParams(spec, seed), info }, x: randomRows(ROWS, 5, seed) });
        }),
      ),
    ),
  );
  // Regression: targets standardised for training come back in their units (of order 1, as the ONNX test's:
  // 1e-5 is below float32's spacing past 128).
  for (const batchNorm of [false, true]) {
    const spec: ModelSpec = { sizes: [5, 7, 2], activation: 'tanh', loss: 'mse', batchNorm };
    const info: ModelInfo = {
      task: 'regression',
      normalization: randomNormalization('standard', 5, 90),
      targetNormalization: { method: 'standard', shift: [0.5, -1.2], scale: [0.25, 2] },
    };
    const seed = cases.length;
    cases.push({
      name: `regression, batch norm ${batchNorm}`,
      model: { spec, params: randomParams(spec, seed), info },
      x: randomRows(ROWS, 5, seed),
    });
  }
  let where = '';
  let maxDiff = 0;

  beforeAll(() => {
    where = exportTo('forward', cases[0]!.model);
    cases.forEach((c, i) => {
      writeFileSync(join(where, `case-${i}.safetensors`), encodeModel(c.model));
      writeFileSync(join(where, `x-${i}.f32`), c.x);
    });
    python(
      `import numpy as np, torch\nfrom model import load_model\n` +
        `for i in range(${cases.length}):\n` +
        `    m = load_model(f'case-{i}.safetensors')\n` +
        `    x = torch.from_numpy(np.fromfile(f'x-{i}.f32', dtype='<f4').reshape(-1, 5))\n` +
        `    with torch.no_grad():\n` +
        `        m(x).numpy().astype('<f4').tofile(f'y-{i}.f32')\n`,
      where,
    );
  }, 60_000);
  afterAll(() => console.log(`model.py vs predict: largest |diff| ${maxDiff.toExponential(2)}`));

  // Test that the module's forward gives what predict gives (probabilities, or regression targets in their
  // units), for every hidden activation and loss, with and without batch norm and input normalisation.
  it.each(cases.map((c, i) => ({ ...c, i })))('$name', ({ name, model, x, i }) => {
    const want = referencePredict(model, x);
    const got = f32(join(where, `y-${i}.f32`));
    for (let j = 0; j < got.length; j++) maxDiff = Math.max(maxDiff, Math.abs(got[j]! - want.values[j]!));
    expect(compare(name, got, want.values, { atol: 1e-5, rtol: 0 }, undefined, want.columns)?.report).toBeUndefined();
  });
});

describe('one step of train.py against the reference', () => {
  const ROWS = 24;
  const LR = 0.01;
  const L2 = 0.7;
  type Case = { name: string; spec: ModelSpec; optimizer: OptimizerKind; l2: number; keep: number; params: Params };
  const cases: Case[] = [];
  const add = (optimizer: OptimizerKind, l2: number, batchNorm: boolean, keep: number) => {
    const i = cases.length;
    const loss = LOSSES[i % 3]!;
    const activation = HIDDEN_ACTIVATIONS[i % 4]!;
    const spec: ModelSpec = { sizes: [4, 6, 5, loss === 'bce' ? 1 : 3], activation, loss, batchNorm };
    const name = `${optimizer}, l2 ${l2}, batch norm ${batchNorm}, keep-prob ${keep} (${activation}, ${loss})`;
    cases.push({ name, spec, optimizer, l2, keep, params: randomParams(spec, 50 + i) });
  };
  for (const optimizer of OPTIMIZERS)
    for (const l2 of [0, L2]) for (const bn of [false, true]) add(optimizer, l2, bn, 1);
  // Dropout too: model.py's masks are our hash of (seed, step, layer, unit), so the step is the same.
  for (const bn of [false, true]) add('adam', L2, bn, 0.8);
  const data = (i: number) => {
    const x = randomRows(ROWS, 4, 300 + i);
    const classes = cases[i]!.spec.loss === 'bce' ? 2 : 3;
    const labels = Array.from({ length: ROWS }, (_, r) => r % classes);
    return { x, labels };
  };
  let where = '';

  beforeAll(() => {
    where = exportTo('step', { spec: cases[0]!.spec, params: cases[0]!.params, info: {} });
    const runs = cases.map((c, i) => {
      const { x, labels } = data(i);
      const lines = ['a,b,c,d,label', ...labels.map((l, r) => [...x.subarray(r * 4, r * 4 + 4), l].join(','))];
      writeFileSync(join(where, `data-${i}.csv`), lines.join('\n') + '\n');
      writeFileSync(join(where, `in-${i}.safetensors`), encodeModel({ spec: c.spec, params: c.params, info: {} }));
      return [
        ...['--data', `data-${i}.csv`, '--init', `in-${i}.safetensors`, '--out', `out-${i}.safetensors`],
        ...['--epochs', '1', '--steps', '1', '--batch-size', String(ROWS), '--test-split', '0'],
        ...['--normalize', 'none', '--lr', String(LR), '--optimizer', c.optimizer, '--l2', String(c.l2)],
        ...['--keep-prob', String(c.keep), '--beta1', '0.9', '--beta2', '0.999', '--seed', '1', '--no-shuffle'],
      ];
    });
    python(`import train\nfor argv in ${JSON.stringify(runs)}:\n    train.main(argv)\n`, where);
  }, 60_000);

  // Test that one full-batch step from given weights (SGD, momentum, RMSprop, Adam; with and without L2
  // and batch norm; dropout keep-prob 1, and 0.8 with Adam) moves every tensor, batch norm's running
  // statistics included, as the float64 reference's step does, under the tolerance rule for values.
  it.each(cases.map((c, i) => ({ ...c, i })))('$name', ({ name, spec, optimizer, l2, keep, params, i }) => {
    const { x, labels } = data(i);
    const k = spec.sizes.at(-1)!;
    // The rows in the order train.py steps through them: a test split of 0 still permutes (Rng(seed)),
    // which dropout's masks (by row) see.
    const order = new Rng(1).permutation(ROWS);
    const xs = new Float64Array(ROWS * 4);
    const y = new Float64Array(ROWS * k);
    order.forEach((src, r) => {
      xs.set(x.subarray(src * 4, src * 4 + 4), r * 4);
      const l = labels[src]!;
      if (k === 1) y[r] = l;
      else y[r * k + l] = 1;
    });
    const p = toParams64(params);
    const config = resolveConfig({ optimizer, l2, keepProb: keep, dropoutSeed: 1 });
    trainStep(spec, p, xs, y, ROWS, LR, { config, state: zeroState(p), t: 1 });
    const got = decodeModel(readFileSync(join(where, `out-${i}.safetensors`)), name).params;
    const bad = got.flatMap((layer, l) => {
      const want = new Map(layerTensors(p[l]!));
      return layerTensors(layer).flatMap(([kind, t]) => {
        const m = compare(`${name}: layers.${l}.${kind}`, t, want.get(kind)!, TOL.value);
        return m ? [m.report] : [];
      });
    });
    expect(bad.join('\n')).toBe('');
  });
});

describe("train.py's CSV reader", () => {
  // Test that the Python reader gives our reader's rows: a BOM, CRLF, ';' sniffed, quoted fields with the
  // delimiter, quotes and line breaks inside, text labels numbered in sorted order, a dropped column.
  it('reads the rows, names and classes ours reads', () => {
    const where = exportTo('csv', {
      spec: { sizes: [3, 2], activation: 'relu', loss: 'ce' },
      params: initParams({ sizes: [3, 2], activation: 'relu', loss: 'ce' }, 1),
      info: {},
    });
    const rng = new Rng(9);
    const names = ['b "quoted"', 'a;semi', 'multi\nline'];
    const rows = Array.from({ length: 40 }, (_, r) => {
      const v = [rng.normal() * 100, rng.next(), -rng.int(1000) / 7].map((n) => String(Math.fround(n)));
      return [`id${r}`, v[0], `"${v[1]}"`, `${v[2]}`, `"${names[r % 3]!.replace(/"/g, '""')}"`].join(';');
    });
    const text = '\ufeffid;x 1;"x;2";x3;"kind"\r\n' + rows.join('\r\n') + '\r\n';
    const path = join(where, 'tricky.csv');
    writeFileSync(path, text);
    const ours = readCsvFile(path, { drop: ['id'] }).dataset;
    const theirs = JSON.parse(
      python(
        `import json, train\nx, labels, y, names = train.read_csv('tricky.csv', drop=['id'])\n` +
          `print(json.dumps({'x': [float(v) for v in x.ravel()], 'labels': labels.tolist(), 'names': names}))`,
        where,
      ),
    ) as { x: number[]; labels: number[]; names: Record<string, unknown> };
    expect(theirs.x).toEqual(Array.from(ours.x));
    expect(theirs.labels).toEqual(Array.from(ours.labels));
    expect(theirs.names).toEqual({
      featureNames: ours.featureNames,
      labelName: ours.labelName,
      classNames: ours.classNames,
    });
  });
});

/** A free TCP port on 127.0.0.1 for the ranks' rendezvous. */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (typeof a === 'object' && a ? resolve(a.port) : reject(new Error('no port'))));
    });
  });
}

/** Starts `world` ranks of train.py with the environment variables torchrun would set; resolves with
 *  rank 0's output once all have exited 0. */
async function ranks(cwd: string, args: string[], world: number): Promise<string> {
  const port = await freePort();
  const runs = Array.from({ length: world }, (_, rank) => {
    const env = { ...process.env, RANK: String(rank), LOCAL_RANK: String(rank), WORLD_SIZE: String(world) };
    const child = spawn(PYTHON, ['train.py', ...args], {
      cwd,
      env: { ...env, MASTER_ADDR: '127.0.0.1', MASTER_PORT: String(port), OMP_NUM_THREADS: '1' },
    });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (out += b.toString()));
    return new Promise<string>((resolve, reject) =>
      child.on('exit', (code) =>
        code === 0 ? resolve(out) : reject(new Error(`rank ${rank} exited ${code}:\n${out}`)),
      ),
    );
  });
  return (await Promise.all(runs))[0]!;
}

/** Rows of three overlapping Gaussian classes in two features, plus an id column: no model fits them. */
function overlappingCsv(path: string, n: number): void {
  const rng = new Rng(77);
  const centers = [
    [0, 0],
    [1.2, 0.3],
    [0.5, 1.1],
  ];
  const names = ['setosa', 'versi,color', 'virginica'];
  const lines = ['a,b,id,species'];
  for (let r = 0; r < n; r++) {
    const c = rng.int(3);
    const [cx, cy] = centers[c]!;
    lines.push(`${(cx! + 0.6 * rng.normal()).toFixed(5)},${(cy! + 0.6 * rng.normal()).toFixed(5)},${r},"${names[c]}"`);
  }
  writeFileSync(path, lines.join('\n') + '\n');
}

describe('train.py on two ranks (DistributedDataParallel over gloo)', () => {
  // Test that two ranks started through RANK, WORLD_SIZE, MASTER_ADDR and MASTER_PORT train an exported
  // run from scratch on overlapping classes, and that npm run predict reads their model file back at the
  // test accuracy of npm run train -- --device cpu with the same data, epochs and seed, within one point.
  it('matches npm run train on the test split', async () => {
    const data = join(dir, 'overlap.csv');
    overlappingCsv(data, 2000);
    const out = join(dir, 'ddp');
    const flags = ['--data', data, '--drop', 'id', '--hidden', '16,16', '--epochs', '4', '--lr', '0.1'];
    const saved = join(dir, 'ddp-start.safetensors');
    const trained = runTrain([
      ...flags,
      ...['--batch-size', '32', '--normalize', 'standard', '--device', 'cpu', '--json'],
      ...['--save', saved, '--export-pytorch', out],
    ]);
    expect(trained.code, trained.stderr).toBe(0);
    expect(readFileSync(join(out, 'weights.safetensors'))).toEqual(readFileSync(saved));
    const summary = events(trained.stdout).find((e) => e.type === 'summary')!;
    const ours = summary.testAccuracy as number;
    const log = await ranks(out, ['--init', 'none', '--out', 'ddp.safetensors', '--eval-every', '100'], 2);
    expect(log).toMatch(/DistributedDataParallel on 2 ranks/);
    const predicted = runPredict(['--model', join(out, 'ddp.safetensors'), '--split', 'test', '--json']);
    expect(predicted.code, predicted.stderr).toBe(0);
    const theirs = events(predicted.stdout).find((e) => e.type === 'summary')!.accuracy as number;
    console.log(
      `npm run train test accuracy ${(100 * ours).toFixed(2)}%, two ranks of train.py ${(100 * theirs).toFixed(2)}%`,
    );
    expect(ours).toBeGreaterThan(0.5);
    expect(ours).toBeLessThan(0.95);
    expect(Math.abs(theirs - ours)).toBeLessThanOrEqual(0.01);
  });

  // Test that npm run predict -- --export-pytorch writes a saved model's files: the same weights and
  // script as the training run wrote, but for train.py's default epochs (the model file does not record them).
  it('exports a saved model from npm run predict', () => {
    const again = join(dir, 'from-predict');
    const r = runPredict(['--model', join(dir, 'ddp-start.safetensors'), '--export-pytorch', again]);
    expect(r.code, r.stderr).toBe(0);
    const out = join(dir, 'ddp');
    expect(readFileSync(join(again, 'weights.safetensors'))).toEqual(readFileSync(join(out, 'weights.safetensors')));
    expect(readFileSync(join(again, 'model.py'), 'utf8')).toBe(readFileSync(join(out, 'model.py'), 'utf8'));
    const defaults = (file: string) => /^DEFAULTS = (.*)$/m.exec(readFileSync(file, 'utf8'))?.[1];
    expect(defaults(join(again, 'train.py'))).toBe(
      defaults(join(out, 'train.py'))!.replace('"epochs": 4', '"epochs": 15'),
    );
  });
});
