/**
 * The peers a user would pick instead of intrnn, built from an integer file alone so that a fresh
 * clone reproduces every benchmark: the float model the integer one approximates (weights
 * dequantized with the file's own scales), written (a) with the standard ONNX `LSTM` op, ONNX
 * Runtime's fused kernel, and (b) in ONNX Runtime's int8 form as its quantization tool writes it,
 * `com.microsoft` `DynamicQuantizeLSTM` and `DynamicQuantizeMatMul` (per-output-channel symmetric
 * int8 weights). Language models (stacked LSTMs without MadNorm, one token per call with the state
 * carried); a layer with MadNorm has no standard-op form and is refused. A GRU language model's
 * peers use the standard ONNX `GRU` op (linear_before_reset = 1, the form of ai.intrnn:IntGRU); ONNX
 * Runtime's quantization tool has no int8 GRU, so its int8 form keeps the GRU in float32 and makes
 * the output layer a `DynamicQuantizeMatMul`, as the tool does.
 */
import {
  decodeModel,
  encodeMetadata,
  encodeModel,
  inputIndex,
  IntrnnError,
  makeTensor,
  METADATA_KEY,
  modelKind,
  modelMetadata,
  readTensor,
  int8Values,
  stateNames,
  type IValueInfoProto,
  type ModelMetadata,
  type Tensor,
  type TensorProto,
} from '@intrnn/format';
import { GraphBuilder, valueInfo } from './onnx/graph-builder.js';
import { ONNX_OPSET } from './onnx/lstm-function.js';

/**
 * One dequantized layer. LSTM: gates in intrnn's order [i, f, g, o], w [4H, D], r [4H, H], bias [4H].
 * GRU: gates z, r, n (ONNX's order too), w [3H, D], r [3H, H], bias [3H] on the input product and
 * biasH [3H] on the recurrent one.
 */
export interface PeerLayer {
  name: string;
  cell: 'lstm' | 'gru';
  inputSize: number;
  hiddenSize: number;
  w: Float32Array;
  r: Float32Array;
  bias: Float32Array;
  biasH?: Float32Array;
}

/** The float language model an integer file approximates. */
export interface DequantizedLm {
  embedding: { data: Float32Array; rows: number; cols: number };
  layers: PeerLayer[];
  /** [V, H] rows are outputs. */
  output: { weights: Float32Array; bias: Float32Array; rows: number; cols: number };
  meta: ModelMetadata;
}

/** Which peer: the float32 model with the standard LSTM (or GRU) op, or ONNX Runtime's dynamic int8 form of it. */
export type PeerForm = 'lstm-float32' | 'lstm-int8-dynamic' | 'gru-float32' | 'gru-int8-dynamic';

/**
 * The reals a recurrent layer's integer rows stand for (LSTM: 4H rows, a bias on the input product;
 * GRU: 3H rows, then a recurrent bias row too). Each product in gate units is gateScale · (Σ w·x + b)
 * · M / 2^s with x = x_real / inputScale (h = h_real / hiddenScale for the recurrent one).
 */
function dequantizeRows(
  W: Tensor,
  R: Tensor,
  B: Int32Array,
  mults: Int32Array,
  shifts: Int8Array,
  lm: { gateScale: number; inputScale: number; hiddenScale: number },
  gates: 3 | 4,
): { inputSize: number; hiddenSize: number; w: Float32Array; r: Float32Array; bias: Float32Array; biasH?: Float32Array } {
  const rows = W.dims[0];
  const [D, H] = [W.dims[1], rows / gates];
  const w = new Float32Array(rows * D);
  const r = new Float32Array(rows * H);
  const bias = new Float32Array(rows);
  const biasH = gates === 3 ? new Float32Array(rows) : undefined;
  for (let row = 0; row < rows; row++) {
    const sx = (lm.gateScale * mults[row]) / 2 ** shifts[row];
    const sh = (lm.gateScale * mults[rows + row]) / 2 ** shifts[rows + row];
    for (let j = 0; j < D; j++) w[row * D + j] = ((W.data as Int8Array)[row * D + j] * sx) / lm.inputScale;
    for (let j = 0; j < H; j++) r[row * H + j] = ((R.data as Int8Array)[row * H + j] * sh) / lm.hiddenScale;
    bias[row] = B[row] * sx;
    if (biasH) biasH[row] = B[rows + row] * sh;
  }
  return { inputSize: D, hiddenSize: H, w, r, bias, biasH };
}

