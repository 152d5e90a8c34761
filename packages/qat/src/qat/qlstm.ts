import { IntrnnError, type PwlTable } from '@intrnn/format';
import { accumulatorBound, quantizeMultiplier, type LstmCellParams, type MadNormParams } from '@intrnn/runtime-core';
import { activationTable } from './pwl-cache.js';
import {
  disposePwlLookup,
  disposeRescale,
  fakeQuantValue,
  fakeQuantWeights,
  weightScale,
  makePwlLookup,
  makeRescale,
  productShift,
  pwlApply,
  rescale,
  type PwlLookup,
  type Rescale,
} from './ste-ops.js';
import { disposeShiftConstants, saturateT, shiftConstants, type ShiftConstants } from './exact-int.js';
import { mm } from './fast-ops.js';
import { lstmSequenceNative, type NativeNorm } from './native-ops.js';
import { disposeMadNormConstants, madNormConstants, madNormFloat, madNormQat, type MadNormConstants, type MadNormQuant } from './mad-norm.js';
import { tf } from './tf-backend.js';

type T = tf.Tensor;

/** Scales and tables of one LSTM layer, fixed by calibration before QAT (docs/integer-semantics.md §10). */
export interface LstmQuantState {
  /** Scale of the int8 input x. */
  inputScale: number;
  /** Scale of the int8 hidden state h (2^-7: h = o · tanh(c) lies in (-1, 1)). */
  hiddenScale: number;
  /** Power-of-two scale of the int16 gate pre-activations z. */
  gateScale: number;
  /** The cell state's scale is 2^-cellFracBits. */
  cellFracBits: number;
  /** MadNorm of the gate pre-activations (layers built with it): its scales; the gate PWL tables then take its output scale. */
  norm: { normFracBits: number; gammaScale: number; outScale: number } | null;
  sigmoid: PwlTable;
  tanhGate: PwlTable;
  tanhCell: PwlTable;
}

/** Largest |z| and |c| seen by float forward passes: what calibration needs. */
export interface LstmRanges {
  maxAbsGate: number;
  maxAbsCell: number;
  /** Largest |MadNorm output| (layers with MadNorm). */
  maxAbsNorm?: number;
}

/** Per-step QAT constants derived from the current weights (host side, outside the gradient tape). */
export interface LstmQatConstants {
  state: LstmQuantState;
  scaleWx: T;
  scaleWh: T;
  /** Bias scale s_x · sWx per column. */
  biasScale: T;
  rescaleX: Rescale;
  rescaleH: Rescale;
  rescaleOut: Rescale;
  shift15: ShiftConstants;
  shiftCell: ShiftConstants;
  lookups: { sigmoid: PwlLookup; tanhGate: PwlLookup; tanhCell: PwlLookup };
  norm: MadNormConstants | null;
  /** Host copies of the per-row multipliers and shifts, for export. */
  host: { multX: Int32Array; shiftX: Int32Array; multH: Int32Array; shiftH: Int32Array; multOut: number; shiftOut: number };
}

const GATE_BITS = 16;

/**
 * The time steps of [B, T, F] as T tensors [B, F]. One step is a reshape: tfjs's gradient of a
 * one-output unstack hands stack() a tensor instead of a list and throws (length-1 sentences).
 */
function timeSteps(x: T): T[] {
  const [B, Tn, F] = x.shape;
  return Tn === 1 ? [x.reshape([B, F])] : tf.unstack(x, 1);
}
const ACC_EXACT_LIMIT = 2 ** 24;

/** A stacked-ready LSTM layer with a float mode (pretraining) and a QAT mode (integer forward, STE backward). */
export class QLstm {
  readonly wx: tf.Variable;
  readonly wh: tf.Variable;
  /** Width of the integer weights in QAT and export: 8, or 4 (int4, per-row scales as int8's). Set before QAT. */
  weightBits: 4 | 8 = 8;
  readonly bias: tf.Variable;
  /** MadNorm γ and β per gate [4, H], when the layer normalizes its gate pre-activations. */
  readonly normGamma: tf.Variable | null;
  readonly normBeta: tf.Variable | null;

