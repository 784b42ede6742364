// ONNX export of a trained model (https://onnx.ai), for inference outside this project: onnxruntime,
// PyTorch, anything that reads ONNX. One float input [batch, n0] with a symbolic batch dimension, then
//   [Sub shift, Div scale]          input normalisation, when given
//   Gemm(transB=1) + activation     per hidden layer (our weights are [out][in], as Gemm's B with transB)
//   Gemm(transB=1) + Softmax|Sigmoid|nothing   the output layer, by loss ('ce' | 'bce' | 'mse')
//   [Mul scale, Add shift]          regression targets standardised for training, back to their units
// so the output is what predict() turns into classes: probabilities for 'ce' and 'bce', values for 'mse'.
// The normalisation's method is recorded in the model's metadata_props ('normalization'), beside any
// entries the caller adds (the model's feature, class and target names, as JSON arrays).
// Batch norm is folded into its Gemm with the running averages, as inference uses them (model.ts):
// γ·(A·wⱼ − μⱼ)/√(σ²ⱼ + ε) + βⱼ = A·(sⱼ·wⱼ) + (βⱼ − sⱼ·μⱼ) with sⱼ = γⱼ/√(σ²ⱼ + ε); the layer's bias is
// not used, as in training. Folded in float64, stored as float32 like every other tensor.
// Opset 13 and IR version 8: old enough for every current runtime, new enough that initializers
// need not be listed as graph inputs. Field numbers are onnx.proto's.
import {
  BN_EPSILON,
  LEAKY_SLOPE,
  hasBatchNorm,
  layerCount,
  layerTensors,
  size,
  tensorName,
  tensorShape,
  validateSpec,
  type Activation,
  type InputNormalization,
  type BatchNormTensors,
  type LayerParams,
  type ModelSpec,
  type Params,
} from '../model.ts';
import { bytesField, floatField, intField, message, messageField, stringField } from './protobuf.ts';
import { TrainerError, asBadInput } from '../errors.ts';

export type { InputNormalization };

export interface OnnxOptions {
  /** Applied inside the graph, so the model takes raw features. */
  readonly normalization?: InputNormalization;
  /** An 'mse' model's standardised targets: the graph multiplies by scale and adds shift, so its
   *  output is in the targets' units. */
  readonly targetNormalization?: InputNormalization;
  /** Name of the graph's input (default 'input') and output (default 'output'). */
  readonly inputName?: string;
  readonly outputName?: string;
  /** ModelProto.producer_name (default 'webgpu-mlp-trainer'). */
  readonly producer?: string;
  /** More metadata_props entries (modelToOnnx: featureNames, classNames, targetNames as JSON arrays). */
  readonly metadata?: Readonly<Record<string, string>>;
}

const IR_VERSION = 8;
const OPSET = 13;
const BATCH_DIM = 'batch';
const FLOAT = 1; // TensorProto.DataType and TypeProto.Tensor.elem_type
const ATTR = { FLOAT: 1, INT: 2 } as const; // AttributeProto.AttributeType

// onnx.proto field numbers, one object per message.
const MODEL = { irVersion: 1, producerName: 2, graph: 7, opsetImport: 8, metadataProps: 14 } as const;
const OPSET_ID = { version: 2 } as const; // domain 1 left empty: the default ONNX operator set
const ENTRY = { key: 1, value: 2 } as const; // StringStringEntryProto
const GRAPH = { node: 1, name: 2, initializer: 5, input: 11, output: 12 } as const;
const NODE = { input: 1, output: 2, name: 3, opType: 4, attribute: 5 } as const;
const ATTRIBUTE = { name: 1, f: 2, i: 3, type: 20 } as const;
const TENSOR = { dims: 1, dataType: 2, name: 8, rawData: 9 } as const;
const VALUE_INFO = { name: 1, type: 2 } as const;
const TYPE = { tensorType: 1 } as const;
const TYPE_TENSOR = { elemType: 1, shape: 2 } as const;
const SHAPE = { dim: 1 } as const;
const DIM = { value: 1, param: 2 } as const;