/** Read the integer language model's tensors and turn them back into the reals they stand for. */
export function dequantizeLanguageModel(bytes: Uint8Array): DequantizedLm {
  const model = decodeModel(bytes);
  const meta = modelMetadata(model, 'metadata');
  if (meta.numerics !== 'integer') throw new IntrnnError('ERR_OPTION', 'model', 'peers are built from the integer file');
  if (modelKind(meta) !== 'language-model') throw new IntrnnError('ERR_OPTION', 'model', `peers are built for language models; this is a ${modelKind(meta)}`);
  const graph = model.graph;
  const inits = new Map<string, TensorProto>((graph?.initializer ?? []).map((t) => [t.name ?? '', t]));
  const nodes = graph?.node ?? [];
  // an int4 table reaches its Gather through a Cast to int8: read the initializer behind it
  const source = (name: string | undefined | null) => nodes.find((n) => n.opType === 'Cast' && n.output?.[0] === name)?.input?.[0] ?? name;
  // int4 weights as their int8 values: the peers dequantize either alike
  const tensor = (name: string | undefined | null, where: string): Tensor => {
    const t = inits.get(source(name) ?? '');
    if (!t) throw new IntrnnError('ERR_MODEL_GRAPH', where, `reads '${name}', which is not an initializer`);
    return int8Values(readTensor(t, where));
  };
  const embedNode = nodes.find((n) => n.opType === 'Gather' && n.input?.[1] === 'tokens');
  if (!embedNode) throw new IntrnnError('ERR_MODEL_GRAPH', 'graph', 'has no embedding Gather of the tokens');
  const emb = tensor(embedNode.input?.[0], 'embedding');
  const [V, E] = emb.dims;
  const embedding = { data: Float32Array.from(emb.data as Int8Array, (v) => v * meta.scales.embedding), rows: V, cols: E };
  const layers: PeerLayer[] = meta.layers.map((lm) => {
    if (lm.direction !== 'forward') throw new IntrnnError('ERR_OPTION', lm.node, 'is a reverse layer; language model peers are forward stacks');
    if (lm.cell === 'gru') {
      const node = nodes.find((n) => n.name === lm.node && n.opType === 'IntGRU');
      if (!node) throw new IntrnnError('ERR_MODEL_GRAPH', lm.node, 'the metadata names an IntGRU the graph lacks');
      const at = (input: 'W' | 'R' | 'B' | 'multipliers' | 'shifts') => tensor(node.input?.[inputIndex('IntGRU', input)], `${lm.node}.${input}`);
      const [W, R, B] = [at('W'), at('R'), at('B')];
      const mults = at('multipliers').data as Int32Array;
      const shifts = at('shifts').data as Int8Array;
      const d = dequantizeRows(W, R, B.data as Int32Array, mults, shifts, lm, 3);
      return { name: lm.node, cell: 'gru', ...d, biasH: d.biasH! };
    }
    if (lm.madNorm) throw new IntrnnError('ERR_OPTION', lm.node, 'has MadNorm, which the standard LSTM op cannot express');
    const node = nodes.find((n) => n.name === lm.node && n.opType === 'IntLSTM');
    if (!node) throw new IntrnnError('ERR_MODEL_GRAPH', lm.node, 'the metadata names an IntLSTM the graph lacks');
    const at = (input: 'W' | 'R' | 'B' | 'multipliers' | 'shifts') => tensor(node.input?.[inputIndex('IntLSTM', input)], `${lm.node}.${input}`);
    const [W, R, B] = [at('W'), at('R'), at('B')];
    const mults = at('multipliers').data as Int32Array;
    const shifts = at('shifts').data as Int8Array;
    return { name: lm.node, cell: 'lstm', ...dequantizeRows(W, R, B.data as Int32Array, mults, shifts, lm, 4) };
  });
  const out = nodes.find((n) => n.opType === 'IntDense');
  if (!out) throw new IntrnnError('ERR_MODEL_GRAPH', 'graph', 'has no IntDense output layer');
  const OW = tensor(out.input?.[1], 'output.W');
  const OB = tensor(out.input?.[2], 'output.B');
  const last = meta.layers[meta.layers.length - 1];
  const [N, K] = OW.dims;
  // a requantizing IntDense (§6b): row n's products reach the logit scale through M[n] · 2^-s[n]
  const ratio = new Float64Array(N).fill(1);
  if ((out.input?.length ?? 0) === 5) {
    const m = tensor(out.input?.[3], 'output.multipliers').data as Int32Array;
    const sh = tensor(out.input?.[4], 'output.shifts').data as Int8Array;
    for (let n = 0; n < N; n++) ratio[n] = m[n] * 2 ** -sh[n];
  }
  const output = {
    weights: Float32Array.from(OW.data as Int8Array, (v, i) => (v * ratio[Math.floor(i / K)] * meta.scales.logits) / last.hiddenScale),
    bias: Float32Array.from(OB.data as Int32Array, (v, n) => v * ratio[n] * meta.scales.logits),
    rows: N,
    cols: K,
  };
  return { embedding, layers, output, meta: { ...meta, numerics: 'float32', pwlTables: {}, overflowProof: [] } };
}