  constructor(
    readonly inputSize: number,
    readonly hiddenSize: number,
    seed: number,
    readonly name = 'lstm',
    readonly madNorm = false,
  ) {
    const H = hiddenSize;
    const limX = Math.sqrt(6 / (inputSize + 4 * H));
    const limH = Math.sqrt(6 / (H + 4 * H));
    this.wx = tf.variable(tf.randomUniform([inputSize, 4 * H], -limX, limX, 'float32', seed), true, `${name}/wx`);
    this.wh = tf.variable(tf.randomUniform([H, 4 * H], -limH, limH, 'float32', seed + 1), true, `${name}/wh`);
    // forget-gate bias 1: the usual start that lets gradients through time
    const b = new Float32Array(4 * H);
    b.fill(1, H, 2 * H);
    this.bias = tf.variable(tf.tensor1d(b), true, `${name}/bias`);
    this.normGamma = madNorm ? tf.variable(tf.ones([4, H]), true, `${name}/norm/gamma`) : null;
    // β of the forget gate starts at 1, as the bias does without normalization
    this.normBeta = madNorm ? tf.variable(tf.tensor2d(b, [4, H]), true, `${name}/norm/beta`) : null;
  }

  get variables(): tf.Variable[] {
    return this.normGamma && this.normBeta ? [this.wx, this.wh, this.bias, this.normGamma, this.normBeta] : [this.wx, this.wh, this.bias];
  }

  /** Float MadNorm of each gate's H pre-activations (identity without MadNorm). */
  private normFloat(z: T): T {
    if (!this.normGamma || !this.normBeta) return z;
    const gates = tf.split(z, 4, 1);
    const gammas = tf.unstack(this.normGamma);
    const betas = tf.unstack(this.normBeta);
    return tf.concat(
      gates.map((g, i) => madNormFloat(g, gammas[i], betas[i])),
      1,
    );
  }

  /** Float forward over [B, T, D] real inputs. Returns outputs [B, T, H] and the last state. */
  forwardFloat(x: T, init?: { h: T; c: T }, ranges?: LstmRanges): { ys: T; h: T; c: T } {
    // calibration (ranges) takes the tfjs ops
    const norm = this.normGamma && this.normBeta ? { gamma: this.normGamma, beta: this.normBeta, inScale: 1, ratio: 1 } : undefined;
    const fast = !ranges ? lstmSequenceNative(x, this.wx, this.wh, this.bias, init, null, norm) : null;
    if (fast) return fast;
    const [B, Tn] = x.shape;
    const H = this.hiddenSize;
    const ax = mm(x.reshape([B * Tn, this.inputSize]), this.wx)
      .add(this.bias)
      .reshape([B, Tn, 4 * H]);
    const steps = timeSteps(ax);
    let h = init?.h ?? tf.zeros([B, H]);
    let c = init?.c ?? tf.zeros([B, H]);
    const ys: T[] = [];
    for (const a of steps) {
      const pre = a.add(mm(h, this.wh));
      if (ranges) ranges.maxAbsGate = Math.max(ranges.maxAbsGate, tf.max(tf.abs(pre)).dataSync()[0]);
      const z = this.normFloat(pre);
      if (ranges && this.madNorm) ranges.maxAbsNorm = Math.max(ranges.maxAbsNorm ?? 0, tf.max(tf.abs(z)).dataSync()[0]);
      const [zi, zf, zg, zo] = tf.split(z, 4, 1);
      c = tf
        .sigmoid(zf)
        .mul(c)
        .add(tf.sigmoid(zi).mul(tf.tanh(zg)));
      if (ranges) ranges.maxAbsCell = Math.max(ranges.maxAbsCell, tf.max(tf.abs(c)).dataSync()[0]);
      h = tf.sigmoid(zo).mul(tf.tanh(c));
      ys.push(h);
    }
    return { ys: tf.stack(ys, 1), h, c };
  }

