import { IntrnnError } from '@intrnn/format';
import { disposeLstmQatConstants, QLstm, type LstmQatConstants, type LstmQuantState, type LstmRanges } from '../qat/qlstm.js';
import { disposeGruQatConstants, QGru, type GruQatConstants, type GruQuantState } from '../qat/qgru.js';
import { embeddingLookup, mm } from '../qat/fast-ops.js';
import { denseCrossEntropyNative, denseCrossEntropyValueNative } from '../qat/native-ops.js';
import { disposeRescale, fakeQuantValue, fakeQuantWeights, makeRescale, rescale, weightScale, type Rescale } from '../qat/ste-ops.js';
import { tf } from '../qat/tf-backend.js';
import type { AttentionQuant } from '../qat/attention.js';
import { quantizeMultiplier, type GruCellParams, type LstmCellParams } from '@intrnn/runtime-core';

type T = tf.Tensor;

/** Shape of a stacked LSTM (or GRU) language model. */
export interface LmConfig {
  vocabSize: number;
  embedSize: number;
  hiddenSize: number;
  layers: number;
  seed: number;
  /**
   * 1: the output layer's weights are the embedding (tied, as in the paper's language model; needs
   * embedSize = hiddenSize): one V × H int8 matrix at one scale serves the lookup and the logits.
   */
  tied?: number;
  /** 1: GRU cells (ai.intrnn:IntGRU) instead of LSTM cells. A number, as checkpoint configs hold numbers. */
  gru?: number;
  /**
   * 4: int4 weights (packed in the file; op set 3, docs/integer-semantics.md §6a): the recurrent
   * layers and the output layer per row (the output's rows requantized to one logit scale, §6b),
   * the embedding of an untied model at one scale. A tied model keeps its one matrix int8.
   */
  weightBits?: number;
}

/** Frozen quantization of the whole model: the embedding's int8 scale and each layer's state. */
export interface LmQuantState {
  embedScale: number;
  lstm: LstmQuantState[];
  /** GRU language models: each layer's state (`lstm` is then empty). */
  gru?: GruQuantState[];
  /** G2P models only: the phoneme embedding scale and the integer attention. */
  g2p?: { phoneScale: number; attention: AttentionQuant };
}

/** Recurrent state per layer (real in float mode, integer-valued in QAT mode); a GRU layer's c is empty, [B, 0]. */
export interface LmState {
  h: T[];
  c: T[];
}

/** The integer model, as {@link LstmLanguageModel.exportIntegers} gives it. */
export interface LmIntegers {
  embedding: Int8Array;
  layers: (LstmCellParams | GruCellParams)[];
  outWeights: Int8Array;
  outBias: Int32Array;
  logitScale: number;
  /** int4 models: the widths of the embedding and output weights, and the output rows' requantization to the logit scale. */
  int4?: { embedding: boolean; output: { multipliers: Int32Array; shifts: Int32Array } | null };
}

/** Per-step QAT constants of the model. */
export interface LmQatConstants {
  /** Per layer, LSTM or GRU constants as the model's cells are. */
  layers: (LstmQatConstants | GruQatConstants)[];
  /** The output weights' scale: one for the matrix, or (int4, untied) one per row [V, 1]. */
  outScale: T;
  /** int4, untied: each output row's requantization to the logit scale (§6b), with its host copy and the logit scale. */
  outRescale?: { rescale: Rescale; multipliers: Int32Array; shifts: Int32Array; accScale: T; logitScale: number };
}

/**
 * Embedding → stacked LSTM → dense output. Float mode for pretraining; QAT mode (after
 * {@link calibrate}) computes integer logits exactly as the integer runtime will: int8 embedding,
 * integer LSTM cells, int8 output weights (one scale for the whole matrix, so all logits share a
 * scale) with int32 logits.
 */
let instances = 0;

export class LstmLanguageModel {
  /** Prefix of this instance's tf variable names (tfjs names are global to the process). */
  readonly prefix = `lm${++instances}/`;
  readonly embedding: tf.Variable;
  /** The recurrent layers: all LSTM or all GRU (config.gru). */
  readonly recurrent: (QLstm | QGru)[];
  readonly outW: tf.Variable;
  readonly outB: tf.Variable;
  quant: LmQuantState | null = null;

