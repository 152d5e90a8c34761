import type { LstmCellParams } from '@intrnn/runtime-core';
import { embeddingLookup, mm } from '../qat/fast-ops.js';
import { QBiLstm } from '../qat/qbilstm.js';
import type { LstmQatConstants } from '../qat/qlstm.js';
import { fakeQuantValue, fakeQuantWeights, int8Scale } from '../qat/ste-ops.js';
import { tf } from '../qat/tf-backend.js';
import type { LmQuantState } from './language-model.js';

type T = tf.Tensor;

/** Shape of a bidirectional LSTM tagger. */
export interface TaggerConfig {
  vocabSize: number;
  tagCount: number;
  embedSize: number;
  hiddenSize: number;
  /** 1: MadNorm on the gate pre-activations of both directions. */
  madNorm: number;
  seed: number;
}

/** Per-step QAT constants of the tagger. */
export interface TaggerQatConstants {
  bi: { fw: LstmQatConstants; bw: LstmQatConstants };
  outScale: T;
}

/** The integer tagger, as the runtime takes it. */
export interface TaggerIntegers {
  embedding: Int8Array;
  forward: LstmCellParams;
  backward: LstmCellParams;
  outWeights: Int8Array;
  outBias: Int32Array;
  logitScale: number;
}

let instances = 0;

/**
 * Embedding → bidirectional LSTM (MadNorm optional) → dense output with int32 logits per token.
 * Its quantization state has the language model's shape: the embedding scale and one LSTM state,
 * shared by both directions.
 */
export class BiLstmTagger {
  readonly prefix = `tagger${++instances}/`;
  readonly embedding: tf.Variable;
  readonly bilstm: QBiLstm;
  readonly outW: tf.Variable;
  readonly outB: tf.Variable;
  quant: LmQuantState | null = null;

  constructor(readonly config: TaggerConfig) {
    const { vocabSize: V, tagCount, embedSize: E, hiddenSize: H, seed } = config;
    this.embedding = tf.variable(tf.randomUniform([V, E], -0.1, 0.1, 'float32', seed), true, `${this.prefix}embedding`);
    this.bilstm = new QBiLstm(E, H, seed + 10, `${this.prefix}bilstm`, config.madNorm === 1);
    const lim = Math.sqrt(6 / (2 * H + tagCount));
    this.outW = tf.variable(tf.randomUniform([tagCount, 2 * H], -lim, lim, 'float32', seed + 99), true, `${this.prefix}out/w`);
    this.outB = tf.variable(tf.zeros([tagCount]), true, `${this.prefix}out/b`);
  }

  namedVariables(): { name: string; variable: tf.Variable }[] {
    return [this.embedding, ...this.bilstm.variables, this.outW, this.outB].map((v) => ({ name: v.name.slice(this.prefix.length), variable: v }));
  }

  dispose(): void {
    tf.dispose(this.namedVariables().map((v) => v.variable));
  }

  /** Float forward: word ids [B, L] → tag logits [B·L, tags]. */
  forwardFloat(ids: T, ranges?: { maxAbsGate: number; maxAbsCell: number; maxAbsNorm?: number }, dropout = 0, seed = 0): T {
    const drop = (t: T, i: number) => (dropout > 0 ? tf.dropout(t, dropout, undefined, seed * 16 + i) : t);
    const x = drop(embeddingLookup(this.embedding, ids), 0);
    const y = drop(this.bilstm.forwardFloat(x, ranges), 1);
    const [B, L, H2] = y.shape;
    return mm(y.reshape([B * L, H2]), tf.transpose(this.outW)).add(this.outB);
  }

  /** Fix the quantization from float passes over calibration batches; builds PWL tables. */
  calibrate(batches: T[]): LmQuantState {
    const ranges = { maxAbsGate: 0, maxAbsCell: 0 };
    for (const ids of batches) tf.tidy(() => void this.forwardFloat(ids, ranges));
    const embedScale = tf.tidy(() => tf.max(tf.abs(this.embedding)).dataSync()[0] / 127);
    this.quant = { embedScale, lstm: [QBiLstm.calibrate(embedScale, ranges, this.bilstm.normGammaMax())] };
    return this.quant;
  }

  qatConstants(previous?: TaggerQatConstants): TaggerQatConstants {
    if (!this.quant) throw new Error('calibrate() the model before QAT');
    const bi = this.bilstm.qatConstants(this.quant.lstm[0], previous?.bi);
    if (previous) previous.outScale.dispose();
    return { bi, outScale: int8Scale(this.outW) };
  }

  disposeQatConstants(k: TaggerQatConstants): void {
    QBiLstm.disposeConstants(k.bi);
    k.outScale.dispose();
  }

  /** QAT forward: integer logits [B·L, tags] (int32-valued) and their real value. */
  forwardQat(ids: T, k: TaggerQatConstants): { logitsInt: T; logits: T } {
    const q = this.quant!;
    const x = fakeQuantValue(embeddingLookup(this.embedding, ids), q.embedScale, 8);
    const y = this.bilstm.forwardQat(x, k.bi);
    const [B, L, H2] = y.shape;
    const logitScale = k.outScale.mul(q.lstm[0].hiddenScale);
    const logitsInt = mm(y.reshape([B * L, H2]), tf.transpose(fakeQuantWeights(this.outW, k.outScale))).add(fakeQuantValue(this.outB, logitScale, 24));
    return { logitsInt, logits: logitsInt.mul(logitScale) };
  }

  /** The model's integers: int8 embedding [V, E], both cells, int8 output weights [tags, 2H], int32 bias. */
  exportIntegers(k: TaggerQatConstants): TaggerIntegers {
    const q = this.quant!;
    let out: TaggerIntegers | undefined;
    tf.tidy(() => {
      const ids = tf.range(0, this.config.vocabSize, 1, 'int32');
      const logitScale = k.outScale.mul(q.lstm[0].hiddenScale);
      const cells = this.bilstm.exportCells(k.bi);
      out = {
        embedding: Int8Array.from(fakeQuantValue(embeddingLookup(this.embedding, ids), q.embedScale, 8).dataSync()),
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