/** Gate rows reordered from intrnn's [i, f, g, o] to ONNX's [i, o, f, c]. */
function onnxGateOrder(m: Float32Array, H: number, cols: number): Float32Array {
  const out = new Float32Array(m.length);
  [0, 3, 1, 2].forEach((src, dst) => out.set(m.subarray(src * H * cols, (src + 1) * H * cols), dst * H * cols));
  return out;
}

/** Per-row symmetric int8 of m [rows, cols]: the values and one scale per row. */
function quantizeRows(m: Float32Array, rows: number, cols: number): { q: Int8Array; scale: Float32Array } {
  const q = new Int8Array(rows * cols);
  const scale = new Float32Array(rows);
  for (let i = 0; i < rows; i++) {
    let max = 0;
    for (let j = 0; j < cols; j++) max = Math.max(max, Math.abs(m[i * cols + j]));
    scale[i] = max > 0 ? max / 127 : 1;
    for (let j = 0; j < cols; j++) q[i * cols + j] = Math.round(m[i * cols + j] / scale[i]);
  }
  return { q, scale };
}

/** [rows, cols] → [cols, rows]. */
function transpose<T extends Float32Array | Int8Array>(m: T, rows: number, cols: number): T {
  const t = new (m.constructor as new (n: number) => T)(m.length);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) t[j * rows + i] = m[i * cols + j];
  return t;
}

/**
 * The peer file: inputs `tokens` [1, time] and each layer's float state, outputs `logits`
 * [1, time, V] and the next state, under the integer file's state names (so one stepper drives
 * every engine). Batch 1, as the integer language model is streamed.
 */