  constructor(readonly config: LmConfig) {
    const { vocabSize: V, embedSize: E, hiddenSize: H, layers, seed } = config;
    this.embedding = tf.variable(tf.randomUniform([V, E], -0.1, 0.1, 'float32', seed), true, `${this.prefix}embedding`);
    this.recurrent = Array.from({ length: layers }, (_, l) =>
      config.gru ? new QGru(l === 0 ? E : H, H, seed + 10 * (l + 1), `${this.prefix}gru${l}`) : new QLstm(l === 0 ? E : H, H, seed + 10 * (l + 1), `${this.prefix}lstm${l}`),
    );
    if (config.tied && E !== H) throw new IntrnnError('ERR_CONFIG', 'tied', `tied embeddings need embedSize = hiddenSize (${E} ≠ ${H})`);
    if (config.weightBits !== undefined && config.weightBits !== 4 && config.weightBits !== 8) throw new IntrnnError('ERR_CONFIG', 'weightBits', `is ${config.weightBits}; weights are 4 or 8 bits`);
    for (const layer of this.recurrent) layer.weightBits = config.weightBits === 4 ? 4 : 8;
    const lim = Math.sqrt(6 / (H + V));
    // one row per word, like the embedding: a sampled softmax gathers the rows of its candidates
    this.outW = config.tied ? this.embedding : tf.variable(tf.randomUniform([V, H], -lim, lim, 'float32', seed + 99), true, `${this.prefix}out/w`);
    this.outB = tf.variable(tf.zeros([V]), true, `${this.prefix}out/b`);
  }

  /**
   * Start the output bias at the training words' log frequencies (add-one, centred), so the model
   * predicts the unigram distribution from step 0. With Adam each parameter moves about one learning
   * rate per step, and the log-frequencies of a 10,000-word vocabulary span some 10 nats: from a zero
   * bias the small preset took over 800 steps (a whole epoch) to even reach the unigram model.
   */
  initOutputBiasFromCounts(ids: ArrayLike<number>): void {
    const V = this.config.vocabSize;
    const counts = new Float64Array(V).fill(1);
    for (let i = 0; i < ids.length; i++) counts[ids[i]]++;
    const total = counts.reduce((x, y) => x + y, 0);
    const logp = Array.from(counts, (c) => Math.log(c / total));
    const mean = logp.reduce((x, y) => x + y, 0) / V;
    tf.tidy(() =>
      this.outB.assign(
        tf.tensor1d(
          logp.map((v) => v - mean),
          'float32',
        ),
      ),
    );
  }

  /** Every trainable variable, in a fixed order (checkpoints rely on it). */
  get variables(): tf.Variable[] {
    return [this.embedding, ...this.recurrent.flatMap((l) => l.variables), ...(this.config.tied ? [] : [this.outW]), this.outB];
  }

  /** The variables with their names inside the model (`embedding`, `lstm0/wx`, …): checkpoint names. */
  namedVariables(): { name: string; variable: tf.Variable }[] {
    return this.variables.map((v) => ({ name: v.name.slice(this.prefix.length), variable: v }));
  }

  /** Whether the output layer is the embedding. */
  get tied(): boolean {
    return !!this.config.tied;
  }

  /** Free the model's variables. */
  dispose(): void {
    tf.dispose(this.variables);
  }

  /** Whether the layers are GRUs. */
  get gru(): boolean {
    return !!this.config.gru;
  }

  /** int4 embedding and per-row int4 output layer: int4 weights on an untied model. */
  private get int4Ends(): boolean {
    return this.config.weightBits === 4 && !this.config.tied;
  }

  /** Float forward: ids [B, T] (int32) → logits [B·T, V]. */
  forwardFloat(ids: T, state?: LmState, ranges?: LstmRanges[]): { logits: T; state: LmState } {
    const r = this.hiddenFloat(ids, state, ranges);
    return { logits: mm(r.hidden, tf.transpose(this.outW)).add(this.outB), state: r.state };
  }

