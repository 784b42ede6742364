// The web app's hyperparameter search, the plain part: the spec and trial count from the sweep fields
// checked and expanded into trials (the page checks before it sends, the worker expands the same
// way), and the small charts' titles. The search itself is the library's (expandTrials, fitSweep).
import {
  compactFraction,
  compactNumber,
  expandTrials,
  ineffectiveAxis,
  paramLabel,
  parseSweepSpec,
  sweepShape,
  type SearchKind,
  type SweepParam,
  type SweepShape,
  type Trial,
} from '../index.ts';
import type { Settings } from './settings.ts';

/** Fraction of the training rows held out as dev rows, which rank the trials (the test rows stay out
 *  of the choice). The split is the library's splitDataset, as the CLI's --dev-split makes it. */
export const SWEEP_DEV_SPLIT = 0.2;

/** Most trials the app runs at once: each gets a small chart and a table row. */
export const APP_MAX_TRIALS = 256;

export interface SweepPlan {
  readonly trials: Trial[];
  readonly search: SearchKind;
  /** The parameters the spec varies, in its order. */
  readonly swept: SweepParam[];
}

/** The trials of the spec and trial count as typed (count '' = the whole grid), around the run's
 *  settings: parameters the spec leaves out take the settings' values, draws are seeded by the run's
 *  seed. Throws an Error whose message quotes what is wrong. */
export function sweepTrials(specText: string, trialsText: string, s: Settings): SweepPlan {
  const spec = parseSweepSpec(specText);
  const raw = trialsText.trim();
  if (raw !== '' && !/^\d+$/.test(raw))
    throw new Error(`trials: expected a whole number (or nothing for the whole grid), got '${raw}'`);
  const count = raw === '' ? undefined : Number(raw);
  const idle = ineffectiveAxis(spec, s.optimizer, s.hidden.length);
  if (idle?.why === 'optimizer')
    throw new Error(
      `sweep spec: '${idle.axis.text}' has no effect with the ${s.optimizer} optimizer (${paramLabel(idle.axis.param)} is used by ${idle.users.join(' and ')})`,
    );
  if (idle?.why === 'no-hidden-layers')
    throw new Error(
      `sweep spec: '${idle.axis.text}' has no effect without hidden layers (dropout is on hidden layers only)`,
    );
  let shape: SweepShape;
  try {
    shape = sweepShape(spec, count);
  } catch (e) {
    // Without a count the library's refusal asks for a number of trials: here that is a field.
    if (count !== undefined || !(e instanceof Error)) throw e;
    throw new Error(`${e.message} (fill in trials)`, { cause: e });
  }
  if (shape.count > APP_MAX_TRIALS)
    throw new Error(
      `sweep: ${shape.count} trials, the app runs at most ${APP_MAX_TRIALS}: narrow the spec or give fewer trials (the CLI's --sweep takes more)`,
    );
  const base = { lr: s.lr, l2: s.l2, keepProb: s.keepProb, beta1: s.beta1, beta2: s.beta2, seed: s.seed };
  return {
    trials: expandTrials(spec, { trials: count, seed: s.seed, base }),
    search: shape.search,
    swept: spec.axes.map((a) => a.param),
  };
}

/** A trial's swept values, for its small chart's title ("lr 0.1 · l2 1e-4 · seed 2"). */
export function trialLabel(t: Trial, swept: readonly SweepParam[]): string {
  const h = t.hyper;
  const value = (p: SweepParam) =>
    p === 'lr' || p === 'l2' ? compactNumber(h[p]) : p === 'seed' ? String(h.seed) : compactFraction(h[p]);
  return swept.map((p) => `${paramLabel(p)} ${value(p)}`).join(' · ');
}