export function buildPeerLanguageModel(lm: DequantizedLm, form: PeerForm): Uint8Array {
  const g = new GraphBuilder('p_');
  const inits: TensorProto[] = [makeTensor('embedding', 'float32', [lm.embedding.rows, lm.embedding.cols], lm.embedding.data)];
  const inputs: IValueInfoProto[] = [valueInfo('tokens', 'int64', [1, 'time'])];
  const outputs: IValueInfoProto[] = [];
  // [1, T, E] → [T, 1, E]: the LSTM op's default layout is time-major
  let x = g.node('Transpose', [g.node('Gather', ['embedding', 'tokens'], { axis: 0 })], { perm: [1, 0, 2] });
  const axis0 = g.constant([0]);
  const axis1 = g.constant([1]);
  const float = form === 'lstm-float32' || form === 'gru-float32';
  for (const l of lm.layers) {
    const H = l.hiddenSize;
    const st = stateNames(l.name);
    if (!form.startsWith(`${l.cell}-`)) throw new IntrnnError('ERR_OPTION', l.name, `is a${l.cell === 'lstm' ? 'n LSTM' : ' GRU'} layer; the ${form} peer is for the other cell`);
    if (l.cell === 'gru') {
      // the standard GRU op in float32 in both forms: ORT's quantizer has no int8 GRU
      inputs.push(valueInfo(st.h0, 'float32', [1, H]));
      const b = new Float32Array(6 * H); // Wb then Rb
      b.set(l.bias);
      b.set(l.biasH!, 3 * H);
      inits.push(makeTensor(`${l.name}.W`, 'float32', [1, 3 * H, l.inputSize], l.w), makeTensor(`${l.name}.R`, 'float32', [1, 3 * H, H], l.r), makeTensor(`${l.name}.B`, 'float32', [1, 6 * H], b));
      const [y, hT] = g.nodeN('GRU', [x, `${l.name}.W`, `${l.name}.R`, `${l.name}.B`, '', g.node('Unsqueeze', [st.h0, axis0])], 2, { hidden_size: H, linear_before_reset: 1 });
      g.nodes.push({ opType: 'Squeeze', domain: '', input: [hT, axis0], output: [st.hT] });
      outputs.push(valueInfo(st.hT, 'float32', [1, H]));
      x = g.node('Squeeze', [y, axis1]);
      continue;
    }
    inputs.push(valueInfo(st.h0, 'float32', [1, H]), valueInfo(st.c0, 'float32', [1, H]));
    const w = onnxGateOrder(l.w, H, l.inputSize);
    const r = onnxGateOrder(l.r, H, H);
    const b = new Float32Array(8 * H); // Wb then Rb: the bias once, in Wb
    b.set(onnxGateOrder(l.bias, H, 1));
    inits.push(makeTensor(`${l.name}.B`, 'float32', [1, 8 * H], b));
    const h0 = g.node('Unsqueeze', [st.h0, axis0]);
    const c0 = g.node('Unsqueeze', [st.c0, axis0]);
    let outs: string[];
    if (float) {
      inits.push(makeTensor(`${l.name}.W`, 'float32', [1, 4 * H, l.inputSize], w), makeTensor(`${l.name}.R`, 'float32', [1, 4 * H, H], r));
      outs = g.nodeN('LSTM', [x, `${l.name}.W`, `${l.name}.R`, `${l.name}.B`, '', h0, c0], 3, { hidden_size: H });
    } else {
      // as ORT's quantizer writes it: W [1, D, 4H] and R [1, H, 4H] int8 (transposed), per-channel scales [1, 4H]
      const qw = quantizeRows(w, 4 * H, l.inputSize);
      const qr = quantizeRows(r, 4 * H, H);
      const zeros = new Int8Array(4 * H);
      inits.push(
        makeTensor(`${l.name}.W.q`, 'int8', [1, l.inputSize, 4 * H], transpose(qw.q, 4 * H, l.inputSize)),
        makeTensor(`${l.name}.R.q`, 'int8', [1, H, 4 * H], transpose(qr.q, 4 * H, H)),
        makeTensor(`${l.name}.W.scale`, 'float32', [1, 4 * H], qw.scale),
        makeTensor(`${l.name}.W.zero`, 'int8', [1, 4 * H], zeros),
        makeTensor(`${l.name}.R.scale`, 'float32', [1, 4 * H], qr.scale),
        makeTensor(`${l.name}.R.zero`, 'int8', [1, 4 * H], zeros),
      );
      outs = g.nodeN(
        'DynamicQuantizeLSTM',
        [x, `${l.name}.W.q`, `${l.name}.R.q`, `${l.name}.B`, '', h0, c0, '', `${l.name}.W.scale`, `${l.name}.W.zero`, `${l.name}.R.scale`, `${l.name}.R.zero`],
        3,
        { hidden_size: H },
        'com.microsoft',
      );
    }
    const [y, hT, cT] = outs;
    g.nodes.push({ opType: 'Squeeze', domain: '', input: [hT, axis0], output: [st.hT] }, { opType: 'Squeeze', domain: '', input: [cT, axis0], output: [st.cT] });
    outputs.push(valueInfo(st.hT, 'float32', [1, H]), valueInfo(st.cT, 'float32', [1, H]));
    x = g.node('Squeeze', [y, axis1]); // [T, 1, 1, H] → [T, 1, H]
  }
  const seq = g.node('Transpose', [x], { perm: [1, 0, 2] }); // [1, T, H]
  const o = lm.output;
  inits.push(makeTensor('output.B', 'float32', [o.rows], o.bias));
  if (float) {
    inits.push(makeTensor('output.W', 'float32', [o.cols, o.rows], transpose(o.weights, o.rows, o.cols)));
    g.nodes.push({ opType: 'Add', domain: '', input: [g.node('MatMul', [seq, 'output.W']), 'output.B'], output: ['logits'] });
  } else {
    const q = quantizeRows(o.weights, o.rows, o.cols);
    inits.push(
      makeTensor('output.W.q', 'int8', [o.cols, o.rows], transpose(q.q, o.rows, o.cols)),
      makeTensor('output.W.scale', 'float32', [o.rows], q.scale),
      makeTensor('output.W.zero', 'int8', [o.rows], new Int8Array(o.rows)),
    );
    g.nodes.push({ opType: 'DynamicQuantizeMatMul', domain: 'com.microsoft', input: [seq, 'output.W.q', 'output.W.scale', 'output.W.zero', 'output.B'], output: ['logits'] });
  }
  outputs.unshift(valueInfo('logits', 'float32', [1, 'time', o.rows]));
  return encodeModel({
    irVersion: 10,
    producerName: 'intrnn-converter',
    producerVersion: '0.1.0',
    opsetImport: [
      { domain: '', version: ONNX_OPSET },
      { domain: 'com.microsoft', version: 1 },
    ],
    metadataProps: [{ key: METADATA_KEY, value: encodeMetadata(lm.meta) }],
    graph: { name: `intrnn_${lm.meta.task}_${form}`, node: g.nodes, initializer: inits, input: inputs, output: outputs },
  });
}