  /**
   * Fix the layer's scales from observed ranges and build its PWL tables with the knot search:
   * the gate scale is the power of two that fits max|z| in int16, the cell scale the power of two
   * that fits max|c|.
   */
  static calibrate(inputScale: number, ranges: LstmRanges, normGammaMax?: number): LstmQuantState {
    const pow2Fit = (max: number, bits: number, lo: number, hi: number) => 2 ** Math.min(hi, Math.max(lo, Math.ceil(Math.log2(Math.max(max, 1e-3) / (2 ** (bits - 1) - 1)))));
    const gateScale = pow2Fit(ranges.maxAbsGate, 16, -14, -8);
    const cellFracBits = Math.min(14, Math.max(4, 15 - Math.ceil(Math.log2(Math.max(ranges.maxAbsCell, 1) + 1e-9))));
    // with MadNorm the gate tables read its output; γ gets headroom to grow during fine-tuning
    const norm = normGammaMax === undefined ? null : { normFracBits: 11, gammaScale: pow2Fit(2 * normGammaMax, 16, -15, -6), outScale: pow2Fit(ranges.maxAbsNorm ?? 8, 16, -14, -8) };
    const tableScale = norm ? norm.outScale : gateScale;
    return {
      inputScale,
      hiddenScale: 2 ** -7,
      gateScale,
      cellFracBits,
      norm,
      sigmoid: activationTable('sigmoid', tableScale),
      tanhGate: activationTable('tanh', tableScale),
      tanhCell: activationTable('tanh', 2 ** -cellFracBits),
    };
  }

  /** Largest |γ| of the layer's MadNorm (for calibration), or undefined without MadNorm. */
  normGammaMax(): number | undefined {
    return this.normGamma ? tf.tidy(() => tf.max(tf.abs(this.normGamma!)).dataSync()[0]) : undefined;
  }

  /** Integer weights, biases and multipliers of the current float weights (call once per step). */
  qatConstants(state: LstmQuantState, previous?: LstmQatConstants): LstmQatConstants {
    const H = this.hiddenSize;
    const scaleWx = weightScale(this.wx, 0, this.weightBits);
    const scaleWh = weightScale(this.wh, 0, this.weightBits);
    const sx = scaleWx.dataSync();
    const sh = scaleWh.dataSync();
    const multX = new Int32Array(4 * H);
    const shiftX = new Int32Array(4 * H);
    const multH = new Int32Array(4 * H);
    const shiftH = new Int32Array(4 * H);
    for (let r = 0; r < 4 * H; r++) {
      ({ multiplier: multX[r], shift: shiftX[r] } = quantizeMultiplier((state.inputScale * sx[r]) / state.gateScale));
      ({ multiplier: multH[r], shift: shiftH[r] } = quantizeMultiplier((state.hiddenScale * sh[r]) / state.gateScale));
    }
    const out = quantizeMultiplier(2 ** -15 / state.hiddenScale);
    const reuse = previous && previous.state === state;
    if (previous) disposeLstmQatConstants(previous, !reuse);
    return {
      state,
      scaleWx,
      scaleWh,
      biasScale: tf.tidy(() => scaleWx.mul(state.inputScale)),
      rescaleX: makeRescale(multX, shiftX),
      rescaleH: makeRescale(multH, shiftH),
      rescaleOut: makeRescale([out.multiplier], [out.shift]),
      shift15: reuse ? previous.shift15 : shiftConstants(15),
      shiftCell: reuse ? previous.shiftCell : shiftConstants(30 - state.cellFracBits),
      lookups: reuse ? previous.lookups : { sigmoid: makePwlLookup(state.sigmoid), tanhGate: makePwlLookup(state.tanhGate), tanhCell: makePwlLookup(state.tanhCell) },
      norm: reuse ? previous.norm : state.norm ? madNormConstants({ inScale: state.gateScale, ...state.norm } satisfies MadNormQuant) : null,
      host: { multX, shiftX, multH, shiftH, multOut: out.multiplier, shiftOut: out.shift },
    };
  }

