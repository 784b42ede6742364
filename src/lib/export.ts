// A trained model as bytes for other tools: the ONNX graph, with the scalings its info records built
// into the graph so the graph takes raw features and gives targets in their units, and its names in the
// graph's metadata.
import { encodeOnnx, type OnnxOptions } from '../io/onnx.ts';
import type { ModelInfo, SavedModel } from './model-file.ts';

/** The ONNX options a model's info implies: its input normalisation and target scaling, and its
 *  feature, class and target names as metadata_props (JSON arrays under those keys). */
export function onnxOptions(info: ModelInfo): OnnxOptions {
  const names = (['featureNames', 'classNames', 'targetNames'] as const).filter((k) => info[k] !== undefined);
  return {
    ...(info.normalization ? { normalization: info.normalization } : {}),
    ...(info.targetNormalization ? { targetNormalization: info.targetNormalization } : {}),
    ...(names.length > 0 ? { metadata: Object.fromEntries(names.map((k) => [k, JSON.stringify(info[k])])) } : {}),
  };
}

/** The model as ONNX (opset 13); see Trainer.exportOnnx. */
export function modelToOnnx(m: SavedModel): Uint8Array {
  return encodeOnnx(m.spec, m.params, onnxOptions(m.info));
}