  /**
   * Float forward up to the last LSTM layer: hidden [B·T, H]. With `dropout`, inputs to every
   * layer and to the output are dropped at that rate, with seeds derived from `dropoutSeed`.
   */
  hiddenFloat(ids: T, state?: LmState, ranges?: LstmRanges[], dropout = 0, dropoutSeed = 0): { hidden: T; state: LmState } {
    const drop = (t: T, i: number) => (dropout > 0 ? tf.dropout(t, dropout, undefined, dropoutSeed * 16 + i) : t);
    let x: T = drop(embeddingLookup(this.embedding, ids), 0);
    const next: LmState = { h: [], c: [] };
    this.recurrent.forEach((layer, l) => {
      const r = layer.forwardFloat(x, state && { h: state.h[l], c: state.c[l] }, ranges?.[l]);
      x = drop(r.ys, l + 1);
      next.h.push(r.h);
      next.c.push(r.c);
    });
    const [B, Tn, H] = x.shape;
    return { hidden: x.reshape([B * Tn, H]), state: next };
  }

  /**
   * Sampled-softmax loss for float pretraining (TensorFlow's sampled_softmax_loss): each row's
   * target logit and the shared sampled words' logits, each corrected by -log Q, sampled words equal
   * to the row's target masked out; cross-entropy with the target at column 0. The model is
   * unchanged: evaluation and QAT use the full softmax.
   */
  sampledLoss(hidden: T, targets: T, s: { sampled: T; sampledLogQ: T; targetLogQ: T; hits: T }): tf.Scalar {
    const wTarget = embeddingLookup(this.outW, targets.reshape([-1]));
    const bTarget = embeddingLookup(this.outB.reshape([-1, 1]), targets.reshape([-1]));
    const trueLogit = tf.sum(hidden.mul(wTarget), 1, true).add(bTarget).sub(s.targetLogQ);
    const wSampled = embeddingLookup(this.outW, s.sampled);
    const bSampled = embeddingLookup(this.outB.reshape([-1, 1]), s.sampled).reshape([-1]);
    const sampledLogits = mm(hidden, tf.transpose(wSampled)).add(bSampled).sub(s.sampledLogQ).sub(s.hits.mul(1e9));
    const logits = tf.concat([trueLogit, sampledLogits], 1);
    return crossEntropy(logits, tf.zeros([logits.shape[0]!], 'int32'));
  }

  /** Fix the quantization from float passes over calibration batches; builds PWL tables. */
  calibrate(batches: T[]): LmQuantState {
    const ranges = this.recurrent.map(() => ({ maxAbsGate: 0, maxAbsCell: 0 }));
    for (const ids of batches) tf.tidy(() => void this.forwardFloat(ids, undefined, ranges));
    const embedScale = tf.tidy(() => tf.max(tf.abs(this.embedding)).dataSync()[0] / (this.int4Ends ? 7 : 127));
    const inputScale = (l: number) => (l === 0 ? embedScale : 2 ** -7);
    this.quant = this.gru
      ? { embedScale, lstm: [], gru: this.recurrent.map((_, l) => QGru.calibrate(inputScale(l), ranges[l])) }
      : { embedScale, lstm: this.recurrent.map((_, l) => QLstm.calibrate(inputScale(l), ranges[l])) };
    return this.quant;
  }

  /** Each layer's frozen quantization state (LSTM or GRU). */
  private layerStates(): (LstmQuantState | GruQuantState)[] {
    const q = this.quant!;
    return this.gru ? (q.gru ?? []) : q.lstm;
  }

  /** Constants of the QAT forward from the current weights (host side; call once per step). */
  qatConstants(previous?: LmQatConstants): LmQatConstants {
    if (!this.quant) throw new Error('calibrate() the model before QAT');
    const q = this.quant;
    const states = this.layerStates();
    if (states.length !== this.recurrent.length)
      throw new IntrnnError('ERR_CHECKPOINT', 'quant', `holds ${states.length} ${this.gru ? 'GRU' : 'LSTM'} layer states for ${this.recurrent.length} layers`);
    const layers = this.recurrent.map((layer, l) =>
      layer instanceof QGru
        ? layer.qatConstants(states[l] as GruQuantState, previous?.layers[l] as GruQatConstants | undefined)
        : layer.qatConstants(states[l] as LstmQuantState, previous?.layers[l] as LstmQatConstants | undefined),
    );
    if (previous) disposeOutput(previous);
    if (this.int4Ends) return { layers, ...this.int4OutputConstants(states[states.length - 1].hiddenScale) };
    // tied: the one table keeps the embedding's frozen scale, for the lookup and the logits alike
    return { layers, outScale: this.config.tied ? tf.scalar(q.embedScale) : weightScale(this.outW) };
  }