  /** The integer weights as the QAT forward sees them: [D, 4H], [H, 4H], bias [4H]. */
  integerWeights(k: LstmQatConstants): { wx: T; wh: T; bias: T } {
    return {
      wx: fakeQuantWeights(this.wx, k.scaleWx, this.weightBits),
      wh: fakeQuantWeights(this.wh, k.scaleWh, this.weightBits),
      bias: fakeQuantValue(this.bias, k.biasScale, 24),
    };
  }

  /**
   * QAT forward over integer-valued inputs [B, T, D] (int8): computes, step by step, exactly what
   * runtime-core's lstmStepReference computes; gradients flow by straight-through estimates.
   */
  forwardQat(xInt: T, k: LstmQatConstants, init?: { h: T; c: T }): { ys: T; h: T; c: T } {
    const w = this.integerWeights(k);
    const host = k.host;
    const cell = { multX: host.multX, shiftX: host.shiftX, multH: host.multH, shiftH: host.shiftH, multOut: host.multOut, shiftOut: host.shiftOut, cellFracBits: k.state.cellFracBits, ...k.lookups };
    let norm: NativeNorm | undefined;
    if (k.norm && this.normGamma && this.normBeta) {
      const q = k.norm.quant;
      norm = {
        gamma: fakeQuantValue(this.normGamma, q.gammaScale, 16),
        beta: fakeQuantValue(this.normBeta, q.outScale, 24),
        inScale: q.inScale,
        ratio: q.gammaScale / q.outScale,
        ints: [q.normFracBits, k.norm.multiplier, k.norm.shift],
      };
    }
    const fast = lstmSequenceNative(xInt, w.wx, w.wh, w.bias, init, cell, norm);
    if (fast) return fast;
    const [B, Tn] = xInt.shape;
    const H = this.hiddenSize;
    const ax = mm(xInt.reshape([B * Tn, this.inputSize]), w.wx).add(w.bias);
    const tx = timeSteps(rescale(ax, k.rescaleX).reshape([B, Tn, 4 * H]));
    let h = init?.h ?? tf.zeros([B, H]);
    let c = init?.c ?? tf.zeros([B, H]);
    const ys: T[] = [];
    for (const termX of tx) {
      const termH = rescale(mm(h, w.wh), k.rescaleH);
      const z = this.normQat(saturateT(termX.add(termH), GATE_BITS), k);
      const [zi, zf, zg, zo] = tf.split(z, 4, 1);
      const i = pwlApply(zi, k.lookups.sigmoid);
      const f = pwlApply(zf, k.lookups.sigmoid);
      const g = pwlApply(zg, k.lookups.tanhGate);
      const o = pwlApply(zo, k.lookups.sigmoid);
      c = saturateT(productShift(c, f, k.shift15, 15).add(productShift(g, i, k.shiftCell, 30 - k.state.cellFracBits)), 16);
      const tau = pwlApply(c, k.lookups.tanhCell);
      h = saturateT(rescale(productShift(tau, o, k.shift15, 15), k.rescaleOut), 8);
      ys.push(h);
    }
    return { ys: tf.stack(ys, 1), h, c };
  }

  /** MadNorm of each gate in QAT mode (identity without MadNorm). */
  private normQat(z: T, k: LstmQatConstants): T {
    if (!this.normGamma || !this.normBeta || !k.norm) return z;
    const norm = k.norm;
    const gammas = tf.unstack(this.normGamma);
    const betas = tf.unstack(this.normBeta);
    return tf.concat(
      tf.split(z, 4, 1).map((g, i) => madNormQat(g, gammas[i], betas[i], norm)),
      1,
    );
  }

