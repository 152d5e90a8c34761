import {
  AttributeType,
  encodeModel,
  FORMAT_VERSION,
  INTRNN_DOMAIN,
  IntrnnError,
  inputNames,
  layerTensorName,
  makeTensor,
  METADATA_KEY,
  encodeMetadata,
  opsetVersionFor,
  stateNames,
  type GruLayerMeta,
  type INodeProto,
  type IValueInfoProto,
  type LstmLayerMeta,
  type ModelMetadata,
  type PwlTable,
  type Tensor,
  type TensorProto,
  DataType,
} from '@intrnn/format';
import { accumulatorBound, gruTensors, lstmTensors, pwlTensors as pwlTensorData, weightTensor, type GruCellParams, type LstmCellParams } from '@intrnn/runtime-core';
import { valueInfo } from './onnx/graph-builder.js';
import { intAttentionFunction, intDenseFunction, intGruFunction, intLstmFunction, ONNX_OPSET } from './onnx/lstm-function.js';

/** One LSTM layer of a model, with the metadata that describes it. */
export interface LstmLayerSpec {
  name: string;
  cell: LstmCellParams;
  direction: 'forward' | 'reverse';
  meta: Omit<LstmLayerMeta, 'node' | 'cell' | 'direction' | 'inputSize' | 'hiddenSize' | 'bits'>;
}

/** One GRU layer (ai.intrnn:IntGRU), with the metadata that describes it. */
export interface GruLayerSpec {
  name: string;
  gru: GruCellParams;
  direction: 'forward' | 'reverse';
  meta: Omit<GruLayerMeta, 'node' | 'cell' | 'direction' | 'inputSize' | 'hiddenSize' | 'bits'>;
}

/** A recurrent layer: LSTM or GRU. */
export type LayerSpec = LstmLayerSpec | GruLayerSpec;

/** The hidden size of a layer of either cell. */
export function layerHiddenSize(l: LayerSpec): number {
  return 'gru' in l ? l.gru.hiddenSize : l.cell.hiddenSize;
}

/** An int8 lookup table [rows, cols] and the graph input whose ids index it. */
export interface TableSpec {
  name: string;
  input: string;
  data: Int8Array;
  rows: number;
  cols: number;
  /** 4: the values are int4 and stored packed (op set 3). */
  bits?: 4 | 8;
}

/** Everything the converter needs to write an integer model. */
export interface IntegerModelSpec {
  /** `stacked`: layer l feeds layer l+1, state carried in and out (language model). `bidirectional`: one forward and one reverse layer over the inputs, concatenated (tagger), batch 1. */
  topology: 'stacked' | 'bidirectional';
  embedding: { data: Int8Array; rows: number; cols: number; bits?: 4 | 8 };
  /** Further tables (spelling features) whose rows are concatenated to the embedding's; their inputs are graph inputs. */
  features?: TableSpec[];
  layers: LayerSpec[];
  /** The output layer; `tied`: its weights are the embedding itself (one tensor in the file). */
  output: {
    weights: Int8Array;
    bias: Int32Array;
    rows: number;
    cols: number;
    tied?: boolean;
    bits?: 4 | 8;
    /** Per-row requantization to the logits' one scale (op set 3, docs/integer-semantics.md §6b): rows with their own weight scales. */
    rescale?: { multipliers: Int32Array; shifts: Int32Array };
  };
  meta: Omit<ModelMetadata, 'format' | 'formatVersion' | 'opsetVersion' | 'numerics' | 'layers' | 'pwlTables' | 'overflowProof'>;
}

const INT32_LIMIT = 2 ** 31 - 1;

/** An initializer from a runtime-core tensor (int4 data already packed). */
function tensorProto(name: string, t: Tensor): TensorProto {
  return makeTensor(name, t.type, t.dims, t.data);
}

function prove(tensor: string, bound: number): ModelMetadata['overflowProof'][number] {
  if (bound > INT32_LIMIT) {
    throw new IntrnnError('ERR_OVERFLOW', tensor, `worst-case accumulator ${bound} exceeds int32 (${INT32_LIMIT}); the integer model could overflow`);
  }
  return { tensor, bound, limit: INT32_LIMIT };
}

