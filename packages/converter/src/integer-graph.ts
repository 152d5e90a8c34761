import { encodeModel, FORMAT_VERSION, INTRNN_DOMAIN, INTRNN_OPSET_VERSION, IntrnnError, makeTensor, METADATA_KEY, encodeMetadata, type INodeProto, type IValueInfoProto, type ModelMetadata, type PwlTable, type TensorProto } from '@intrnn/format';
import { accumulatorBound, type LstmCellParams } from '@intrnn/runtime-core';
import { valueInfo } from './onnx/graph-builder.js';
import { INT_LSTM_INPUTS, INT_LSTM_NORM_INPUTS, intAttentionFunction, intDenseFunction, intLstmFunction, ONNX_OPSET } from './onnx/lstm-function.js';

/** One LSTM layer of a model, with the metadata that describes it. */
export interface LayerSpec {
  name: string;
  cell: LstmCellParams;
  direction: 'forward' | 'reverse';
  meta: Omit<ModelMetadata['layers'][number], 'node' | 'direction' | 'inputSize' | 'hiddenSize' | 'bits'>;
}

/** Everything the converter needs to write an integer model. */
export interface IntegerModelSpec {
  /** `stacked`: layer l feeds layer l+1, state carried in and out (language model). `bidirectional`: one forward and one reverse layer over the embedding, concatenated (tagger), batch 1. */
  topology: 'stacked' | 'bidirectional';
  embedding: { data: Int8Array; rows: number; cols: number };
  layers: LayerSpec[];
  output: { weights: Int8Array; bias: Int32Array; rows: number; cols: number };
  meta: Omit<ModelMetadata, 'format' | 'formatVersion' | 'opsetVersion' | 'numerics' | 'layers' | 'pwlTables' | 'overflowProof'>;
}

const INT32_LIMIT = 2 ** 31 - 1;

function prove(tensor: string, bound: number): ModelMetadata['overflowProof'][number] {
  if (bound > INT32_LIMIT) {
    throw new IntrnnError('ERR_OVERFLOW', tensor, `worst-case accumulator ${bound} exceeds int32 (${INT32_LIMIT}); the integer model could overflow`);
  }
  return { tensor, bound, limit: INT32_LIMIT };
}

const SYMMETRY = { none: 0, odd: 1, point: 2 } as const;

/** A PWL table as the two tensors IntLSTM takes: [3, K] (knots; values; slopes, 0-padded) and params [4]. */
export function pwlTensors(name: string, t: PwlTable): TensorProto[] {
  const K = t.knots.length;
  const table = new Int32Array(3 * K);
  table.set(t.knots, 0);
  table.set(t.values, K);
  table.set(t.slopes, 2 * K);
  return [makeTensor(name, 'int32', [3, K], table), makeTensor(`${name}_params`, 'int32', [4], Int32Array.from([t.fracBits, t.outBits, SYMMETRY[t.symmetry], t.center]))];
}

function layerInitializers(l: LayerSpec): { tensors: TensorProto[]; names: string[]; tables: ModelMetadata['pwlTables'] } {
  const p = l.cell;
  const H = p.hiddenSize;
  const D = p.inputSize;
  const n = (s: string) => `${l.name}.${s}`;
  const multipliers = new Int32Array(8 * H);
  multipliers.set(p.multX, 0);
  multipliers.set(p.multH, 4 * H);
  const shifts = new Int8Array(8 * H); // shifts are at most 63: int8 keeps the file small
  shifts.set(p.shiftX, 0);
  shifts.set(p.shiftH, 4 * H);
  const tensors = [
    makeTensor(n('W'), 'int8', [4 * H, D], p.wx),
    makeTensor(n('R'), 'int8', [4 * H, H], p.wh),
    makeTensor(n('B'), 'int32', [4 * H], p.bias),
    makeTensor(n('multipliers'), 'int32', [2, 4 * H], multipliers),
    makeTensor(n('shifts'), 'int8', [2, 4 * H], shifts),
    makeTensor(n('out_rescale'), 'int32', [3], Int32Array.from([p.multOut, p.shiftOut, p.cellFracBits])),
    ...pwlTensors(n('sigmoid'), p.sigmoid),
    ...pwlTensors(n('tanh_gate'), p.tanhGate),
    ...pwlTensors(n('tanh_cell'), p.tanhCell),
  ];
  const names = [n('W'), n('R'), n('B'), n('multipliers'), n('shifts'), n('out_rescale'), n('sigmoid'), n('sigmoid_params'), n('tanh_gate'), n('tanh_gate_params'), n('tanh_cell'), n('tanh_cell_params')];
  if (p.norm) {
    const gamma = new Int16Array(4 * H);
    const beta = new Int32Array(4 * H);
    const params = new Int32Array(16);
    p.norm.forEach((g, i) => {
      gamma.set(g.gamma, i * H);
      beta.set(g.beta, i * H);
      params.set([g.normFracBits, g.multiplier, g.shift, g.outBits], i * 4);
    });
    tensors.push(makeTensor(n('norm_gamma'), 'int16', [4, H], gamma), makeTensor(n('norm_beta'), 'int32', [4, H], beta), makeTensor(n('norm_params'), 'int32', [4, 4], params));
  }
  const scales = (t: PwlTable) => ({ inMin: t.inMin, inMax: t.inMax, inScale: t.inScale, outScale: t.outScale });
  return { tensors, names, tables: { [n('sigmoid')]: scales(p.sigmoid), [n('tanh_gate')]: scales(p.tanhGate), [n('tanh_cell')]: scales(p.tanhCell) } };
}