  /**
   * The int4 output layer's constants: per-row scales s_W[n] = max|w_n| / 7, the logit scale
   * s_L = s_h · max_n s_W[n] / 16, and each row's multiplier for s_h · s_W[n] / s_L ≤ 16 (§6b).
   */
  private int4OutputConstants(hiddenScale: number): Pick<LmQatConstants, 'outScale' | 'outRescale'> {
    const outScale = tf.tidy(() => weightScale(this.outW, 1, 4).reshape([-1, 1]));
    const rows = outScale.dataSync();
    let max = 0;
    for (const v of rows) max = Math.max(max, v);
    const logitScale = (hiddenScale * max) / 16;
    const multipliers = new Int32Array(rows.length);
    const shifts = new Int32Array(rows.length);
    rows.forEach((v, n) => ({ multiplier: multipliers[n], shift: shifts[n] } = quantizeMultiplier((hiddenScale * v) / logitScale)));
    const accScale = tf.tidy(() => outScale.reshape([-1]).mul(hiddenScale));
    return { outScale, outRescale: { rescale: makeRescale(multipliers, shifts), multipliers, shifts, accScale, logitScale } };
  }

  /**
   * Mean cross-entropy of the output layer over hidden states [N, H] against targets: the float
   * layer, or with `k` the integer one (int8 weights, int32 logits at their scale) over integer
   * states. The fused native kernel when it is in use (with gradients unless `valueOnly`).
   */
  outputLoss(hidden: T, targets: T, k?: LmQatConstants): tf.Scalar;
  outputLoss(hidden: T, targets: T, k: LmQatConstants | undefined, valueOnly: true): number;
  outputLoss(hidden: T, targets: T, k?: LmQatConstants, valueOnly = false): tf.Scalar | number {
    return tf.tidy(() => {
      const out = k ? this.integerOutput(k) : { w: this.outW, b: this.outB, scale: 1 };
      const flat = targets.reshape([-1]);
      if (out.rescale) {
        // the per-row requantization (§6b) has no fused native kernel: the integer logits in tfjs
        const loss = crossEntropy(rescale(mm(hidden, tf.transpose(out.w)).add(out.b), out.rescale).mul(out.scale), flat);
        return valueOnly ? (loss.dataSync()[0] as unknown as tf.Scalar) : loss;
      }
      const native = valueOnly ? denseCrossEntropyValueNative(hidden, out.w, out.b, flat, out.scale) : denseCrossEntropyNative(hidden, out.w, out.b, flat, out.scale);
      if (native !== null) return native as tf.Scalar;
      const loss = crossEntropy(mm(hidden, tf.transpose(out.w)).add(out.b).mul(out.scale), flat);
      return valueOnly ? (loss.dataSync()[0] as unknown as tf.Scalar) : loss;
    }) as tf.Scalar | number;
  }

  /**
   * The integer output layer: int8-valued weights [V, H] (int4 per row with their requantization),
   * int24-valued bias at the accumulator's scale and the logits' scale.
   */
  private integerOutput(k: LmQatConstants): { w: T; b: T; scale: number; rescale?: Rescale } {
    if (k.outRescale) {
      const r = k.outRescale;
      return { w: fakeQuantWeights(this.outW, k.outScale, 4), b: fakeQuantValue(this.outB, r.accScale, 24), scale: r.logitScale, rescale: r.rescale };
    }
    const states = this.layerStates();
    const logitScale = k.outScale.mul(states[states.length - 1].hiddenScale);
    return { w: fakeQuantWeights(this.outW, k.outScale), b: fakeQuantValue(this.outB, logitScale, 24), scale: logitScale.dataSync()[0] };
  }

