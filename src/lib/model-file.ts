// A model file that stands on its own: the weights in the project's safetensors layout, the
// architecture, and what a user needs to predict on raw inputs — feature names, the input
// normalisation that was applied (method and per-feature statistics) and class names — in the
// metadata key "info" (JSON). Files written before "info" existed still load, with an empty info.
import {
  paramsFromSafetensors,
  paramsToSafetensors,
  safetensorsMetadata,
  specFromSafetensors,
} from '../io/safetensors.ts';
import { size, type InputNormalization, type ModelSpec, type Params } from '../model.ts';

import { TrainerError, asBadInput, messageOf } from '../errors.ts';

/** What a model file records besides the weights. Every field is optional. */
export interface ModelInfo {
  /** Names of the input features, in column order. */
  readonly featureNames?: readonly string[];
  /** Applied to raw inputs before the first layer (predict and evaluate do it for you). */
  readonly normalization?: InputNormalization;
  /** Class names, index = class number (e.g. from a text label column). */
  readonly classNames?: readonly string[];
  /** Name of the label column the model was trained on. */
  readonly labelName?: string;
  /** 'regression' for a model whose outputs are values (absent: classification). */
  readonly task?: 'classification' | 'regression';
  /** Names of the regression targets, index = output. */
  readonly targetNames?: readonly string[];
  /** Regression targets were standardised for training, (y − shift) / scale per output: predictions
   *  and metrics are turned back into the targets' units with these (method 'standard'). */
  readonly targetNormalization?: InputNormalization;
  /** The settings of the run that trained it (data source, split fractions, seed, optimizer...), so the
   *  same test rows can be found again (npm run predict -- --split test). */
  readonly trainedWith?: Readonly<Record<string, string | number | boolean>>;
}

/** A trained model: architecture, weights and info. */
export interface SavedModel {
  readonly spec: ModelSpec;
  readonly params: Params;
  readonly info: ModelInfo;
}