/** A PWL table as the two tensors IntLSTM and IntAttention take (@intrnn/format encodePwl). */
export function pwlTensors(name: string, t: PwlTable): TensorProto[] {
  return Object.entries(pwlTensorData(name, t)).map(([n, v]) => makeTensor(n, v.type, v.dims, v.data));
}

const string = (name: string, value: string) => ({ name, type: AttributeType.STRING, s: new TextEncoder().encode(value) });
const int = (name: string, value: number) => ({ name, type: AttributeType.INT, i: value });

/** A graph being written: initializers, nodes, metadata parts; one IntLSTM writer for every model. */
class IntegerGraph {
  readonly initializers: TensorProto[] = [];
  readonly nodes: INodeProto[] = [];
  readonly pwlTables: ModelMetadata['pwlTables'] = {};
  readonly overflowProof: ModelMetadata['overflowProof'] = [];
  readonly layers: ModelMetadata['layers'] = [];

  /** A Gather of `input`'s ids from a constant table; returns the looked-up value's name. */
  lookup(table: string, data: Int8Array, rows: number, cols: number, input: string, node: string, bits: 4 | 8 = 8): string {
    const out = `${table}.rows`;
    this.nodes.push({ name: node, opType: 'Gather', domain: '', input: [this.table(table, data, rows, cols, bits), input], output: [out], attribute: [int('axis', 0)] });
    return out;
  }

  /**
   * A constant table a Gather reads, returning the name the Gather takes: int8 as it is; int4 stored
   * packed and Cast to int8 (ONNX's Gather takes no int4; runtimes fold the Cast at load).
   */
  table(name: string, data: Int8Array, rows: number, cols: number, bits: 4 | 8): string {
    this.initializers.push(tensorProto(name, weightTensor(data, [rows, cols], bits)));
    if (bits === 8) return name;
    this.nodes.push({ name: `${name}.cast`, opType: 'Cast', domain: '', input: [name], output: [`${name}.int8`], attribute: [int('to', DataType.INT8)] });
    return `${name}.int8`;
  }

  /** Whether any weight is int4 (op set 3, and the functions cast weights to int8): read from the initializers written. */
  get int4(): boolean {
    return this.initializers.some((t) => t.dataType === DataType.INT4);
  }

  /** Whether the IntDense requantizes its rows (op set 3). */
  get requantize(): boolean {
    return this.nodes.some((n) => n.opType === 'IntDense' && (n.input?.length ?? 0) > 3);
  }

  concat(name: string, inputs: string[], output: string): string {
    this.nodes.push({ name, opType: 'Concat', domain: '', input: inputs, output: [output], attribute: [int('axis', 2)] });
    return output;
  }

  /** A recurrent layer's node over x (IntLSTM or IntGRU); returns its output sequence's name. */
  recurrent(l: LayerSpec, x: string, state: 'fed' | 'zero'): string {
    return 'gru' in l ? this.gru(l, x, state) : this.lstm(l, x, state);
  }

  /** An IntGRU node over x with its tensors named `${layer}.${input}`; the state (h only) is fed or a zero constant. */
  gru(l: GruLayerSpec, x: string, state: 'fed' | 'zero'): string {
    const p = l.gru;
    const H = p.hiddenSize;
    const n = (input: string) => layerTensorName(l.name, input);
    for (const [input, t] of Object.entries(gruTensors(p))) this.initializers.push(tensorProto(n(input), t));
    for (const [input, table] of [
      ['sigmoid', p.sigmoid],
      ['tanh_gate', p.tanhGate],
    ] as const) {
      this.pwlTables[n(input)] = { inMin: table.inMin, inMax: table.inMax, inScale: table.inScale, outScale: table.outScale };
    }
    const s = stateNames(l.name);
    if (state === 'zero') this.initializers.push(makeTensor(s.h0, 'int8', [1, H], new Int8Array(H)));
    const inputs = inputNames('IntGRU', false).map((input) => (input === 'X' ? x : input === 'initial_h' ? s.h0 : n(input)));
    this.nodes.push({ name: l.name, opType: 'IntGRU', domain: INTRNN_DOMAIN, input: inputs, output: [n('Y'), s.hT], attribute: [string('direction', l.direction)] });
    this.overflowProof.push(prove(n('W'), accumulatorBound(p.wx, 3 * H, p.inputSize, p.biasX)), prove(n('R'), accumulatorBound(p.wh, 3 * H, H, p.biasH)));
    this.layers.push({
      node: l.name,
      cell: 'gru',
      direction: l.direction,
      inputSize: p.inputSize,
      hiddenSize: H,
      bits: { weights: p.weightBits ?? 8, hidden: 8, gates: 16, accumulator: 32 },
      ...l.meta,
    });
    return n('Y');
  }