interface GraphNode {
  readonly op: string;
  /** Node name, and the name of its output value (except the last node's: the graph output). */
  readonly name: string;
  readonly inputs: readonly string[];
  readonly attributes: readonly Uint8Array[];
}

/** The ONNX file (ModelProto bytes) of a model with the given parameters; throws on parameters that do
 *  not fit the spec and on bad normalisation arrays, naming the tensor. */
export function encodeOnnx(spec: ModelSpec, params: Params, options: OnnxOptions = {}): Uint8Array {
  return asBadInput('onnx', () => buildOnnx(spec, params, options));
}

function buildOnnx(spec: ModelSpec, params: Params, options: OnnxOptions): Uint8Array {
  validateSpec(spec);
  checkParams(spec, params);
  const n0 = size(spec, 0);
  const L = layerCount(spec);
  const inputName = options.inputName ?? 'input';
  const outputName = options.outputName ?? 'output';

  const initializers: Uint8Array[] = [];
  const initializerNames: string[] = [];
  const nodes: GraphNode[] = [];
  let current = inputName;
  const initializer = (name: string, dims: readonly number[], values: ArrayLike<number>): string => {
    initializers.push(tensor(name, dims, values));
    initializerNames.push(name);
    return name;
  };
  const apply = (
    op: string,
    name: string,
    extra: readonly string[] = [],
    attributes: readonly Uint8Array[] = [],
  ): void => {
    nodes.push({ op, name, inputs: [current, ...extra], attributes });
    current = name;
  };

  const norm = options.normalization;
  if (norm) {
    checkNormalization(norm, n0);
    apply('Sub', 'input.centered', [initializer('input.shift', [n0], norm.shift)]);
    apply('Div', 'input.normalized', [initializer('input.scale', [n0], norm.scale)]);
  }
  for (let l = 0; l < L; l++) {
    const p = params[l]!;
    const [nOut, nIn] = [size(spec, l + 1), size(spec, l)];
    // Folded tensors are not the file's layers.{l}.weight and .bias, so they get names of their own.
    const { weight, bias, prefix } = p.bn
      ? { ...foldBatchNorm(p, p.bn, nOut, nIn), prefix: 'folded_' }
      : { weight: p.weight, bias: p.bias, prefix: '' };
    const w = initializer(`layers.${l}.${prefix}weight`, [nOut, nIn], weight);
    const b = initializer(`layers.${l}.${prefix}bias`, [nOut], bias);
    apply('Gemm', `layers.${l}.gemm`, [w, b], [intAttribute('transB', 1)]);
    if (l < L - 1) activation(spec.activation, l, apply);
  }
  if (spec.loss === 'ce') apply('Softmax', 'output.softmax', [], [intAttribute('axis', -1)]);
  if (spec.loss === 'bce') apply('Sigmoid', 'output.sigmoid');
  const tn = options.targetNormalization;
  if (tn) {
    if (spec.loss !== 'mse')
      throw new TrainerError(
        'bad-input',
        `onnx: targetNormalization is for an 'mse' model, this one has '${spec.loss}'`,
      );
    checkNormalization(tn, size(spec, L), 'outputs');
    apply('Mul', 'output.scaled', [initializer('output.scale', [size(spec, L)], tn.scale)]);
    apply('Add', 'output.shifted', [initializer('output.shift', [size(spec, L)], tn.shift)]);
  }

  checkNames(inputName, outputName, [...initializerNames, ...nodes.slice(0, -1).map((n) => n.name)]);
  const graph = [
    ...nodes.map((n, i) => bytesField(GRAPH.node, nodeProto(n, i === nodes.length - 1 ? outputName : n.name))),
    stringField(GRAPH.name, `mlp ${spec.sizes.join('-')}`),
    ...initializers.map((t) => bytesField(GRAPH.initializer, t)),
    valueInfo(GRAPH.input, inputName, [BATCH_DIM, n0]),
    valueInfo(GRAPH.output, outputName, [BATCH_DIM, size(spec, L)]),
  ];
  return message(
    intField(MODEL.irVersion, IR_VERSION),
    stringField(MODEL.producerName, options.producer ?? 'webgpu-mlp-trainer'),
    messageField(MODEL.graph, ...graph),
    messageField(MODEL.opsetImport, intField(OPSET_ID.version, OPSET)),
    ...Object.entries({ ...(norm ? { normalization: norm.method } : {}), ...options.metadata }).map(([k, v]) =>
      messageField(MODEL.metadataProps, stringField(ENTRY.key, k), stringField(ENTRY.value, v)),
    ),
  );
}