  /** The int8 embedding of ids in QAT mode (tied: rows of the output layer's int8 matrix, within ±127). */
  private embeddedQat(ids: T, k: LmQatConstants): T {
    const q = this.quant!;
    return this.config.tied ? embeddingLookup(fakeQuantWeights(this.embedding, k.outScale), ids) : fakeQuantValue(embeddingLookup(this.embedding, ids), q.embedScale, this.int4Ends ? 4 : 8);
  }

  /** QAT forward up to the last LSTM layer: integer hidden states [B·T, H] and the integer state. */
  hiddenQat(ids: T, k: LmQatConstants, state?: LmState): { hidden: T; state: LmState } {
    let x: T = this.embeddedQat(ids, k);
    const next: LmState = { h: [], c: [] };
    this.recurrent.forEach((layer, l) => {
      const init = state && { h: state.h[l], c: state.c[l] };
      const r = layer instanceof QGru ? layer.forwardQat(x, k.layers[l] as GruQatConstants, init) : layer.forwardQat(x, k.layers[l] as LstmQatConstants, init);
      x = r.ys;
      next.h.push(r.h);
      next.c.push(r.c);
    });
    const [B, Tn, H] = x.shape;
    return { hidden: x.reshape([B * Tn, H]), state: next };
  }

  /** QAT forward: integer logits [B·T, V] (int32-valued), their real value, and the integer state. */
  forwardQat(ids: T, k: LmQatConstants, state?: LmState): { logitsInt: T; logits: T; state: LmState } {
    const r = this.hiddenQat(ids, k, state);
    const out = this.integerOutput(k);
    const acc = mm(r.hidden, tf.transpose(out.w)).add(out.b);
    const logitsInt = out.rescale ? rescale(acc, out.rescale) : acc;
    return { logitsInt, logits: logitsInt.mul(out.scale), state: r.state };
  }

  /**
   * The model's integers as the runtime takes them: int8 embedding [V, E] (row-major), each layer's
   * cell parameters, int8 output weights [V, H] and int32 output bias, with the logits' scale.
   */
  exportIntegers(k: LmQatConstants): LmIntegers {
    let out: LmIntegers | undefined;
    tf.tidy(() => {
      const ids = tf.range(0, this.config.vocabSize, 1, 'int32');
      const o = this.integerOutput(k);
      out = {
        embedding: Int8Array.from(this.embeddedQat(ids, k).dataSync()),
        layers: this.recurrent.map((layer, l) => (layer instanceof QGru ? layer.exportCell(k.layers[l] as GruQatConstants) : layer.exportCell(k.layers[l] as LstmQatConstants))),
        outWeights: Int8Array.from(o.w.dataSync()),
        outBias: Int32Array.from(o.b.dataSync()),
        logitScale: o.scale,
        ...(this.int4Ends ? { int4: { embedding: true, output: { multipliers: k.outRescale!.multipliers, shifts: k.outRescale!.shifts } } } : {}),
      };
    });
    return out!;
  }

  disposeQatConstants(k: LmQatConstants): void {
    k.layers.forEach((c, l) => (this.recurrent[l] instanceof QGru ? disposeGruQatConstants(c as GruQatConstants) : disposeLstmQatConstants(c as LstmQatConstants)));
    disposeOutput(k);
  }
}

/** Free the output layer's constants. */
function disposeOutput(k: LmQatConstants): void {
  k.outScale.dispose();
  if (k.outRescale) {
    disposeRescale(k.outRescale.rescale);
    k.outRescale.accScale.dispose();
  }
}

/** Mean cross-entropy of logits [N, V] against int32 targets [N] (no gather: its gradient is missing on wasm). */
export function crossEntropy(logits: T, targets: T): tf.Scalar {
  return tf.tidy(() => {
    const oneHot = tf.oneHot(targets.reshape([-1]), logits.shape[1]!);
    return tf.neg(tf.mean(tf.sum(oneHot.mul(tf.logSoftmax(logits)), 1))) as tf.Scalar;
  });
}