  /** An IntLSTM node over x with its tensors named `${layer}.${input}`; the state is fed (streaming) or a zero constant. */
  lstm(l: LstmLayerSpec, x: string, state: 'fed' | 'zero'): string {
    const p = l.cell;
    const H = p.hiddenSize;
    const n = (input: string) => layerTensorName(l.name, input);
    for (const [input, t] of Object.entries(lstmTensors(p))) this.initializers.push(tensorProto(n(input), t));
    for (const [input, table] of [
      ['sigmoid', p.sigmoid],
      ['tanh_gate', p.tanhGate],
      ['tanh_cell', p.tanhCell],
    ] as const) {
      this.pwlTables[n(input)] = { inMin: table.inMin, inMax: table.inMax, inScale: table.inScale, outScale: table.outScale };
    }
    const s = stateNames(l.name);
    if (state === 'zero') this.initializers.push(makeTensor(s.h0, 'int8', [1, H], new Int8Array(H)), makeTensor(s.c0, 'int16', [1, H], new Int16Array(H)));
    // the node's inputs in signature order: X, then the layer's tensors, with its state values in their places
    const inputs = inputNames('IntLSTM', !!p.norm).map((input) => (input === 'X' ? x : input === 'initial_h' ? s.h0 : input === 'initial_c' ? s.c0 : n(input)));
    this.nodes.push({ name: l.name, opType: 'IntLSTM', domain: INTRNN_DOMAIN, input: inputs, output: [n('Y'), s.hT, s.cT], attribute: [string('direction', l.direction)] });
    this.overflowProof.push(prove(n('W'), accumulatorBound(p.wx, 4 * H, p.inputSize, p.bias)), prove(n('R'), accumulatorBound(p.wh, 4 * H, H)));
    this.layers.push({ node: l.name, direction: l.direction, inputSize: p.inputSize, hiddenSize: H, bits: { weights: p.weightBits ?? 8, hidden: 8, cell: 16, gates: 16, accumulator: 32 }, ...l.meta });
    return n('Y');
  }

  /** The IntDense output layer: int32 logits from x and the named (or new) weight tensor. */
  dense(x: string, out: IntegerModelSpec['output'], weights: string): void {
    if (weights === 'output.W') this.initializers.push(tensorProto('output.W', weightTensor(out.weights, [out.rows, out.cols], out.bits)));
    this.initializers.push(makeTensor('output.B', 'int32', [out.rows], out.bias));
    this.overflowProof.push(prove(weights, accumulatorBound(out.weights, out.rows, out.cols, out.bias)));
    const inputs = [x, weights, 'output.B'];
    if (out.rescale) {
      this.initializers.push(
        makeTensor('output.multipliers', 'int32', [out.rows], out.rescale.multipliers),
        makeTensor('output.shifts', 'int8', [out.rows], Int8Array.from(out.rescale.shifts)), // shifts are at most 63
      );
      inputs.push('output.multipliers', 'output.shifts');
    }
    this.nodes.push({ name: 'output', opType: 'IntDense', domain: INTRNN_DOMAIN, input: inputs, output: ['logits'] });
  }

  /** The ai.intrnn op set version the graph's ops need (files without IntGRU stay version 1). */
  get opsetVersion(): number {
    return opsetVersionFor(
      this.nodes.filter((n) => n.domain === INTRNN_DOMAIN).map((n) => n.opType ?? ''),
      this.int4 || this.requantize,
    );
  }