/** The node of a hidden activation; 'linear' (identity) adds none. */
function activation(
  g: Activation,
  l: number,
  apply: (op: string, name: string, extra?: readonly string[], attributes?: readonly Uint8Array[]) => void,
): void {
  const name = `layers.${l}.${g}`;
  switch (g) {
    case 'relu':
      return apply('Relu', name);
    case 'sigmoid':
      return apply('Sigmoid', name);
    case 'tanh':
      return apply('Tanh', name);
    case 'leaky_relu':
      return apply('LeakyRelu', name, [], [floatAttribute('alpha', LEAKY_SLOPE)]);
    case 'linear':
      return;
  }
}

/** W' = s·W row-wise and b' = β − s·μ with s = γ/√(σ² + ε), in float64. */
function foldBatchNorm(
  p: LayerParams,
  bn: BatchNormTensors<Float32Array>,
  nOut: number,
  nIn: number,
): { weight: Float64Array; bias: Float64Array } {
  const weight = new Float64Array(nOut * nIn);
  const bias = new Float64Array(nOut);
  for (let j = 0; j < nOut; j++) {
    const s = bn.gamma[j]! / Math.sqrt(bn.var[j]! + BN_EPSILON);
    for (let i = 0; i < nIn; i++) weight[j * nIn + i] = s * p.weight[j * nIn + i]!;
    bias[j] = bn.beta[j]! - s * bn.mean[j]!;
  }
  return { weight, bias };
}

/** A float32 TensorProto, values little-endian in raw_data. A value that is not a finite float32
 *  (NaN, ±Inf, or past float32's range) throws, naming the tensor and the index. */
function tensor(name: string, dims: readonly number[], values: ArrayLike<number>): Uint8Array {
  const raw = new Uint8Array(values.length * 4);
  const view = new DataView(raw.buffer);
  for (let i = 0; i < values.length; i++) {
    const v = Math.fround(values[i]!);
    if (!Number.isFinite(v))
      throw new TrainerError('bad-input', `onnx: ${name}[${i}] is ${values[i]}, not a finite float32`);
    view.setFloat32(i * 4, v, true);
  }
  return message(
    ...dims.map((d) => intField(TENSOR.dims, d)),
    intField(TENSOR.dataType, FLOAT),
    stringField(TENSOR.name, name),
    bytesField(TENSOR.rawData, raw),
  );
}

function intAttribute(name: string, v: number): Uint8Array {
  return message(stringField(ATTRIBUTE.name, name), intField(ATTRIBUTE.i, v), intField(ATTRIBUTE.type, ATTR.INT));
}

function floatAttribute(name: string, v: number): Uint8Array {
  return message(stringField(ATTRIBUTE.name, name), floatField(ATTRIBUTE.f, v), intField(ATTRIBUTE.type, ATTR.FLOAT));
}

function nodeProto(n: GraphNode, output: string): Uint8Array {
  return message(
    ...n.inputs.map((i) => stringField(NODE.input, i)),
    stringField(NODE.output, output),
    stringField(NODE.name, n.name),
    stringField(NODE.opType, n.op),
    ...n.attributes.map((a) => bytesField(NODE.attribute, a)),
  );
}

