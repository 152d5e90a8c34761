import { encodeMetadata, encodeModel, layerTensorName, makeTensor, METADATA_KEY, stateNames, type IGraphProto, type IValueInfoProto, type ModelMetadata, type TensorProto } from '@intrnn/format';
import { featureInputs } from '@intrnn/runtime-core';
import type { BiLstmTagger, G2pModel, LstmLanguageModel, QGru, QLstm } from '@intrnn/qat';
import { GraphBuilder, valueInfo } from './onnx/graph-builder.js';
import { ONNX_OPSET } from './onnx/lstm-function.js';

/**
 * One float recurrent layer. LSTM: wx [D, 4H], wh [H, 4H], bias [4H], optional MadNorm γ, β [4, H].
 * GRU (`biasH` present): wx [D, 3H], wh [H, 3H], bias [3H] on the input product, biasH [3H] on the
 * recurrent one (gates z, r, n; the reset gate after the recurrent product, as QGru).
 */
export interface FloatLayer {
  name: string;
  biasH?: Float32Array;
  inputSize: number;
  hiddenSize: number;
  wx: Float32Array;
  wh: Float32Array;
  bias: Float32Array;
  norm: { gamma: Float32Array; beta: Float32Array } | null;
  direction: 'forward' | 'reverse';
}

/** Float weights of a model, as the tfjs float forward uses them. */
export interface FloatModelSpec {
  topology: 'stacked' | 'bidirectional';
  embedding: { data: Float32Array; rows: number; cols: number };
  /** Spelling feature tables concatenated to the embedding, each indexed by its graph input. */
  features?: { name: string; input: string; data: Float32Array; rows: number; cols: number }[];
  layers: FloatLayer[];
  /** `tied`: the weights are the embedding's (stored once, read transposed). */
  output: { weights: Float32Array; bias: Float32Array; rows: number; cols: number; tied?: boolean };
  meta: ModelMetadata;
}

/**
 * How weight matrix products are written: plain float `MatMul`, or ONNX Runtime's dynamic int8
 * path as its quantization tool writes it (DynamicQuantizeLinear of the activations to uint8,
 * MatMulInteger u8 · s8 with per-column symmetric weight scales, Cast, Mul), the peer a user
 * would pick instead of intrnn.
 */
export type WeightProducts = 'float32' | 'int8-dynamic';

/** x [.., K] · W [K, N] where W is the named float initializer's data (dims [K, N]). */
function weightProduct(g: GraphBuilder, mode: WeightProducts, x: string, name: string, w: Float32Array, K: number, N: number, inits: TensorProto[]): string {
  if (mode === 'float32') {
    inits.push(makeTensor(name, 'float32', [K, N], w));
    return g.node('MatMul', [x, name]);
  }
  const scale = new Float32Array(N);
  for (let k = 0; k < K; k++) for (let n = 0; n < N; n++) scale[n] = Math.max(scale[n], Math.abs(w[k * N + n]) / 127);
  const q = new Int8Array(K * N);
  for (let k = 0; k < K; k++) for (let n = 0; n < N; n++) q[k * N + n] = scale[n] > 0 ? Math.max(-127, Math.min(127, Math.round(w[k * N + n] / scale[n]))) : 0;
  inits.push(makeTensor(`${name}.q`, 'int8', [K, N], q), makeTensor(`${name}.scale`, 'float32', [N], scale));
  const [xq, xs, xzp] = g.nodeN('DynamicQuantizeLinear', [x], 3);
  const acc = g.node('Cast', [g.node('MatMulInteger', [xq, `${name}.q`, xzp])], { to: 1 });
  return g.node('Mul', [acc, g.node('Mul', [xs, `${name}.scale`])]);
}

/** W [N, K] row-major (rows are outputs) transposed to [K, N]. */
function transposed(w: Float32Array, N: number, K: number): Float32Array {
  const t = new Float32Array(K * N);
  for (let n = 0; n < N; n++) for (let k = 0; k < K; k++) t[k * N + n] = w[n * K + k];
  return t;
}

/** MadNorm epsilon of the float forward (packages/qat madNormFloat). */
const MAD_EPS = 1e-6;