  metadata(meta: IntegerModelSpec['meta']): ModelMetadata {
    return {
      format: 'intrnn',
      formatVersion: FORMAT_VERSION,
      opsetVersion: this.opsetVersion,
      numerics: 'integer',
      ...meta,
      layers: this.layers,
      pwlTables: this.pwlTables,
      overflowProof: this.overflowProof,
    };
  }

  encode(name: string, meta: ModelMetadata, functions: ReturnType<typeof intDenseFunction>[], inputs: IValueInfoProto[], outputs: IValueInfoProto[]): Uint8Array {
    return encodeModel({
      irVersion: 10,
      producerName: 'intrnn-converter',
      producerVersion: '0.1.0',
      opsetImport: [
        { domain: '', version: ONNX_OPSET },
        { domain: INTRNN_DOMAIN, version: this.opsetVersion },
      ],
      metadataProps: [{ key: METADATA_KEY, value: encodeMetadata(meta) }],
      functions,
      graph: { name, node: this.nodes, initializer: this.initializers, input: inputs, output: outputs },
    });
  }
}

/**
 * Write the integer model as one ONNX file: `ai.intrnn` nodes (IntLSTM, IntDense) plus standard
 * Gather/Concat, each custom op also defined as a model-local function of standard integer ops so
 * ONNX Runtime runs the same file. Refuses a model whose accumulators could overflow int32.
 */
export function buildIntegerModel(spec: IntegerModelSpec): { bytes: Uint8Array; metadata: ModelMetadata } {
  const lstms = spec.layers.filter((l): l is LstmLayerSpec => !('gru' in l));
  const withNorm = lstms.map((l) => !!l.cell.norm);
  if (withNorm.some((w) => w !== withNorm[0])) throw new IntrnnError('ERR_CONVERT', 'layers', 'mixes layers with and without MadNorm; one IntLSTM function serves a file');
  const g = new IntegerGraph();
  const batch = spec.topology === 'bidirectional' ? 1 : 'batch';
  const inputs: IValueInfoProto[] = [valueInfo('tokens', 'int64', [batch, 'time'])];
  const outputs: IValueInfoProto[] = [];
  const { embedding: emb } = spec;
  g.nodes.push({
    name: 'embed',
    opType: 'Gather',
    domain: '',
    input: [g.table('embedding', emb.data, emb.rows, emb.cols, emb.bits ?? 8), 'tokens'],
    output: ['embedded'],
    attribute: [int('axis', 0)],
  });
  let x = 'embedded';
  if (spec.features?.length) {
    const parts = spec.features.map((f) => {
      inputs.push(valueInfo(f.input, 'int64', [batch, 'time']));
      return g.lookup(f.name, f.data, f.rows, f.cols, f.input, `embed_${f.name}`, f.bits);
    });
    x = g.concat('features_concat', ['embedded', ...parts], 'inputs');
  }
  const ys: string[] = [];
  for (const l of spec.layers) {
    const y = g.recurrent(l, spec.topology === 'stacked' ? (ys[ys.length - 1] ?? x) : x, spec.topology === 'stacked' ? 'fed' : 'zero');
    if (spec.topology === 'stacked') {
      const H = layerHiddenSize(l);
      const s = stateNames(l.name);
      inputs.push(valueInfo(s.h0, 'int8', [batch, H]));
      outputs.push(valueInfo(s.hT, 'int8', [batch, H]));
      // an LSTM carries its cell state too; a GRU's state is h alone
      if (!('gru' in l)) {
        inputs.push(valueInfo(s.c0, 'int16', [batch, H]));
        outputs.push(valueInfo(s.cT, 'int16', [batch, H]));
      }
    }
    ys.push(y);
  }
  const top = spec.topology === 'bidirectional' ? g.concat('concat', ys, 'features') : ys[ys.length - 1];
  g.dense(top, spec.output, spec.output.tied ? 'embedding' : 'output.W');
  outputs.unshift(valueInfo('logits', 'int32', [batch, 'time', spec.output.rows]));
  const meta = g.metadata(spec.meta);
  // each op the graph uses, defined once as a function (a file of GRU layers has no IntLSTM function)
  const functions = [
    ...(lstms.length ? [intLstmFunction(withNorm[0] ?? false, g.int4)] : []),
    ...(lstms.length < spec.layers.length ? [intGruFunction(g.int4)] : []),
    intDenseFunction(g.int4, g.requantize),
  ];
  const bytes = g.encode(`intrnn_${spec.meta.task}`, meta, functions, inputs, outputs);
  return { bytes, metadata: meta };
}