/** Checks an info record against the model's input and output sizes; returns it. */
export function validateInfo(info: ModelInfo, spec: ModelSpec): ModelInfo {
  const n0 = size(spec, 0);
  const bad = (m: string) => new TrainerError('bad-input', `model info: ${m}`);
  if (typeof info !== 'object' || info === null || Array.isArray(info)) throw bad('must be an object');
  const strings = (v: unknown) => Array.isArray(v) && v.every((x) => typeof x === 'string');
  const numbers = (v: unknown) => Array.isArray(v) && v.every((x) => typeof x === 'number');
  if (info.featureNames !== undefined && !strings(info.featureNames))
    throw bad('featureNames must be an array of strings');
  if (info.classNames !== undefined && !strings(info.classNames)) throw bad('classNames must be an array of strings');
  if (info.labelName !== undefined && typeof info.labelName !== 'string') throw bad('labelName must be a string');
  if (
    info.normalization !== undefined &&
    (typeof info.normalization !== 'object' || !numbers(info.normalization.shift) || !numbers(info.normalization.scale))
  ) {
    throw bad('normalization must be { method, shift: number[], scale: number[] }');
  }
  if (info.trainedWith !== undefined && (typeof info.trainedWith !== 'object' || info.trainedWith === null))
    throw bad('trainedWith must be an object');
  if (info.task !== undefined && info.task !== 'classification' && info.task !== 'regression')
    throw bad(`task must be 'classification' or 'regression', got '${String(info.task)}'`);
  if (info.targetNames !== undefined && !strings(info.targetNames))
    throw bad('targetNames must be an array of strings');
  const regression = info.task === 'regression';
  const outputs = size(spec, spec.sizes.length - 1);
  if (regression && spec.loss !== 'mse')
    throw bad(`a regression model needs the 'mse' loss, this one has '${spec.loss}'`);
  if (info.targetNames && (!regression || info.targetNames.length !== outputs))
    throw bad(
      `${info.targetNames.length} target names for ${regression ? `a regression model with ${outputs} outputs` : 'a classifier'}`,
    );
  const tn = info.targetNormalization;
  if (tn !== undefined) {
    if (!regression) throw bad('targetNormalization is for regression models (task: regression)');
    if (
      typeof tn !== 'object' ||
      !numbers(tn.shift) ||
      !numbers(tn.scale) ||
      tn.shift.length !== outputs ||
      tn.scale.length !== outputs
    )
      throw bad(`targetNormalization must be { method, shift, scale } with ${outputs} numbers each`);
    tn.shift.forEach((v, i) => {
      if (!Number.isFinite(v)) throw bad(`targetNormalization shift ${i} is ${v}`);
    });
    tn.scale.forEach((v, i) => {
      if (!(Number.isFinite(v) && v > 0))
        throw bad(`targetNormalization scale ${i} must be a finite number > 0, got ${v}`);
    });
  }
  if (info.featureNames && info.featureNames.length !== n0)
    throw bad(`${info.featureNames.length} feature names for ${n0} inputs`);
  const nz = info.normalization;
  if (nz) {
    if (nz.method !== 'standard' && nz.method !== 'minmax')
      throw bad(`normalization method must be 'standard' or 'minmax', got '${String(nz.method)}'`);
    if (nz.shift.length !== n0 || nz.scale.length !== n0)
      throw bad(`normalization has ${nz.shift.length} shifts and ${nz.scale.length} scales for ${n0} inputs`);
    nz.shift.forEach((v, i) => {
      if (!Number.isFinite(v)) throw bad(`normalization shift ${i} is ${v}`);
    });
    nz.scale.forEach((v, i) => {
      if (!(Number.isFinite(v) && v > 0)) throw bad(`normalization scale ${i} must be a finite number > 0, got ${v}`);
    });
  }
  if (info.classNames) {
    // One output unit stands for two classes (a sigmoid, or squared error on 0/1 targets).
    const out = size(spec, spec.sizes.length - 1);
    const k = out === 1 ? 2 : out;
    if (info.task === 'regression') throw bad(`${info.classNames.length} class names for a regression model`);
    if (info.classNames.length !== k)
      throw bad(`${info.classNames.length} class names for a ${spec.loss} model with ${k} classes`);
  }
  return info;
}

/** The model as a safetensors file (F32 tensors layers.{i}.*; metadata format, architecture, info). */
export function encodeModel(m: SavedModel): Uint8Array {
  if (typeof m !== 'object' || m === null)
    throw new TrainerError('bad-input', 'encodeModel: expected a model { spec, params, info }');
  return asBadInput('encodeModel', () => {
    const info = validateInfo(m.info ?? {}, m.spec);
    const keep = Object.keys(info).length > 0;
    return paramsToSafetensors(m.spec, m.params, keep ? { info: JSON.stringify(info) } : {});
  });
}

/** Reads a model file written by encodeModel (or by older versions, without info). `name` (a file
 *  name) starts every error message. */
export function decodeModel(bytes: Uint8Array, name = 'model file'): SavedModel {
  const fail = (m: string, cause?: unknown): never => {
    throw new TrainerError('model-mismatch', `${name}: ${m}`, { cause });
  };
  let spec: ModelSpec | undefined;
  try {
    spec = specFromSafetensors(bytes);
  } catch (e) {
    return fail(messageOf(e), e);
  }
  if (!spec) return fail('not a model saved by this trainer (no webgpu-mlp architecture in its metadata)');
  let params: Params;
  try {
    params = paramsFromSafetensors(bytes, spec);
  } catch (e) {
    return fail(messageOf(e), e);
  }
  const raw = safetensorsMetadata(bytes).info;
  let info: ModelInfo = {};
  if (raw !== undefined) {
    try {
      info = validateInfo(JSON.parse(raw) as ModelInfo, spec);
    } catch (e) {
      return fail(`metadata "info" is not valid: ${messageOf(e)}`, e);
    }
  }
  return { spec, params, info };
}
