// `npm run predict`: a saved model's predictions for raw rows (a CSV, or the data it was trained on),
// through the library on the float64 reference: one output row per input (the predicted class, then one
// probability column per class), and the loss and accuracy when the rows have labels. With --split it
// finds the exact train/test/dev rows of the training run again (from the model file's record of it).
// Exit codes: 0 ok, 1 failure, 2 bad arguments.
import { failed, readInput, run, writeAtomic } from './common.ts';
import {
  createTrainer,
  decodeModel,
  predictionsCsv,
  splitDataset,
  type Dataset,
  type GivenSplit,
  type SavedModel,
} from '../index.ts';
import { loadNpyRows, readCsvFile, readCsvHeader } from '../node.ts';
import { parseTrainArgs } from './args.ts';
import { loadDataset } from './job.ts';
import { formatTargets } from './target-report.ts';
import { writePytorchDir } from './pytorch-dir.ts';

const USAGE = `Usage: npm run predict -- --model FILE [options]

  --model FILE      a model saved by npm run train -- --save FILE (or by the library's save())
  --data SOURCE     PATH.csv | mnist | spiral | moons | circles | xor | DIR (MNIST-layout IDX files) |
                    PATH.npz | PATH.npy (default: the data the model was trained on). A CSV's columns
                    are matched to the model's feature names; a label column (the training one's
                    name, or a last extra column) gives metrics.
  --labels PATH.npy the class labels for --data FEATURES.npy (without: predictions only)
  --split WHICH     all | train | test | dev: the rows of the training run's split (same seed and
                    fractions as recorded in the model file; an IDX directory's or an .npz's own
                    test set as given)                                              (default all)
  --out FILE        write the predictions as CSV: prediction, then one probability column per class
  --json            print one JSON line per row, then a summary line
  --export-pytorch DIR  write the model and the run that trained it as PyTorch code into DIR instead:
                    model.py (an nn.Module), train.py (the run continued, or from scratch, on one
                    process or DistributedDataParallel), README.md, weights.safetensors
  --help            show this help`;

interface PredictOptions {
  model: string;
  data: string | undefined;
  labels: string | undefined;
  split: 'all' | 'train' | 'test' | 'dev';
  out: string | undefined;
  json: boolean;
  exportPytorch: string | undefined;
}

function parse(argv: readonly string[]): PredictOptions | 'help' {
  const o: Partial<PredictOptions> & { split: PredictOptions['split']; json: boolean } = { split: 'all', json: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--help' || arg === '-h') return 'help';
    if (arg === '--json') {
      o.json = true;
      continue;
    }
    const eq = arg.indexOf('=');
    const flag = eq < 0 ? arg : arg.slice(0, eq);
    const value = eq < 0 ? argv[++i] : arg.slice(eq + 1);
    if (!['--model', '--data', '--labels', '--split', '--out', '--export-pytorch'].includes(flag))
      throw new Error(`unknown flag ${arg} (see --help)`);
    if (value === undefined || value === '' || value.startsWith('--')) throw new Error(`${flag} needs a value`);
    if (flag === '--model') o.model = value;
    if (flag === '--data') o.data = value;
    if (flag === '--labels') o.labels = value;
    if (flag === '--out') o.out = value;
    if (flag === '--export-pytorch') o.exportPytorch = value;
    if (flag === '--split') {
      if (value !== 'all' && value !== 'train' && value !== 'test' && value !== 'dev')
        throw new Error(`--split: expected all, train, test or dev, got '${value}'`);
      o.split = value;
    }
  }
  if (!o.model) throw new Error('--model FILE is required (see --help)');
  return {
    model: o.model,
    data: o.data,
    labels: o.labels,
    split: o.split,
    out: o.out,
    json: o.json,
    exportPytorch: o.exportPytorch,
  };
}

/** Rows of a CSV for this model: its feature columns by name (or position when the model has no
 *  names), and its label or target columns when the file has them (text labels by the model's class
 *  names). */