  /**
   * Check the precondition of exactness (docs/integer-semantics.md §10a) on the integer weights:
   * every accumulator bound |bias| + 128 · Σ|W| below 2^24. Returns the largest bound.
   */
  accumulatorBound(k: LstmQatConstants): number {
    const p = this.exportCell(k);
    const H4 = 4 * this.hiddenSize;
    const worst = Math.max(accumulatorBound(p.wx, H4, this.inputSize, p.bias), accumulatorBound(p.wh, H4, this.hiddenSize));
    if (worst >= ACC_EXACT_LIMIT) {
      throw new IntrnnError('ERR_QAT_BOUND', `${this.name}`, `accumulator bound ${worst} reaches 2^24: the float32 QAT forward would not be exact`);
    }
    return worst;
  }

  /** The layer as runtime-core's integer LSTM cell parameters (gate rows i, f, g, o). */
  exportCell(k: LstmQatConstants): LstmCellParams {
    const H = this.hiddenSize;
    const D = this.inputSize;
    const { wx, wh, bias } = tf.tidy(() => {
      const w = this.integerWeights(k);
      return { wx: w.wx.transpose().dataSync(), wh: w.wh.transpose().dataSync(), bias: w.bias.dataSync() };
    });
    return {
      inputSize: D,
      hiddenSize: H,
      wx: Int8Array.from(wx),
      wh: Int8Array.from(wh),
      ...(this.weightBits === 4 ? { weightBits: 4 as const } : {}),
      bias: Int32Array.from(bias),
      multX: k.host.multX,
      shiftX: k.host.shiftX,
      multH: k.host.multH,
      shiftH: k.host.shiftH,
      sigmoid: k.state.sigmoid,
      tanhGate: k.state.tanhGate,
      tanhCell: k.state.tanhCell,
      cellFracBits: k.state.cellFracBits,
      multOut: k.host.multOut,
      shiftOut: k.host.shiftOut,
      norm: this.exportNorm(k),
    };
  }

  /** The four MadNorm parameter sets (i, f, g, o) as runtime-core takes them, or undefined. */
  private exportNorm(k: LstmQatConstants): LstmCellParams['norm'] {
    if (!this.normGamma || !this.normBeta || !k.norm || !k.state.norm) return undefined;
    const n = k.state.norm;
    const c = k.norm;
    // the QAT forward's own quantizers (madNormQat), so export and training cannot drift apart
    const [gammas, betas] = tf.tidy(() => [fakeQuantValue(this.normGamma!, n.gammaScale, 16).arraySync() as number[][], fakeQuantValue(this.normBeta!, n.outScale, 24).arraySync() as number[][]]);
    const params = gammas.map(
      (g, i): MadNormParams => ({
        gamma: Int16Array.from(g),
        beta: Int32Array.from(betas[i]),
        normFracBits: n.normFracBits,
        multiplier: c.multiplier,
        shift: c.shift,
        outBits: 16,
      }),
    );
    return params as unknown as LstmCellParams['norm'];
  }
}

/** Free the tensors of a constants set (the lookups and fixed shifts only when `all`). */
export function disposeLstmQatConstants(k: LstmQatConstants, all = true): void {
  tf.dispose([k.scaleWx, k.scaleWh, k.biasScale]);
  disposeRescale(k.rescaleX);
  disposeRescale(k.rescaleH);
  disposeRescale(k.rescaleOut);
  if (all) {
    disposeShiftConstants(k.shift15);
    disposeShiftConstants(k.shiftCell);
    disposePwlLookup(k.lookups.sigmoid);
    disposePwlLookup(k.lookups.tanhGate);
    disposePwlLookup(k.lookups.tanhCell);
    if (k.norm) disposeMadNormConstants(k.norm);
  }
}