/** The time order of a layer's input x [B, T, D] (T-1-t for a reverse layer) and x gathered in it. */
function timeOrder(g: GraphBuilder, x: string, direction: FloatLayer['direction']): { order: string; xs: string } {
  const steps = g.node('Gather', [g.node('Shape', [x]), g.constant(1)], { axis: 0 });
  const t = g.node('Range', [g.constant(0), steps, g.constant(1)]);
  const order = direction === 'forward' ? t : g.node('Sub', [g.node('Sub', [steps, g.constant(1)]), t]);
  return { order, xs: g.node('Gather', [x, order], { axis: 1 }) };
}

/** One float LSTM layer as a Scan over time in standard ops (the same math as QLstm.forwardFloat). */
function floatLstm(g: GraphBuilder, l: FloatLayer, x: string, h0: string, c0: string, inits: TensorProto[], mode: WeightProducts): { y: string; h: string; c: string } {
  const n = (s: string) => layerTensorName(l.name, s);
  const H = l.hiddenSize;
  inits.push(makeTensor(n('bias'), 'float32', [4 * H], l.bias));
  if (l.norm) inits.push(makeTensor(n('gamma'), 'float32', [4, H], l.norm.gamma), makeTensor(n('beta'), 'float32', [4, H], l.norm.beta));
  const { order, xs } = timeOrder(g, x, l.direction);
  const s = new GraphBuilder(`${l.name}_s_`);
  const z = s.node('Add', [s.node('Add', [weightProduct(s, mode, 'x_t', n('wx'), l.wx, l.inputSize, 4 * H, inits), n('bias')]), weightProduct(s, mode, 'h_prev', n('wh'), l.wh, H, 4 * H, inits)]);
  const z3 = s.node('Reshape', [z, s.constant([0, 4, H])]);
  let gates = z3;
  if (l.norm) {
    const axis = s.constant([2]);
    const d = s.node('Sub', [z3, s.node('ReduceMean', [z3, axis], { keepdims: 1 })]);
    const mad = s.node('Add', [s.node('ReduceMean', [s.node('Abs', [d]), axis], { keepdims: 1 }), s.constant(MAD_EPS, 'float32')]);
    gates = s.node('Add', [s.node('Mul', [s.node('Div', [d, mad]), n('gamma')]), n('beta')]);
  }
  const gate = (i: number) => s.node('Gather', [gates, s.constant(i)], { axis: 1 });
  const [zi, zf, zg, zo] = [0, 1, 2, 3].map(gate);
  const c = s.node('Add', [s.node('Mul', [s.node('Sigmoid', [zf]), 'c_prev']), s.node('Mul', [s.node('Sigmoid', [zi]), s.node('Tanh', [zg])])]);
  const h = s.node('Mul', [s.node('Sigmoid', [zo]), s.node('Tanh', [c])]);
  s.nodes.push(
    { opType: 'Identity', domain: '', input: [h], output: ['h_next'] },
    { opType: 'Identity', domain: '', input: [c], output: ['c_next'] },
    { opType: 'Identity', domain: '', input: [h], output: ['y_t'] },
  );
  const body: IGraphProto = {
    name: `${l.name}_step`,
    node: s.nodes,
    input: [valueInfo('h_prev', 'float32', null), valueInfo('c_prev', 'float32', null), valueInfo('x_t', 'float32', null)],
    output: [valueInfo('h_next', 'float32', null), valueInfo('c_next', 'float32', null), valueInfo('y_t', 'float32', null)],
  };
  const [hT, cT, ys] = g.nodeN('Scan', [h0, c0, xs], 3, { num_scan_inputs: 1, scan_input_axes: [1], scan_output_axes: [1], body: { graph: body } });
  return { y: g.node('Gather', [ys, order], { axis: 1 }), h: hT, c: cT };
}