/**
 * Write the integer model as one ONNX file: `ai.intrnn` nodes (IntLSTM, IntDense) plus standard
 * Gather/Concat, each custom op also defined as a model-local function of standard integer ops so
 * ONNX Runtime runs the same file. Refuses a model whose accumulators could overflow int32.
 */
export function buildIntegerModel(spec: IntegerModelSpec): { bytes: Uint8Array; metadata: ModelMetadata } {
  const withNorm = spec.layers.map((l) => !!l.cell.norm);
  if (withNorm.some((w) => w !== withNorm[0])) throw new IntrnnError('ERR_CONVERT', 'layers', 'mixes layers with and without MadNorm; one IntLSTM function serves a file');
  const { embedding: emb, output: out } = spec;
  const initializers: TensorProto[] = [makeTensor('embedding', 'int8', [emb.rows, emb.cols], emb.data)];
  const nodes: INodeProto[] = [{ name: 'embed', opType: 'Gather', domain: '', input: ['embedding', 'tokens'], output: ['embedded'], attribute: [{ name: 'axis', type: 2, i: 0 }] }];
  const inputs: IValueInfoProto[] = [];
  const outputs: IValueInfoProto[] = [];
  const pwlTables: ModelMetadata['pwlTables'] = {};
  const overflowProof: ModelMetadata['overflowProof'] = [];
  const layersMeta: ModelMetadata['layers'] = [];
  const batch = spec.topology === 'bidirectional' ? 1 : 'batch';
  inputs.push(valueInfo('tokens', 'int64', [batch, 'time']));

  let x = 'embedded';
  const ys: string[] = [];
  spec.layers.forEach((l, index) => {
    const H = l.cell.hiddenSize;
    const init = layerInitializers(l);
    initializers.push(...init.tensors);
    Object.assign(pwlTables, init.tables);
    overflowProof.push(prove(`${l.name}.W`, accumulatorBound(l.cell.wx, 4 * H, l.cell.inputSize, l.cell.bias)), prove(`${l.name}.R`, accumulatorBound(l.cell.wh, 4 * H, H)));
    let h0 = `${l.name}.initial_h`;
    let c0 = `${l.name}.initial_c`;
    if (spec.topology === 'stacked') {
      inputs.push(valueInfo(h0, 'int8', [batch, H]), valueInfo(c0, 'int16', [batch, H]));
      outputs.push(valueInfo(`${l.name}.final_h`, 'int8', [batch, H]), valueInfo(`${l.name}.final_c`, 'int16', [batch, H]));
    } else {
      initializers.push(makeTensor(h0, 'int8', [1, H], new Int8Array(H)), makeTensor(c0, 'int16', [1, H], new Int16Array(H)));
    }
    const nodeInputs = [spec.topology === 'stacked' ? x : 'embedded', ...init.names, h0, c0];
    if (l.cell.norm) nodeInputs.push(...INT_LSTM_NORM_INPUTS.map((s) => `${l.name}.${s}`));
    const y = `${l.name}.Y`;
    nodes.push({
      name: l.name,
      opType: 'IntLSTM',
      domain: INTRNN_DOMAIN,
      input: nodeInputs,
      output: [y, `${l.name}.final_h`, `${l.name}.final_c`],
      attribute: [{ name: 'direction', type: 3, s: new TextEncoder().encode(l.direction) }],
    });
    layersMeta.push({ node: l.name, direction: l.direction, inputSize: l.cell.inputSize, hiddenSize: H, bits: { weights: 8, hidden: 8, cell: 16, gates: 16, accumulator: 32 }, ...l.meta });
    x = y;
    ys.push(y);
    void index;
  });
  if (spec.topology === 'bidirectional') {
    nodes.push({ name: 'concat', opType: 'Concat', domain: '', input: ys, output: ['features'], attribute: [{ name: 'axis', type: 2, i: 2 }] });
    x = 'features';
  }
  initializers.push(makeTensor('output.W', 'int8', [out.rows, out.cols], out.weights), makeTensor('output.B', 'int32', [out.rows], out.bias));
  overflowProof.push(prove('output.W', accumulatorBound(out.weights, out.rows, out.cols, out.bias)));
  nodes.push({ name: 'output', opType: 'IntDense', domain: INTRNN_DOMAIN, input: [x, 'output.W', 'output.B'], output: ['logits'] });
  outputs.unshift(valueInfo('logits', 'int32', [batch, 'time', out.rows]));

  const meta: ModelMetadata = {
    format: 'intrnn',
    formatVersion: FORMAT_VERSION,
    opsetVersion: INTRNN_OPSET_VERSION,
    numerics: 'integer',
    ...spec.meta,
    layers: layersMeta,
    pwlTables,
    overflowProof,
  };
  void INT_LSTM_INPUTS;
  const bytes = encodeModel({
    irVersion: 10,
    producerName: 'intrnn-converter',
    producerVersion: '0.1.0',
    opsetImport: [{ domain: '', version: ONNX_OPSET }, { domain: INTRNN_DOMAIN, version: INTRNN_OPSET_VERSION }],
    metadataProps: [{ key: METADATA_KEY, value: encodeMetadata(meta) }],
    functions: [intLstmFunction(withNorm[0] ?? false), intDenseFunction()],
    graph: { name: `intrnn_${spec.meta.task}`, node: nodes, initializer: initializers, input: inputs, output: outputs },
  });
  return { bytes, metadata: meta };
}