function csvRows(path: string, m: SavedModel, delimiter: string | undefined): Rows {
  const n0 = m.spec.sizes[0]!;
  const regression = m.info.task === 'regression';
  let features = m.info.featureNames;
  let label = regression ? m.info.targetNames : m.info.labelName !== undefined ? [m.info.labelName] : undefined;
  if (!features) {
    const header = readCsvHeader(path, delimiter);
    const outputs = regression ? m.spec.sizes.at(-1)! : 1;
    if (header.length !== n0 && header.length !== n0 + outputs)
      throw new Error(
        `${path}: ${header.length} columns, the model takes ${n0} features (and optionally ${regression ? `${outputs} target` : 'a label'} column${outputs > 1 ? 's' : ''} last); it records no feature names to pick them by`,
      );
    features = header.slice(0, n0);
    label = header.slice(n0);
  }
  const { dataset, task } = readCsvFile(path, {
    features,
    label: label ?? [],
    labelOptional: true,
    task: regression ? 'regression' : 'classification',
    ...(m.info.classNames ? { classNames: m.info.classNames } : {}),
    ...(delimiter !== undefined ? { delimiter } : {}),
  });
  if (task === 'none') return { x: dataset.x };
  return { x: dataset.x, ...(dataset.y ? { y: dataset.y } : { labels: dataset.labels }), loaded: dataset };
}

/** Rows to predict; `loaded` (labelled rows as loaded, before any split) when --split can find the
 *  training run's parts in them. */
interface Rows {
  readonly x: Float32Array;
  readonly labels?: Uint32Array;
  /** Regression targets. */
  readonly y?: Float32Array;
  readonly loaded?: Dataset | GivenSplit;
}

/** The rows to predict: the --data source (default the training one), cut to --split. */
function rowsFor(o: PredictOptions, m: SavedModel): Omit<Rows, 'loaded'> & { what: string } {
  const run = m.info.trainedWith;
  const source = o.data ?? (typeof run?.data === 'string' ? run.data : undefined);
  if (source === undefined) throw new Error(`${o.model} records no training data: give --data`);
  const labels = o.labels ?? (o.data === undefined && typeof run?.labels === 'string' ? run.labels : undefined);
  let rows: Rows;
  if (/\.(csv|tsv)$/i.test(source))
    rows = csvRows(source, m, source === run?.data && typeof run.delimiter === 'string' ? run.delimiter : undefined);
  else if (/\.npy$/i.test(source) && labels === undefined) rows = { x: loadNpyRows(source) };
  else {
    // A built-in set generated as the training run did (its --samples and --seed), or files read as it did.
    const args = [
      '--data',
      source,
      ...(labels !== undefined ? ['--labels', labels] : []),
      ...(run?.samples !== undefined ? ['--samples', String(run.samples)] : []),
      ...(run?.seed !== undefined ? ['--seed', String(run.seed)] : []),
    ];
    const { data } = loadDataset(parseTrainArgs(args));
    const all = 'train' in data ? joined(data.train, data.test) : data;
    rows = { x: all.x, labels: all.labels, loaded: data };
  }
  if (o.split === 'all') return { ...rows, what: `all ${rows.x.length / m.spec.sizes[0]!} rows of ${source}` };
  if (!rows.loaded)
    throw new Error(
      `--split ${o.split} needs labelled rows: ${source} has no label${/\.npy$/i.test(source) ? 's (give --labels)' : ' column'}`,
    );
  const given = 'train' in rows.loaded;
  if (!run || (typeof run.testSplit !== 'number' && !given) || typeof run.seed !== 'number')
    throw new Error(
      `--split ${o.split}: ${o.model} does not record the training run's split (saved by an older version?); use --split all`,
    );
  if (run.data !== source)
    throw new Error(
      `--split ${o.split}: the model was trained on ${String(run.data)}, not ${source}; the split would not be the training run's`,
    );
  const parts = splitDataset(rows.loaded, {
    testSplit: typeof run.testSplit === 'number' ? run.testSplit : 0,
    devSplit: typeof run.devSplit === 'number' ? run.devSplit : 0,
    seed: run.seed,
  });
  const d = o.split === 'train' ? parts.train : o.split === 'test' ? parts.test : parts.dev;
  if (!d || d.n === 0) throw new Error(`--split ${o.split}: the training run had no ${o.split} rows`);
  return {
    x: d.x,
    ...(d.y ? { y: d.y } : { labels: d.labels }),
    what: `the ${o.split} ${given && o.split === 'test' ? 'set (as given)' : 'split'} of ${source} (${d.n} rows)`,
  };
}

/** The rows of a, then those of b. */
function joined(a: Dataset, b: Dataset): { x: Float32Array; labels: Uint32Array } {
  const x = new Float32Array(a.x.length + b.x.length);
  x.set(a.x);
  x.set(b.x, a.x.length);
  const labels = new Uint32Array(a.n + b.n);
  labels.set(a.labels);
  labels.set(b.labels, a.n);
  return { x, labels };
}