/** One float GRU layer as a Scan over time in standard ops (the same math as QGru.forwardFloat); the state is h alone. */
function floatGru(g: GraphBuilder, l: FloatLayer, x: string, h0: string, inits: TensorProto[], mode: WeightProducts): { y: string; h: string } {
  const n = (s: string) => layerTensorName(l.name, s);
  const H = l.hiddenSize;
  inits.push(makeTensor(n('bias'), 'float32', [3 * H], l.bias), makeTensor(n('bias_h'), 'float32', [3 * H], l.biasH!));
  const { order, xs } = timeOrder(g, x, l.direction);
  const s = new GraphBuilder(`${l.name}_s_`);
  const ax = s.node('Reshape', [s.node('Add', [weightProduct(s, mode, 'x_t', n('wx'), l.wx, l.inputSize, 3 * H, inits), n('bias')]), s.constant([0, 3, H])]);
  const ah = s.node('Reshape', [s.node('Add', [weightProduct(s, mode, 'h_prev', n('wh'), l.wh, H, 3 * H, inits), n('bias_h')]), s.constant([0, 3, H])]);
  const part = (v: string, i: number) => s.node('Gather', [v, s.constant(i)], { axis: 1 });
  const z = s.node('Sigmoid', [s.node('Add', [part(ax, 0), part(ah, 0)])]);
  const r = s.node('Sigmoid', [s.node('Add', [part(ax, 1), part(ah, 1)])]);
  const cand = s.node('Tanh', [s.node('Add', [part(ax, 2), s.node('Mul', [r, part(ah, 2)])])]);
  // h = z·h_prev + (1 - z)·n = n + z·(h_prev - n)
  const h = s.node('Add', [cand, s.node('Mul', [z, s.node('Sub', ['h_prev', cand])])]);
  s.nodes.push({ opType: 'Identity', domain: '', input: [h], output: ['h_next'] }, { opType: 'Identity', domain: '', input: [h], output: ['y_t'] });
  const body: IGraphProto = {
    name: `${l.name}_step`,
    node: s.nodes,
    input: [valueInfo('h_prev', 'float32', null), valueInfo('x_t', 'float32', null)],
    output: [valueInfo('h_next', 'float32', null), valueInfo('y_t', 'float32', null)],
  };
  const [hT, ys] = g.nodeN('Scan', [h0, xs], 2, { num_scan_inputs: 1, scan_input_axes: [1], scan_output_axes: [1], body: { graph: body } });
  return { y: g.node('Gather', [ys, order], { axis: 1 }), h: hT };
}

/**
 * The float32 model in standard ONNX ops only (Gather, Scan with MatMul/Sigmoid/Tanh, MatMul):
 * the comparison point for accuracy, size and speed. Same inputs and outputs as the integer file,
 * with float states and float logits.
 */
export function buildFloatModel(spec: FloatModelSpec, mode: WeightProducts = 'float32'): Uint8Array {
  const g = new GraphBuilder('g_');
  const inits: TensorProto[] = [makeTensor('embedding', 'float32', [spec.embedding.rows, spec.embedding.cols], spec.embedding.data)];
  const batch = spec.topology === 'bidirectional' ? 1 : 'batch';
  const inputs: IValueInfoProto[] = [valueInfo('tokens', 'int64', [batch, 'time'])];
  const outputs: IValueInfoProto[] = [];
  let embedded = g.node('Gather', ['embedding', 'tokens'], { axis: 0 });
  for (const f of spec.features ?? []) inputs.push(valueInfo(f.input, 'int64', [batch, 'time']));
  if (spec.features?.length) {
    inits.push(...spec.features.map((f) => makeTensor(f.name, 'float32', [f.rows, f.cols], f.data)));
    embedded = g.node('Concat', [embedded, ...spec.features.map((f) => g.node('Gather', [f.name, f.input], { axis: 0 }))], { axis: 2 });
  }
  let x = embedded;
  const ys: string[] = [];
  for (const l of spec.layers) {
    const H = l.hiddenSize;
    const st = stateNames(l.name);
    let h0 = st.h0;
    let c0 = st.c0;
    if (l.biasH) {
      // a GRU layer: its state is h alone (stacked: fed and returned; bidirectional: zero, over the inputs)
      if (spec.topology === 'stacked') inputs.push(valueInfo(h0, 'float32', [batch, H]));
      else h0 = g.constant(new Array(H).fill(0), 'float32', [1, H]);
      const r = floatGru(g, l, spec.topology === 'stacked' ? x : embedded, h0, inits, mode);
      if (spec.topology === 'stacked') {
        g.nodes.push({ opType: 'Identity', domain: '', input: [r.h], output: [st.hT] });
        outputs.push(valueInfo(st.hT, 'float32', [batch, H]));
      }
      x = r.y;
      ys.push(r.y);
      continue;
    }
    if (spec.topology === 'stacked') {
      inputs.push(valueInfo(h0, 'float32', [batch, H]), valueInfo(c0, 'float32', [batch, H]));
    } else {
      h0 = g.constant(new Array(H).fill(0), 'float32', [1, H]);
      c0 = g.constant(new Array(H).fill(0), 'float32', [1, H]);
    }
    const r = floatLstm(g, l, spec.topology === 'stacked' ? x : embedded, h0, c0, inits, mode);
    if (spec.topology === 'stacked') {
      g.nodes.push({ opType: 'Identity', domain: '', input: [r.h], output: [st.hT] }, { opType: 'Identity', domain: '', input: [r.c], output: [st.cT] });
      outputs.push(valueInfo(st.hT, 'float32', [batch, H]), valueInfo(st.cT, 'float32', [batch, H]));
    }
    x = r.y;
    ys.push(r.y);
  }
  if (spec.topology === 'bidirectional') x = g.node('Concat', ys, { axis: 2 });
  const out = spec.output;
  inits.push(makeTensor('output.B', 'float32', [out.rows], out.bias));
  // tied (float32): the embedding read transposed, so the file stores the matrix once as the model does
  const product =
    out.tied && mode === 'float32'
      ? g.node('MatMul', [x, g.node('Transpose', ['embedding'], { perm: [1, 0] })])
      : weightProduct(g, mode, x, 'output.W', transposed(out.weights, out.rows, out.cols), out.cols, out.rows, inits);
  g.nodes.push({ opType: 'Add', domain: '', input: [product, 'output.B'], output: ['logits'] });
  outputs.unshift(valueInfo('logits', 'float32', [batch, 'time', out.rows]));
  return encodeModel({
    irVersion: 10,
    producerName: 'intrnn-converter',
    producerVersion: '0.1.0',
    opsetImport: [{ domain: '', version: ONNX_OPSET }],
    metadataProps: [{ key: METADATA_KEY, value: encodeMetadata(spec.meta) }],
    graph: { name: `intrnn_${spec.meta.task}_float32`, node: g.nodes, initializer: inits, input: inputs, output: outputs },
  });
}

