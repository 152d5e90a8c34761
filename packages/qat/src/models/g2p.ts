import type { AttentionParams, LstmCellParams } from '@intrnn/runtime-core';
import { attentionConstants, attentionFloat, attentionQat, calibrateAttention, disposeAttentionConstants, type AttentionConstants } from '../qat/attention.js';
import { embeddingLookup, mm } from '../qat/fast-ops.js';
import { QBiLstm } from '../qat/qbilstm.js';
import { disposeLstmQatConstants, QLstm, type LstmQatConstants, type LstmRanges } from '../qat/qlstm.js';
import { fakeQuantValue, fakeQuantWeights, weightScale } from '../qat/ste-ops.js';
import { tf } from '../qat/tf-backend.js';
import type { LmQuantState } from './language-model.js';

type T = tf.Tensor;

/** Shape of a grapheme-to-phoneme model. */
export interface G2pConfig {
  letterCount: number;
  /** Phoneme vocabulary size, including the start and end symbols. */
  phoneCount: number;
  embedSize: number;
  /** Encoder hidden size per direction; the decoder has 2H so that its state can query the encoder. */
  hiddenSize: number;
  seed: number;
}

/** Per-step QAT constants. */
export interface G2pQatConstants {
  encoder: { fw: LstmQatConstants; bw: LstmQatConstants };
  decoder: LstmQatConstants;
  attention: AttentionConstants;
  outScale: T;
}

/** The integer model, as runtime-core takes it. */
export interface G2pIntegers {
  letters: Int8Array;
  phones: Int8Array;
  encoderForward: LstmCellParams;
  encoderBackward: LstmCellParams;
  decoder: LstmCellParams;
  attention: AttentionParams;
  /** [phoneCount, 4H]: over [decoder state; context]. */
  outWeights: Int8Array;
  outBias: Int32Array;
  logitScale: number;
}

let instances = 0;

/**
 * Letters → embedding → bidirectional LSTM encoder [S, 2H]; previous phonemes → embedding → LSTM
 * decoder [T, 2H]; dot-product attention of each decoder state over the encoder states (integer
 * softmax through the PWL exp in QAT); [decoder state; context] → dense → int32 phoneme logits.
 * The decoder does not feed the context back (no input feeding), so teacher-forced training and
 * decoding run the decoder LSTM over the whole prefix at once.
 */
export class G2pModel {
  readonly prefix = `g2p${++instances}/`;
  readonly letters: tf.Variable;
  readonly phones: tf.Variable;
  readonly encoder: QBiLstm;
  readonly decoder: QLstm;
  readonly outW: tf.Variable;
  readonly outB: tf.Variable;
  quant: LmQuantState | null = null;

  constructor(readonly config: G2pConfig) {
    const { letterCount: L, phoneCount: P, embedSize: E, hiddenSize: H, seed } = config;
    this.letters = tf.variable(tf.randomUniform([L, E], -0.1, 0.1, 'float32', seed), true, `${this.prefix}letters`);
    this.phones = tf.variable(tf.randomUniform([P, E], -0.1, 0.1, 'float32', seed + 1), true, `${this.prefix}phones`);
    this.encoder = new QBiLstm(E, H, seed + 10, `${this.prefix}encoder`);
    this.decoder = new QLstm(E, 2 * H, seed + 20, `${this.prefix}decoder`);
    const lim = Math.sqrt(6 / (4 * H + P));
    this.outW = tf.variable(tf.randomUniform([P, 4 * H], -lim, lim, 'float32', seed + 99), true, `${this.prefix}out/w`);
    this.outB = tf.variable(tf.zeros([P]), true, `${this.prefix}out/b`);
  }

  namedVariables(): { name: string; variable: tf.Variable }[] {
    return [this.letters, this.phones, ...this.encoder.variables, ...this.decoder.variables, this.outW, this.outB].map((v) => ({ name: v.name.slice(this.prefix.length), variable: v }));
  }

  dispose(): void {
    tf.dispose(this.namedVariables().map((v) => v.variable));
  }

  /** Float forward: letters [B, S], decoder inputs [B, T] → phoneme logits [B·T, P]. */
  forwardFloat(letters: T, decoderIn: T, ranges?: { encoder: LstmRanges; decoder: LstmRanges }, dropout = 0, seed = 0): T {
    const drop = (t: T, i: number) => (dropout > 0 ? tf.dropout(t, dropout, undefined, seed * 16 + i) : t);
    const enc = drop(this.encoder.forwardFloat(drop(embeddingLookup(this.letters, letters), 0), ranges?.encoder), 1);
    return this.decodeFloat(enc, decoderIn, ranges?.decoder, drop);
  }

  /** Float encoder states [B, S, 2H]. */
  encodeFloat(letters: T): T {
    return this.encoder.forwardFloat(embeddingLookup(this.letters, letters));
  }

  /** Float logits of every decoder position given the encoder states. */
  decodeFloat(enc: T, decoderIn: T, ranges?: LstmRanges, drop: (t: T, i: number) => T = (t) => t): T {
    const dec = this.decoder.forwardFloat(drop(embeddingLookup(this.phones, decoderIn), 2), undefined, ranges).ys;
    const features = drop(tf.concat([dec, attentionFloat(dec, enc)], 2), 3);
    const [B, Tn, F] = features.shape;
    return mm(features.reshape([B * Tn, F]), tf.transpose(this.outW)).add(this.outB);
  }

