// A trained model as bytes for other tools: the ONNX graph, with the scalings its info records built
// into the graph so the graph takes raw features and gives targets in their units.
import { encodeOnnx, type OnnxOptions } from '../io/onnx.ts';
import type { ModelInfo, SavedModel } from './model-file.ts';

/** The ONNX options a model's info implies: its input normalisation and target scaling. */
export function onnxOptions(info: ModelInfo): OnnxOptions {
  return {
    ...(info.normalization ? { normalization: info.normalization } : {}),
    ...(info.targetNormalization ? { targetNormalization: info.targetNormalization } : {}),
  };
}

/** The model as ONNX (opset 13); see Trainer.exportOnnx. */
export function modelToOnnx(m: SavedModel): Uint8Array {
  return encodeOnnx(m.spec, m.params, onnxOptions(m.info));
}