/** Everything the converter needs to write an integer G2P model. */
export interface G2pModelSpec {
  letters: { data: Int8Array; rows: number; cols: number };
  phones: { data: Int8Array; rows: number; cols: number };
  encoderForward: LayerSpec;
  encoderBackward: LayerSpec;
  decoder: LayerSpec;
  attention: { scoreMultiplier: number; scoreShift: number; expTable: PwlTable };
  output: { weights: Int8Array; bias: Int32Array; rows: number; cols: number };
  meta: IntegerModelSpec['meta'];
}

/**
 * Write the integer G2P model: letters → IntLSTM forward and reverse → encoder states; decoder
 * inputs (start symbol, then the phonemes so far) → IntLSTM → IntAttention over the encoder states →
 * [state; context] → IntDense. Batch 1; a decoder calls it with the prefix it has so far and reads
 * the last position's logits.
 */
export function buildG2pModel(spec: G2pModelSpec): { bytes: Uint8Array; metadata: ModelMetadata } {
  const initializers: TensorProto[] = [makeTensor('embedding', 'int8', [spec.letters.rows, spec.letters.cols], spec.letters.data), makeTensor('decoder_embedding', 'int8', [spec.phones.rows, spec.phones.cols], spec.phones.data)];
  const nodes: INodeProto[] = [
    { name: 'embed_letters', opType: 'Gather', domain: '', input: ['embedding', 'letters'], output: ['letters_embedded'], attribute: [{ name: 'axis', type: 2, i: 0 }] },
    { name: 'embed_phonemes', opType: 'Gather', domain: '', input: ['decoder_embedding', 'decoder_input'], output: ['phonemes_embedded'], attribute: [{ name: 'axis', type: 2, i: 0 }] },
  ];
  const pwlTables: ModelMetadata['pwlTables'] = {};
  const overflowProof: ModelMetadata['overflowProof'] = [];
  const layersMeta: ModelMetadata['layers'] = [];
  const lstm = (l: LayerSpec, x: string) => {
    const H = l.cell.hiddenSize;
    const init = layerInitializers(l);
    initializers.push(...init.tensors, makeTensor(`${l.name}.initial_h`, 'int8', [1, H], new Int8Array(H)), makeTensor(`${l.name}.initial_c`, 'int16', [1, H], new Int16Array(H)));
    Object.assign(pwlTables, init.tables);
    overflowProof.push(prove(`${l.name}.W`, accumulatorBound(l.cell.wx, 4 * H, l.cell.inputSize, l.cell.bias)), prove(`${l.name}.R`, accumulatorBound(l.cell.wh, 4 * H, H)));
    nodes.push({
      name: l.name,
      opType: 'IntLSTM',
      domain: INTRNN_DOMAIN,
      input: [x, ...init.names, `${l.name}.initial_h`, `${l.name}.initial_c`],
      output: [`${l.name}.Y`, `${l.name}.final_h`, `${l.name}.final_c`],
      attribute: [{ name: 'direction', type: 3, s: new TextEncoder().encode(l.direction) }],
    });
    layersMeta.push({ node: l.name, direction: l.direction, inputSize: l.cell.inputSize, hiddenSize: H, bits: { weights: 8, hidden: 8, cell: 16, gates: 16, accumulator: 32 }, ...l.meta });
    return `${l.name}.Y`;
  };
  if ([spec.encoderForward, spec.encoderBackward, spec.decoder].some((l) => l.cell.norm)) throw new IntrnnError('ERR_CONVERT', 'layers', 'G2P layers have no MadNorm in this version');
  const fw = lstm(spec.encoderForward, 'letters_embedded');
  const bw = lstm(spec.encoderBackward, 'letters_embedded');
  nodes.push({ name: 'encoder_concat', opType: 'Concat', domain: '', input: [fw, bw], output: ['encoder_states'], attribute: [{ name: 'axis', type: 2, i: 2 }] });
  const dec = lstm(spec.decoder, 'phonemes_embedded');
  const a = spec.attention;
  initializers.push(makeTensor('attention.score_rescale', 'int32', [2], Int32Array.from([a.scoreMultiplier, a.scoreShift])), ...pwlTensors('attention.exp', a.expTable));
  pwlTables['attention.exp'] = { inMin: a.expTable.inMin, inMax: a.expTable.inMax, inScale: a.expTable.inScale, outScale: a.expTable.outScale };
  const D = spec.decoder.cell.hiddenSize;
  overflowProof.push(prove('attention.scores', D * 128 * 128));
  nodes.push({ name: 'attention', opType: 'IntAttention', domain: INTRNN_DOMAIN, input: [dec, 'encoder_states', 'attention.score_rescale', 'attention.exp', 'attention.exp_params'], output: ['context'] });
  nodes.push({ name: 'features', opType: 'Concat', domain: '', input: [dec, 'context'], output: ['features'], attribute: [{ name: 'axis', type: 2, i: 2 }] });
  const out = spec.output;
  initializers.push(makeTensor('output.W', 'int8', [out.rows, out.cols], out.weights), makeTensor('output.B', 'int32', [out.rows], out.bias));
  overflowProof.push(prove('output.W', accumulatorBound(out.weights, out.rows, out.cols, out.bias)));
  nodes.push({ name: 'output', opType: 'IntDense', domain: INTRNN_DOMAIN, input: ['features', 'output.W', 'output.B'], output: ['logits'] });
  const meta: ModelMetadata = { format: 'intrnn', formatVersion: FORMAT_VERSION, opsetVersion: INTRNN_OPSET_VERSION, numerics: 'integer', ...spec.meta, layers: layersMeta, pwlTables, overflowProof };
  const bytes = encodeModel({
    irVersion: 10,
    producerName: 'intrnn-converter',
    producerVersion: '0.1.0',
    opsetImport: [{ domain: '', version: ONNX_OPSET }, { domain: INTRNN_DOMAIN, version: INTRNN_OPSET_VERSION }],
    metadataProps: [{ key: METADATA_KEY, value: encodeMetadata(meta) }],
    functions: [intLstmFunction(false), intAttentionFunction(), intDenseFunction()],
    graph: {
      name: 'intrnn_g2p-cmudict',
      node: nodes,
      initializer: initializers,
      input: [valueInfo('letters', 'int64', [1, 'letters']), valueInfo('decoder_input', 'int64', [1, 'steps'])],
      output: [valueInfo('logits', 'int32', [1, 'steps', out.rows])],
    },
  });
  return { bytes, metadata: meta };
}
