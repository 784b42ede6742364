// A model file's settings for the form: the architecture from its tensors, the rest from the run that
// trained it (info.trainedWith, as the page and the CLI write it), and the data columns it takes, so a
// loaded model fits the form without the user matching it by hand.
import { type SavedModel } from '../index.ts';
import { formatHidden, KEYS, LABELS, parseSettings, settingsToQuery, type Key, type Settings } from './settings.ts';

export interface ModelSettings {
  readonly settings: Settings;
  /** What could not be taken from the file, in the form's words. */
  readonly notes: readonly string[];
  /** A CSV model's label column and input columns, in order (absent: the file does not name them). */
  readonly columns?: { readonly label: string | undefined; readonly features: readonly string[] };
}

/** The keys the architecture decides (from the tensors, whatever the record says), and the device,
 *  which is this machine's choice, not the file's. */
const NOT_FROM_RECORD: readonly Key[] = ['hidden', 'activation', 'batchNorm', 'device'];

/** `current` with the file's architecture and recorded settings; a recorded value the form does not take
 *  (a CLI run's data path, say) keeps the current one and is named in `notes`. */
export function settingsFromModel(m: SavedModel, current: Settings): ModelSettings {
  const q = new URLSearchParams(settingsToQuery(current));
  const run = m.info.trainedWith;
  const recorded = KEYS.filter((k) => run?.[k] !== undefined && !NOT_FROM_RECORD.includes(k));
  for (const k of recorded) q.set(k, String(run![k]));
  q.set('hidden', formatHidden(m.spec.sizes.slice(1, -1)));
  q.set('activation', m.spec.activation);
  q.set('batchNorm', String(m.spec.batchNorm === true));
  if (run?.loss !== 'auto') q.set('loss', m.spec.loss);
  const notes: string[] = [];
  let parsed = parseSettings(q);
  for (const f of parsed.fields) {
    notes.push(`the file's ${LABELS[f.key]} was not used (${f.message})`);
    const keep = new URLSearchParams(settingsToQuery(current)).get(f.key);
    if (keep === null) q.delete(f.key);
    else q.set(f.key, keep);
  }
  if (parsed.fields.length > 0) parsed = parseSettings(q);
  if (!run) notes.push('the file records no training settings: the architecture is set, the rest kept');
  const { featureNames, labelName } = m.info;
  return {
    settings: parsed.settings,
    notes,
    ...(featureNames ? { columns: { label: labelName, features: featureNames } } : {}),
  };
}

/** Why a CSV's header cannot feed the model (undefined: it can): the model's label and input columns,
 *  in the model's order, must be the file's columns. */
export function columnsProblem(
  columns: { readonly label: string | undefined; readonly features: readonly string[] },
  header: readonly string[],
): string | undefined {
  const missing = [...(columns.label ? [columns.label] : []), ...columns.features].filter((c) => !header.includes(c));
  if (missing.length > 0)
    return `the file has no column${missing.length > 1 ? 's' : ''} ${missing.map((c) => `"${c}"`).join(', ')}`;
  const inputs = header.filter((c) => c !== columns.label);
  if (inputs.join('\u0000') !== columns.features.join('\u0000'))
    return `the model takes the columns ${columns.features.join(', ')} in that order; the file's inputs are ${inputs.join(', ')}`;
  return undefined;
}