async function main(argv: string[]): Promise<number> {
  let o: PredictOptions;
  try {
    const p = parse(argv);
    if (p === 'help') {
      console.log(USAGE);
      return 0;
    }
    o = p;
  } catch (e) {
    console.error(`error: ${e instanceof Error ? e.message : String(e)}\n(see npm run predict -- --help)`);
    return 2;
  }
  try {
    const m = decodeModel(readInput(o.model, '--model'), o.model);
    if (o.exportPytorch) {
      writePytorchDir(o.exportPytorch, m);
      console.log(
        `exported ${o.model} and the run that trained it as PyTorch code to ${o.exportPytorch} (see its README.md)`,
      );
      return 0;
    }
    const { x, labels, y, what } = rowsFor(o, m);
    const trainer = await createTrainer({ model: m, device: 'cpu' });
    try {
      const p = await trainer.predict(x);
      const k = p.columns;
      const regression = trainer.regression;
      const classNames = m.info.classNames ?? Array.from({ length: Math.max(k, 2) }, (_, c) => String(c));
      // One column per class (probabilities), or per output (regression, or an 'mse' classifier's scores).
      const probabilities = !regression && m.spec.loss !== 'mse';
      const names = probabilities
        ? classNames
        : regression && m.info.targetNames
          ? m.info.targetNames
          : Array.from({ length: k }, (_, j) => `output${j}`);
      const label = (c: number) => classNames[c] ?? String(c);
      if (o.json) {
        for (let r = 0; r < p.rows; r++) {
          const values = Array.from(p.values.subarray(r * k, (r + 1) * k));
          process.stdout.write(
            JSON.stringify(
              regression
                ? { type: 'prediction', row: r, values }
                : {
                    type: 'prediction',
                    row: r,
                    class: label(p.classes![r]!),
                    [probabilities ? 'probabilities' : 'scores']: values,
                  },
            ) + '\n',
          );
        }
      }
      if (o.out) writeAtomic(o.out, predictionsCsv(p, m));
      const summary: Record<string, unknown> = { type: 'summary', rows: p.rows, data: what, model: o.model };
      if (y && trainer.regression) {
        // values in the targets' units, so RMSE and MAE are too: one target's, or each of several
        const e = await trainer.evaluate({ x, y });
        const several = e.rmse === undefined;
        Object.assign(summary, { loss: e.loss, rmse: e.rmse, mae: e.mae, r2: e.r2 });
        if (several) Object.assign(summary, { targets: e.targets, pooled: e.pooled });
        if (!o.json && !several)
          console.log(
            `${what}: RMSE ${e.rmse!.toPrecision(4)}  MAE ${e.mae!.toPrecision(4)}  R² ${e.r2!.toFixed(4)}  (loss ${e.loss.toFixed(4)})`,
          );
        if (!o.json && several) {
          console.log(`${what}: R² ${e.r2!.toFixed(4)} (pooled)  (loss ${e.loss.toFixed(4)})`);
          for (const line of formatTargets(e.targets!, what)) console.log(line);
        }
      } else if (labels && !regression) {
        // also an 'mse' classifier: the loss and accuracy as train reports them
        const e = await trainer.evaluate({ x, labels });
        Object.assign(summary, { loss: e.loss, accuracy: e.accuracy });
        if (!o.json)
          console.log(
            `${what}: loss ${e.loss.toFixed(4)}  accuracy ${(100 * e.accuracy).toFixed(2)}% (${Math.round(e.accuracy * e.rows)}/${e.rows})`,
          );
      } else if (!o.json)
        console.log(`${what}: ${p.rows} predictions${labels || y ? '' : ' (no label column: no metrics)'}`);
      if (o.out && !o.json)
        console.log(
          `wrote ${o.out} (${regression ? 'the outputs' : `prediction, then ${probabilities ? `p(${names.join('), p(')})` : 'the output scores'}`})`,
        );
      if (o.json) process.stdout.write(JSON.stringify(summary) + '\n');
      if (!o.out && !o.json) {
        for (let r = 0; r < Math.min(p.rows, 5); r++)
          console.log(
            `  row ${r}: ${regression ? Array.from(p.values.subarray(r * k, (r + 1) * k)).join(', ') : probabilities ? `${label(p.classes![r]!)} (p = ${p.values[r * k + p.classes![r]!]!.toFixed(4)})` : `${label(p.classes![r]!)} (scores ${Array.from(p.values.subarray(r * k, (r + 1) * k), (v) => v.toFixed(4)).join(', ')})`}`,
          );
        if (p.rows > 5) console.log(`  ... (--out FILE writes all ${p.rows})`);
      }
    } finally {
      trainer.destroy();
    }
    return 0;
  } catch (e) {
    return failed(e);
  }
}

run(main);