function floatLayer(layer: QLstm, name: string, direction: FloatLayer['direction']): FloatLayer {
  return {
    name,
    inputSize: layer.inputSize,
    hiddenSize: layer.hiddenSize,
    wx: layer.wx.dataSync() as Float32Array,
    wh: layer.wh.dataSync() as Float32Array,
    bias: layer.bias.dataSync() as Float32Array,
    norm: layer.normGamma && layer.normBeta ? { gamma: layer.normGamma.dataSync() as Float32Array, beta: layer.normBeta.dataSync() as Float32Array } : null,
    direction,
  };
}

function floatGruLayer(layer: QGru, name: string, direction: FloatLayer['direction'] = 'forward'): FloatLayer {
  return {
    name,
    inputSize: layer.inputSize,
    hiddenSize: layer.hiddenSize,
    wx: layer.wx.dataSync() as Float32Array,
    wh: layer.wh.dataSync() as Float32Array,
    bias: layer.biasX.dataSync() as Float32Array,
    biasH: layer.biasH.dataSync() as Float32Array,
    norm: null,
    direction,
  };
}

/** Metadata of the float file: the integer file's, marked float32 (no PWL tables, no proof). */
function floatMeta(meta: ModelMetadata): ModelMetadata {
  return { ...meta, numerics: 'float32', pwlTables: {}, overflowProof: [] };
}

/** Float spec of a language model (weights as trained). */
export function floatLanguageModelSpec(model: LstmLanguageModel, meta: ModelMetadata): FloatModelSpec {
  const { vocabSize: V, embedSize: E, hiddenSize: H } = model.config;
  return {
    topology: 'stacked',
    embedding: { data: model.embedding.dataSync() as Float32Array, rows: V, cols: E },
    layers: model.recurrent.map((l, i) => ('biasH' in l ? floatGruLayer(l, `gru${i}`) : floatLayer(l, `lstm${i}`, 'forward'))),
    output: { weights: model.outW.dataSync() as Float32Array, bias: model.outB.dataSync() as Float32Array, rows: V, cols: H, tied: model.tied },
    meta: floatMeta(meta),
  };
}