/** A graph input or output: a float tensor whose dims are sizes or symbolic names. */
function valueInfo(field: number, name: string, dims: readonly (number | string)[]): Uint8Array {
  const dim = (d: number | string): Uint8Array =>
    messageField(SHAPE.dim, typeof d === 'string' ? stringField(DIM.param, d) : intField(DIM.value, d));
  const shape = messageField(TYPE_TENSOR.shape, ...dims.map(dim));
  return messageField(
    field,
    stringField(VALUE_INFO.name, name),
    messageField(VALUE_INFO.type, messageField(TYPE.tensorType, intField(TYPE_TENSOR.elemType, FLOAT), shape)),
  );
}

/** Every tensor of every layer has the spec's shape and finite values, batch norm's tensors are there
 *  exactly on the layers the spec normalises, and running variances are not negative. */
function checkParams(spec: ModelSpec, params: Params): void {
  const L = layerCount(spec);
  if (params.length !== L)
    throw new TrainerError(
      'bad-input',
      `onnx: the spec [${spec.sizes.join(',')}] has ${L} layers but params has ${params.length}`,
    );
  params.forEach((p, l) => {
    if (hasBatchNorm(spec, l) && !p.bn)
      throw new TrainerError(
        'bad-input',
        `onnx: ${tensorName(l, 'bn_gamma')} and the other bn_* tensors are missing: the spec has batch norm on layer ${l}`,
      );
    if (!hasBatchNorm(spec, l) && p.bn)
      throw new TrainerError(
        'bad-input',
        `onnx: ${tensorName(l, 'bn_gamma')}: params has batch-norm tensors but the spec has none on layer ${l}`,
      );
    for (const [kind, t] of layerTensors(p)) {
      const shape = tensorShape(spec, l, kind);
      const n = shape.reduce((a, b) => a * b, 1);
      if (t.length !== n)
        throw new TrainerError(
          'bad-input',
          `onnx: ${tensorName(l, kind)} has ${t.length} values, expected ${n} for shape [${shape.join(',')}]`,
        );
      const bad = t.findIndex((v) => !Number.isFinite(v));
      if (bad >= 0) throw new TrainerError('bad-input', `onnx: ${tensorName(l, kind)}[${bad}] is ${t[bad]}`);
    }
    const bad = p.bn ? p.bn.var.findIndex((v) => !(v >= 0)) : -1;
    if (bad >= 0)
      throw new TrainerError(
        'bad-input',
        `onnx: ${tensorName(l, 'bn_var')}[${bad}] is ${p.bn!.var[bad]}, a variance must be ≥ 0`,
      );
  });
}

/** shift and scale hold one finite value per input feature, and every scale is > 0 (a division by it
 *  follows). */
function checkNormalization(norm: InputNormalization, n0: number, what = 'inputs'): void {
  if (norm.method !== 'standard' && norm.method !== 'minmax')
    throw new TrainerError(
      'bad-input',
      `onnx: normalization method must be 'standard' or 'minmax', got '${String(norm.method)}'`,
    );
  for (const [name, values] of [
    ['shift', norm.shift],
    ['scale', norm.scale],
  ] as const) {
    if (values.length !== n0)
      throw new TrainerError(
        'bad-input',
        `onnx: normalization ${name} has ${values.length} values but the model has ${n0} ${what}`,
      );
    const bad = values.findIndex((v) => !Number.isFinite(v) || (name === 'scale' && !(Math.fround(v) > 0)));
    if (bad >= 0)
      throw new TrainerError(
        'bad-input',
        `onnx: normalization ${name}[${bad}] is ${values[bad]}, expected a finite number${name === 'scale' ? ' > 0 (as a float32)' : ''}`,
      );
  }
}

/** The input and output names must differ from each other and from every tensor and value inside. */
function checkNames(inputName: string, outputName: string, inside: readonly string[]): void {
  if (inputName === '' || outputName === '')
    throw new TrainerError('bad-input', 'onnx: the input and output names must not be empty');
  if (inputName === outputName)
    throw new TrainerError('bad-input', `onnx: the input and output are both named '${inputName}'`);
  for (const name of [inputName, outputName]) {
    if (inside.includes(name))
      throw new TrainerError(
        'bad-input',
        `onnx: the name '${name}' is already used by a tensor or value inside the graph`,
      );
  }
}
