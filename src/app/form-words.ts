// Library messages in the page's words. The library names its options (lr, drop: ['id'], label: 'y', the
// delimiter option); the page has a form with labels, a label-column chooser, and no way to drop a column
// or set a delimiter, so each phrase becomes what the page offers instead (the CLI does the same with its
// flags, src/cli/common.ts).
const FORM_WORDS: [RegExp, string][] = [
  [/\blearning rate, lr\b/g, 'learning rate'],
  [
    /leave the column out with drop: \['([^']*)'\] \(or predict it with label: '[^']*'\)/g,
    'choose "$1" as the label column, or remove that column from the file',
  ],
  [/\(drop: \['([^']*)'\], or label: another column\)/g, '(remove "$1" from the file, or choose another label column)'],
  [/\bdrop: \['([^']*)'\]/g, 'remove "$1" from the file'],
  [/\blabel: '([^']*)'/g, 'label column "$1"'],
  [/\(the delimiter option sets one\)/g, '(save the file with commas, semicolons or tabs between values)'],
  [/\btask: 'regression'/g, 'regression (the page trains one when the label column holds non-integer numbers)'],
  [/use task: 'classification' with one label column/g, 'choose one label column'],
];

/** A library message in the form's words. */
export const inFormWords = (message: string): string =>
  FORM_WORDS.reduce((m, [re, words]) => m.replace(re, words), message);

/** Why a file's model does not fit the settings when only batch norm differs, and what to do. */
export function batchNormHint(file: { readonly batchNorm?: boolean }, subject = 'the file'): string {
  return file.batchNorm === true
    ? `${subject} is a batch-norm model (it has bn_gamma/bn_beta/bn_mean/bn_var tensors), the settings make one without batch norm: tick batch norm`
    : `${subject} has no batch norm, the settings make a batch-norm model: untick batch norm`;
}