/** Float spec of a tagger. */
export function floatTaggerSpec(model: BiLstmTagger, meta: ModelMetadata): FloatModelSpec {
  const { vocabSize: V, embedSize: E, hiddenSize: H, tagCount } = model.config;
  const inputs = meta.wordFeatures ? featureInputs(meta.wordFeatures) : [];
  return {
    topology: 'bidirectional',
    embedding: { data: model.embedding.dataSync() as Float32Array, rows: V, cols: E },
    features: model.features.map((f, i) => ({ name: `table.${inputs[i]}`, input: inputs[i], data: f.variable.dataSync() as Float32Array, rows: f.variable.shape[0], cols: f.variable.shape[1]! })),
    layers: (
      [
        ['forward', 'forward'],
        ['backward', 'reverse'],
      ] as const
    ).map(([name, direction]) => {
      const cell = model.recurrent[name];
      return 'biasH' in cell ? floatGruLayer(cell, name, direction) : floatLayer(cell, name, direction);
    }),
    output: { weights: model.outW.dataSync() as Float32Array, bias: model.outB.dataSync() as Float32Array, rows: tagCount, cols: 2 * H },
    meta: floatMeta(meta),
  };
}

/** Float weights of a G2P model. */
export interface FloatG2pSpec {
  letters: { data: Float32Array; rows: number; cols: number };
  phones: { data: Float32Array; rows: number; cols: number };
  encoderForward: FloatLayer;
  encoderBackward: FloatLayer;
  decoder: FloatLayer;
  output: { weights: Float32Array; bias: Float32Array; rows: number; cols: number };
  meta: ModelMetadata;
}

/** The float32 G2P model in standard ops: the same inputs as the integer file, float logits. */
export function buildFloatG2pModel(spec: FloatG2pSpec, mode: WeightProducts = 'float32'): Uint8Array {
  const g = new GraphBuilder('g_');
  const inits: TensorProto[] = [
    makeTensor('embedding', 'float32', [spec.letters.rows, spec.letters.cols], spec.letters.data),
    makeTensor('decoder_embedding', 'float32', [spec.phones.rows, spec.phones.cols], spec.phones.data),
  ];
  const zeros = (H: number) => g.constant(new Array(H).fill(0), 'float32', [1, H]);
  const lstm = (l: FloatLayer, x: string) => floatLstm(g, l, x, zeros(l.hiddenSize), zeros(l.hiddenSize), inits, mode).y;
  const x = g.node('Gather', ['embedding', 'letters'], { axis: 0 });
  const enc = g.node('Concat', [lstm(spec.encoderForward, x), lstm(spec.encoderBackward, x)], { axis: 2 });
  const dec = lstm(spec.decoder, g.node('Gather', ['decoder_embedding', 'decoder_input'], { axis: 0 }));
  const weights = g.node('Softmax', [g.node('MatMul', [dec, g.node('Transpose', [enc], { perm: [0, 2, 1] })])], { axis: -1 });
  const features = g.node('Concat', [dec, g.node('MatMul', [weights, enc])], { axis: 2 });
  const out = spec.output;
  inits.push(makeTensor('output.B', 'float32', [out.rows], out.bias));
  g.nodes.push({
    opType: 'Add',
    domain: '',
    input: [weightProduct(g, mode, features, 'output.W', transposed(out.weights, out.rows, out.cols), out.cols, out.rows, inits), 'output.B'],
    output: ['logits'],
  });
  return encodeModel({
    irVersion: 10,
    producerName: 'intrnn-converter',
    producerVersion: '0.1.0',
    opsetImport: [{ domain: '', version: ONNX_OPSET }],
    metadataProps: [{ key: METADATA_KEY, value: encodeMetadata(spec.meta) }],
    graph: {
      name: 'intrnn_g2p-cmudict_float32',
      node: g.nodes,
      initializer: inits,
      input: [valueInfo('letters', 'int64', [1, 'letters']), valueInfo('decoder_input', 'int64', [1, 'steps'])],
      output: [valueInfo('logits', 'float32', [1, 'steps', out.rows])],
    },
  });
}

/** Float spec of a G2P model. */
export function floatG2pSpec(model: G2pModel, meta: ModelMetadata): FloatG2pSpec {
  const { letterCount, phoneCount, embedSize: E, hiddenSize: H } = model.config;
  return {
    letters: { data: model.letters.dataSync() as Float32Array, rows: letterCount, cols: E },
    phones: { data: model.phones.dataSync() as Float32Array, rows: phoneCount, cols: E },
    encoderForward: floatLayer(model.encoder.forward, 'encoder_forward', 'forward'),
    encoderBackward: floatLayer(model.encoder.backward, 'encoder_backward', 'reverse'),
    decoder: floatLayer(model.decoder, 'decoder', 'forward'),
    output: { weights: model.outW.dataSync() as Float32Array, bias: model.outB.dataSync() as Float32Array, rows: phoneCount, cols: 4 * H },
    meta: floatMeta(meta),
  };
}
