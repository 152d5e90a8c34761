import { WORD_SHAPES, type GruCellParams, type LstmCellParams, type WordFeatureSpec } from '@intrnn/runtime-core';
import { IntrnnError } from '@intrnn/format';
import { embeddingLookup, mm } from '../qat/fast-ops.js';
import { QBiGru, QBiLstm, type AnyBidirectional } from '../qat/qbilstm.js';
import type { GruQatConstants } from '../qat/qgru.js';
import type { LstmQatConstants } from '../qat/qlstm.js';
import { fakeQuantValue, fakeQuantWeights, weightScale } from '../qat/ste-ops.js';
import { tf } from '../qat/tf-backend.js';
import type { LmQuantState } from './language-model.js';

type T = tf.Tensor;

/** A batch's ids [B, L]: words, and one tensor per feature table (suffix buckets, then shapes). */
export interface TaggerInputs {
  words: T;
  features: T[];
}

/** Shape of a bidirectional LSTM (or GRU) tagger. */
export interface TaggerConfig {
  vocabSize: number;
  tagCount: number;
  embedSize: number;
  hiddenSize: number;
  /** 1: MadNorm on the gate pre-activations of both directions (LSTM cells only). */
  madNorm: number;
  seed: number;
  /** 1: GRU cells (ai.intrnn:IntGRU) instead of LSTM cells. A number, as checkpoint configs hold numbers. */
  gru?: number;
  /**
   * Spelling features (runtime-core wordFeatureIds): suffixes of length 1…suffixes hashed into
   * `buckets` rows of a suffixDim table each, and the shape class in a shapeDim table; all are
   * concatenated to the word embedding. 0 (or absent) suffixes: the word embedding alone.
   */
  suffixes?: number;
  buckets?: number;
  suffixDim?: number;
  shapeDim?: number;
}

/** The feature spec of a tagger config, or null without spelling features. */
export function taggerFeatureSpec(c: TaggerConfig): WordFeatureSpec | null {
  return c.suffixes ? { suffixLengths: Array.from({ length: c.suffixes }, (_, i) => i + 1), buckets: c.buckets ?? 1 } : null;
}

/** One input table of the tagger: its variable and the name its integers take in the file. */
export interface TaggerTable {
  name: string;
  variable: tf.Variable;
}

/** Per-step QAT constants of the tagger. */
export interface TaggerQatConstants {
  /** The bidirectional layer's constants, of its cell. */
  bi: { fw: LstmQatConstants | GruQatConstants; bw: LstmQatConstants | GruQatConstants };
  outScale: T;
}

/** The integer tagger, as the runtime takes it. */
export interface TaggerIntegers {
  embedding: Int8Array;
  /** The spelling feature tables in input order (suffixes by length, then the shape), int8 [rows, dim]. */
  features: { name: string; data: Int8Array; rows: number; cols: number }[];
  forward: LstmCellParams | GruCellParams;
  backward: LstmCellParams | GruCellParams;
  outWeights: Int8Array;
  outBias: Int32Array;
  logitScale: number;
}

let instances = 0;

/**
 * Embedding → bidirectional LSTM (MadNorm optional) or GRU → dense output with int32 logits per
 * token. Its quantization state has the language model's shape: the embedding scale and one LSTM
 * (or GRU) state, shared by both directions.
 */
export class BiLstmTagger {
  readonly prefix = `tagger${++instances}/`;
  readonly embedding: tf.Variable;
  /** Spelling feature tables (suffix_1…suffix_n, shape), empty without features. */
  readonly features: TaggerTable[];
  /** The bidirectional layer: LSTM cells, or GRU cells when config.gru is 1. */
  readonly recurrent: QBiLstm | QBiGru;
  readonly outW: tf.Variable;
  readonly outB: tf.Variable;
  quant: LmQuantState | null = null;

  constructor(readonly config: TaggerConfig) {
    const { vocabSize: V, tagCount, embedSize: E, hiddenSize: H, seed } = config;
    this.embedding = tf.variable(tf.randomUniform([V, E], -0.1, 0.1, 'float32', seed), true, `${this.prefix}embedding`);
    const spec = taggerFeatureSpec(config);
    const table = (name: string, rows: number, cols: number, s: number): TaggerTable => ({
      name,
      variable: tf.variable(tf.randomUniform([rows, cols], -0.1, 0.1, 'float32', s), true, `${this.prefix}${name}`),
    });
    this.features = spec
      ? [...spec.suffixLengths.map((n: number) => table(`suffix${n}`, spec.buckets, config.suffixDim!, seed + 40 + n)), table('shape', WORD_SHAPES.length, config.shapeDim!, seed + 60)]
      : [];
    const inputSize = E + (spec ? spec.suffixLengths.length * config.suffixDim! + config.shapeDim! : 0);
    if (config.gru && config.madNorm === 1) throw new IntrnnError('ERR_OPTION', 'madNorm', 'GRU cells have no MadNorm in this release (docs/integer-semantics.md §10b): use madNorm 0');
    this.recurrent = config.gru ? new QBiGru(inputSize, H, seed + 10, `${this.prefix}bigru`) : new QBiLstm(inputSize, H, seed + 10, `${this.prefix}bilstm`, config.madNorm === 1);
    const lim = Math.sqrt(6 / (2 * H + tagCount));
    this.outW = tf.variable(tf.randomUniform([tagCount, 2 * H], -lim, lim, 'float32', seed + 99), true, `${this.prefix}out/w`);
    this.outB = tf.variable(tf.zeros([tagCount]), true, `${this.prefix}out/b`);
  }