  /** Fix the quantization from float passes over calibration batches; builds the PWL tables. */
  calibrate(batches: { letters: T; decoderIn: T }[]): LmQuantState {
    const ranges = { encoder: { maxAbsGate: 0, maxAbsCell: 0 }, decoder: { maxAbsGate: 0, maxAbsCell: 0 } };
    for (const b of batches) tf.tidy(() => void this.forwardFloat(b.letters, b.decoderIn, ranges));
    const scale = (v: tf.Variable) => tf.tidy(() => tf.max(tf.abs(v)).dataSync()[0] / 127);
    const embedScale = scale(this.letters);
    const phoneScale = scale(this.phones);
    const encoder = QBiLstm.calibrate(embedScale, ranges.encoder);
    const decoder = QLstm.calibrate(phoneScale, ranges.decoder);
    this.quant = { embedScale, lstm: [encoder, decoder], g2p: { phoneScale, attention: calibrateAttention(decoder.hiddenScale, encoder.hiddenScale) } };
    return this.quant;
  }

  qatConstants(previous?: G2pQatConstants): G2pQatConstants {
    const q = this.quant;
    if (!q?.g2p) throw new Error('calibrate() the model before QAT');
    const encoder = this.encoder.qatConstants(q.lstm[0], previous?.encoder);
    const decoder = this.decoder.qatConstants(q.lstm[1], previous?.decoder);
    if (previous) previous.outScale.dispose();
    return { encoder, decoder, attention: previous?.attention ?? attentionConstants(q.g2p.attention), outScale: weightScale(this.outW) };
  }

  disposeQatConstants(k: G2pQatConstants): void {
    this.encoder.disposeConstants(k.encoder);
    disposeLstmQatConstants(k.decoder);
    disposeAttentionConstants(k.attention);
    k.outScale.dispose();
  }

  /** Integer encoder states [B, S, 2H] (int8-valued). */
  encodeQat(letters: T, k: G2pQatConstants): T {
    return this.encoder.forwardQat(fakeQuantValue(embeddingLookup(this.letters, letters), this.quant!.embedScale, 8), k.encoder);
  }

  /** Integer logits of every decoder position given the encoder states (what decoding calls each step). */
  decodeQat(enc: T, decoderIn: T, k: G2pQatConstants): { logitsInt: T; logits: T } {
    const q = this.quant!;
    const dec = this.decoder.forwardQat(fakeQuantValue(embeddingLookup(this.phones, decoderIn), q.g2p!.phoneScale, 8), k.decoder).ys;
    const features = tf.concat([dec, attentionQat(dec, enc, k.attention)], 2);
    const [B, Tn, F] = features.shape;
    const logitScale = k.outScale.mul(q.lstm[1].hiddenScale);
    const logitsInt = mm(features.reshape([B * Tn, F]), tf.transpose(fakeQuantWeights(this.outW, k.outScale))).add(fakeQuantValue(this.outB, logitScale, 24));
    return { logitsInt, logits: logitsInt.mul(logitScale) };
  }

  /** QAT forward: integer phoneme logits [B·T, P] and their real value. */
  forwardQat(letters: T, decoderIn: T, k: G2pQatConstants): { logitsInt: T; logits: T } {
    return this.decodeQat(this.encodeQat(letters, k), decoderIn, k);
  }

  /** The model's integers (encoder, decoder and context share the hidden scale 2^-7, checked here). */
  exportIntegers(k: G2pQatConstants): G2pIntegers {
    const q = this.quant!;
    if (q.lstm[0].hiddenScale !== q.lstm[1].hiddenScale) throw new Error('encoder and decoder hidden scales differ: [state; context] would mix scales');
    let out: G2pIntegers | undefined;
    tf.tidy(() => {
      const all = (n: number) => tf.range(0, n, 1, 'int32');
      const logitScale = k.outScale.mul(q.lstm[1].hiddenScale);
      const cells = this.encoder.exportCells(k.encoder);
      const a = q.g2p!.attention;
      out = {
        letters: Int8Array.from(fakeQuantValue(embeddingLookup(this.letters, all(this.config.letterCount)), q.embedScale, 8).dataSync()),
        phones: Int8Array.from(fakeQuantValue(embeddingLookup(this.phones, all(this.config.phoneCount)), q.g2p!.phoneScale, 8).dataSync()),
        encoderForward: cells.forward,
        encoderBackward: cells.backward,
        decoder: this.decoder.exportCell(k.decoder),
        attention: { scoreMultiplier: a.scoreMultiplier, scoreShift: a.scoreShift, expTable: a.expTable },
        outWeights: Int8Array.from(fakeQuantWeights(this.outW, k.outScale).dataSync()),
        outBias: Int32Array.from(fakeQuantValue(this.outB, logitScale, 24).dataSync()),
        logitScale: logitScale.dataSync()[0],
      };
    });
    return out!;
  }
}