/** Everything the converter needs to write an integer G2P model. */
export interface G2pModelSpec {
  letters: { data: Int8Array; rows: number; cols: number; bits?: 4 | 8 };
  phones: { data: Int8Array; rows: number; cols: number; bits?: 4 | 8 };
  encoderForward: LstmLayerSpec;
  encoderBackward: LstmLayerSpec;
  decoder: LstmLayerSpec;
  attention: { scoreMultiplier: number; scoreShift: number; expTable: PwlTable };
  output: { weights: Int8Array; bias: Int32Array; rows: number; cols: number; bits?: 4 | 8 };
  meta: IntegerModelSpec['meta'];
}

/**
 * Write the integer G2P model: letters → IntLSTM forward and reverse → encoder states; decoder
 * inputs (start symbol, then the phonemes so far) → IntLSTM → IntAttention over the encoder states →
 * [state; context] → IntDense. Batch 1; a decoder calls it with the prefix it has so far and reads
 * the last position's logits.
 */
export function buildG2pModel(spec: G2pModelSpec): { bytes: Uint8Array; metadata: ModelMetadata } {
  if ([spec.encoderForward, spec.encoderBackward, spec.decoder].some((l) => l.cell.norm)) throw new IntrnnError('ERR_CONVERT', 'layers', 'G2P layers have no MadNorm in this version');
  const g = new IntegerGraph();
  const letters = g.lookup('embedding', spec.letters.data, spec.letters.rows, spec.letters.cols, 'letters', 'embed_letters', spec.letters.bits);
  const phonemes = g.lookup('decoder_embedding', spec.phones.data, spec.phones.rows, spec.phones.cols, 'decoder_input', 'embed_phonemes', spec.phones.bits);
  const fw = g.lstm(spec.encoderForward, letters, 'zero');
  const bw = g.lstm(spec.encoderBackward, letters, 'zero');
  const encoder = g.concat('encoder_concat', [fw, bw], 'encoder_states');
  const dec = g.lstm(spec.decoder, phonemes, 'zero');
  const a = spec.attention;
  g.initializers.push(makeTensor('attention.score_rescale', 'int32', [2], Int32Array.from([a.scoreMultiplier, a.scoreShift])), ...pwlTensors('attention.exp', a.expTable));
  g.pwlTables['attention.exp'] = { inMin: a.expTable.inMin, inMax: a.expTable.inMax, inScale: a.expTable.inScale, outScale: a.expTable.outScale };
  const D = spec.decoder.cell.hiddenSize;
  g.overflowProof.push(prove('attention.scores', D * 128 * 128));
  g.nodes.push({ name: 'attention', opType: 'IntAttention', domain: INTRNN_DOMAIN, input: [dec, encoder, 'attention.score_rescale', 'attention.exp', 'attention.exp_params'], output: ['context'] });
  g.dense(g.concat('features', [dec, 'context'], 'features'), spec.output, 'output.W');
  const meta = g.metadata(spec.meta);
  const bytes = g.encode(
    `intrnn_${spec.meta.task}`,
    meta,
    [intLstmFunction(false, g.int4), intAttentionFunction(), intDenseFunction(g.int4, g.requantize)],
    [valueInfo('letters', 'int64', [1, 'letters']), valueInfo('decoder_input', 'int64', [1, 'steps'])],
    [valueInfo('logits', 'int32', [1, 'steps', spec.output.rows])],
  );
  return { bytes, metadata: meta };
}