  namedVariables(): { name: string; variable: tf.Variable }[] {
    return [this.embedding, ...this.features.map((f) => f.variable), ...this.recurrent.variables, this.outW, this.outB].map((v) => ({ name: v.name.slice(this.prefix.length), variable: v }));
  }

  dispose(): void {
    tf.dispose(this.namedVariables().map((v) => v.variable));
  }

  /** The input vectors [B, L, D]: the word embedding and each feature table's rows, concatenated; `quantize` maps each table's rows to int8. */
  private inputs(ids: TaggerInputs, quantize: (t: T) => T): T {
    const parts = [quantize(embeddingLookup(this.embedding, ids.words)), ...this.features.map((f, i) => quantize(embeddingLookup(f.variable, ids.features[i])))];
    return parts.length === 1 ? parts[0] : tf.concat(parts, 2);
  }

  /** Float forward: word ids [B, L] (and feature ids) → tag logits [B·L, tags]. */
  forwardFloat(ids: TaggerInputs, ranges?: { maxAbsGate: number; maxAbsCell: number; maxAbsNorm?: number }, dropout = 0, seed = 0): T {
    const drop = (t: T, i: number) => (dropout > 0 ? tf.dropout(t, dropout, undefined, seed * 16 + i) : t);
    const x = drop(
      this.inputs(ids, (t) => t),
      0,
    );
    const y = drop(this.recurrent.forwardFloat(x, ranges), 1);
    const [B, L, H2] = y.shape;
    return mm(y.reshape([B * L, H2]), tf.transpose(this.outW)).add(this.outB);
  }

  /** Fix the quantization from float passes over calibration batches; builds PWL tables. */
  calibrate(batches: TaggerInputs[]): LmQuantState {
    const ranges = { maxAbsGate: 0, maxAbsCell: 0 };
    for (const ids of batches) tf.tidy(() => void this.forwardFloat(ids, ranges));
    // one scale for every input table: the LSTM reads their concatenation as one int8 vector
    const embedScale = tf.tidy(() => Math.max(...[this.embedding, ...this.features.map((f) => f.variable)].map((v) => tf.max(tf.abs(v)).dataSync()[0])) / 127);
    const r = this.recurrent;
    this.quant = r instanceof QBiGru ? { embedScale, lstm: [], gru: [QBiGru.calibrate(embedScale, ranges)] } : { embedScale, lstm: [QBiLstm.calibrate(embedScale, ranges, r.normGammaMax())] };
    return this.quant;
  }

  /** The layer through constants of either cell: it only ever receives the ones it made. */
  private get layer(): AnyBidirectional {
    return this.recurrent as AnyBidirectional;
  }

  /** The quantization state of the bidirectional layer, checked against the cell (a checkpoint may hold either). */
  private layerState() {
    const gru = this.recurrent instanceof QBiGru;
    const s = gru ? this.quant?.gru?.[0] : this.quant?.lstm[0];
    if (!s) throw new IntrnnError('ERR_CHECKPOINT', gru ? 'quant.gru' : 'quant.lstm', `holds no ${gru ? 'GRU' : 'LSTM'} layer state for a ${gru ? 'GRU' : 'LSTM'} tagger`);
    return s;
  }

  qatConstants(previous?: TaggerQatConstants): TaggerQatConstants {
    if (!this.quant) throw new Error('calibrate() the model before QAT');
    const bi = this.layer.qatConstants(this.layerState(), previous?.bi);
    if (previous) previous.outScale.dispose();
    return { bi, outScale: weightScale(this.outW) };
  }

  disposeQatConstants(k: TaggerQatConstants): void {
    this.layer.disposeConstants(k.bi);
    k.outScale.dispose();
  }

  /** QAT forward: integer logits [B·L, tags] (int32-valued) and their real value. */
  forwardQat(ids: TaggerInputs, k: TaggerQatConstants): { logitsInt: T; logits: T } {
    const q = this.quant!;
    const x = this.inputs(ids, (t) => fakeQuantValue(t, q.embedScale, 8));
    const y = this.layer.forwardQat(x, k.bi);
    const [B, L, H2] = y.shape;
    const logitScale = k.outScale.mul(this.layerState().hiddenScale);
    const logitsInt = mm(y.reshape([B * L, H2]), tf.transpose(fakeQuantWeights(this.outW, k.outScale))).add(fakeQuantValue(this.outB, logitScale, 24));
    return { logitsInt, logits: logitsInt.mul(logitScale) };
  }

  /** The model's integers: int8 embedding [V, E], both cells, int8 output weights [tags, 2H], int32 bias. */
  exportIntegers(k: TaggerQatConstants): TaggerIntegers {
    const q = this.quant!;
    let out: TaggerIntegers | undefined;
    tf.tidy(() => {
      const ids = tf.range(0, this.config.vocabSize, 1, 'int32');
      const logitScale = k.outScale.mul(this.layerState().hiddenScale);
      const cells = this.layer.exportCells(k.bi);
      const int8 = (v: tf.Variable) => Int8Array.from(fakeQuantValue(v, q.embedScale, 8).dataSync());
      out = {
        embedding: Int8Array.from(fakeQuantValue(embeddingLookup(this.embedding, ids), q.embedScale, 8).dataSync()),
        features: this.features.map((f) => ({ name: f.name, data: int8(f.variable), rows: f.variable.shape[0], cols: f.variable.shape[1]! })),
        forward: cells.forward,
        backward: cells.backward,
        outWeights: Int8Array.from(fakeQuantWeights(this.outW, k.outScale).dataSync()),
        outBias: Int32Array.from(fakeQuantValue(this.outB, logitScale, 24).dataSync()),
        logitScale: logitScale.dataSync()[0],
      };
    });
    return out!;
  }
}
