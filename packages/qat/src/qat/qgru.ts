import { IntrnnError, type PwlTable } from '@intrnn/format';
import { accumulatorBound, quantizeMultiplier, type GruCellParams } from '@intrnn/runtime-core';
import { disposeShiftConstants, saturateT, shiftConstants, type ShiftConstants } from './exact-int.js';
import { mm } from './fast-ops.js';
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
import { tf } from './tf-backend.js';

type T = tf.Tensor;

/** Scales and tables of one GRU layer, fixed by calibration before QAT (docs/integer-semantics.md §10b). */
export interface GruQuantState {
  /** Scale of the int8 input x. */
  inputScale: number;
  /** Scale of the int8 hidden state h (2^-7: h blends values in (-1, 1)). */
  hiddenScale: number;
  /** Power-of-two scale s_z of the int16 gate pre-activations (z, r and the candidate's). */
  gateScale: number;
  sigmoid: PwlTable;
  tanhGate: PwlTable;
}

/** Largest |pre-activation| seen by float forward passes (z, r and the candidate's a). */
export interface GruRanges {
  maxAbsGate: number;
}

/** Per-step QAT constants derived from the current weights (host side, outside the gradient tape). */
export interface GruQatConstants {
  state: GruQuantState;
  scaleWx: T;
  scaleWh: T;
  /** Bias scales s_x · sWx and s_h · sWh per column. */
  biasScaleX: T;
  biasScaleH: T;
  rescaleX: Rescale;
  rescaleH: Rescale;
  rescalePrev: Rescale;
  rescaleOut: Rescale;
  shift15: ShiftConstants;
  lookups: { sigmoid: PwlLookup; tanhGate: PwlLookup };
  /** Host copies of the multipliers and shifts, for export. */
  host: { multX: Int32Array; shiftX: Int32Array; multH: Int32Array; shiftH: Int32Array; multPrev: number; shiftPrev: number; multOut: number; shiftOut: number };
}

const GATE_BITS = 16;
const ACC_EXACT_LIMIT = 2 ** 24;

/** The time steps of [B, T, F] as T tensors [B, F] (a reshape for one step: see QLstm). */
function timeSteps(x: T): T[] {
  const [B, Tn, F] = x.shape;
  return Tn === 1 ? [x.reshape([B, F])] : tf.unstack(x, 1);
}

/**
 * A GRU layer (gates z, r, n; the reset gate after the recurrent product, ONNX's
 * linear_before_reset = 1) with a float mode for pretraining and a QAT mode whose forward pass is
 * runtime-core's integer GRU step exactly, with straight-through gradients.
 */
export class QGru {
  readonly wx: tf.Variable;
  readonly wh: tf.Variable;
  /** Width of the integer weights in QAT and export: 8, or 4 (int4, per-row scales as int8's). Set before QAT. */
  weightBits: 4 | 8 = 8;
  readonly biasX: tf.Variable;
  readonly biasH: tf.Variable;

  constructor(
    readonly inputSize: number,
    readonly hiddenSize: number,
    seed: number,
    readonly name = 'gru',
  ) {
    const H = hiddenSize;
    const limX = Math.sqrt(6 / (inputSize + 3 * H));
    const limH = Math.sqrt(6 / (H + 3 * H));
    this.wx = tf.variable(tf.randomUniform([inputSize, 3 * H], -limX, limX, 'float32', seed), true, `${name}/wx`);
    this.wh = tf.variable(tf.randomUniform([H, 3 * H], -limH, limH, 'float32', seed + 1), true, `${name}/wh`);
    this.biasX = tf.variable(tf.zeros([3 * H]), true, `${name}/bias_x`);
    this.biasH = tf.variable(tf.zeros([3 * H]), true, `${name}/bias_h`);
  }

  get variables(): tf.Variable[] {
    return [this.wx, this.wh, this.biasX, this.biasH];
  }

  /**
   * Float forward over [B, T, D] real inputs. Returns outputs [B, T, H] and the last state; `c` is
   * an empty [B, 0] tensor (a GRU has no cell state) so that stacks of either cell carry one shape of state.
   */
  forwardFloat(x: T, init?: { h: T; c?: T }, ranges?: GruRanges): { ys: T; h: T; c: T } {
    const [B, Tn] = x.shape;
    const H = this.hiddenSize;
    const ax = mm(x.reshape([B * Tn, this.inputSize]), this.wx)
      .add(this.biasX)
      .reshape([B, Tn, 3 * H]);
    let h = init?.h ?? tf.zeros([B, H]);
    const ys: T[] = [];
    for (const a of timeSteps(ax)) {
      const [xz, xr, xn] = tf.split(a, 3, 1);
      const [hz, hr, hn] = tf.split(mm(h, this.wh).add(this.biasH), 3, 1);
      const preZ = xz.add(hz);
      const preR = xr.add(hr);
      const r = tf.sigmoid(preR);
      const preN = xn.add(r.mul(hn));
      if (ranges) ranges.maxAbsGate = Math.max(ranges.maxAbsGate, ...[preZ, preR, preN, xn, hn].map((t) => tf.max(tf.abs(t)).dataSync()[0]));
      const z = tf.sigmoid(preZ);
      const n = tf.tanh(preN);
      h = z.mul(h).add(tf.sub(1, z).mul(n));
      ys.push(h);
    }
    return { ys: tf.stack(ys, 1), h, c: tf.zeros([B, 0]) };
  }

  /** Fix the layer's scales from observed ranges: the gate scale is the power of two that fits them in int16. */
  static calibrate(inputScale: number, ranges: GruRanges): GruQuantState {
    const gateScale = 2 ** Math.min(-8, Math.max(-14, Math.ceil(Math.log2(Math.max(ranges.maxAbsGate, 1e-3) / (2 ** 15 - 1)))));
    return { inputScale, hiddenScale: 2 ** -7, gateScale, sigmoid: activationTable('sigmoid', gateScale), tanhGate: activationTable('tanh', gateScale) };
  }

  /** Integer weights, biases and multipliers of the current float weights (call once per step). */
  qatConstants(state: GruQuantState, previous?: GruQatConstants): GruQatConstants {
    const H3 = 3 * this.hiddenSize;
    const scaleWx = weightScale(this.wx, 0, this.weightBits);
    const scaleWh = weightScale(this.wh, 0, this.weightBits);
    const sx = scaleWx.dataSync();
    const sh = scaleWh.dataSync();
    const multX = new Int32Array(H3);
    const shiftX = new Int32Array(H3);
    const multH = new Int32Array(H3);
    const shiftH = new Int32Array(H3);
    for (let r = 0; r < H3; r++) {
      ({ multiplier: multX[r], shift: shiftX[r] } = quantizeMultiplier((state.inputScale * sx[r]) / state.gateScale));
      ({ multiplier: multH[r], shift: shiftH[r] } = quantizeMultiplier((state.hiddenScale * sh[r]) / state.gateScale));
    }
    const prev = quantizeMultiplier(state.hiddenScale / 2 ** -15);
    const out = quantizeMultiplier(2 ** -15 / state.hiddenScale);
    const reuse = previous && previous.state === state;
    if (previous) disposeGruQatConstants(previous, !reuse);
    return {
      state,
      scaleWx,
      scaleWh,
      biasScaleX: tf.tidy(() => scaleWx.mul(state.inputScale)),
      biasScaleH: tf.tidy(() => scaleWh.mul(state.hiddenScale)),
      rescaleX: makeRescale(multX, shiftX),
      rescaleH: makeRescale(multH, shiftH),
      rescalePrev: makeRescale([prev.multiplier], [prev.shift]),
      rescaleOut: makeRescale([out.multiplier], [out.shift]),
      shift15: reuse ? previous.shift15 : shiftConstants(15),
      lookups: reuse ? previous.lookups : { sigmoid: makePwlLookup(state.sigmoid), tanhGate: makePwlLookup(state.tanhGate) },
      host: { multX, shiftX, multH, shiftH, multPrev: prev.multiplier, shiftPrev: prev.shift, multOut: out.multiplier, shiftOut: out.shift },
    };
  }

  /** The integer weights as the QAT forward sees them: [D, 3H], [H, 3H], biases [3H] (int24). */
  integerWeights(k: GruQatConstants): { wx: T; wh: T; biasX: T; biasH: T } {
    return {
      wx: fakeQuantWeights(this.wx, k.scaleWx, this.weightBits),
      wh: fakeQuantWeights(this.wh, k.scaleWh, this.weightBits),
      biasX: fakeQuantValue(this.biasX, k.biasScaleX, 24),
      biasH: fakeQuantValue(this.biasH, k.biasScaleH, 24),
    };
  }

  /**
   * QAT forward over integer-valued inputs [B, T, D] (int8): step by step what runtime-core's
   * gruStepReference computes (§10b, the step numbers below); gradients by straight-through estimates.
   */
  forwardQat(xInt: T, k: GruQatConstants, init?: { h: T; c?: T }): { ys: T; h: T; c: T } {
    const w = this.integerWeights(k);
    const [B, Tn] = xInt.shape;
    const H = this.hiddenSize;
    const ax = mm(xInt.reshape([B * Tn, this.inputSize]), w.wx).add(w.biasX); // step 1
    const gxs = timeSteps(rescale(ax, k.rescaleX).reshape([B, Tn, 3 * H])); // steps 3 and 5, input part
    let h = init?.h ?? tf.zeros([B, H]);
    const ys: T[] = [];
    for (const gx of gxs) {
      const gh = rescale(mm(h, w.wh).add(w.biasH), k.rescaleH); // step 2, then 3 and 5
      const [xz, xr, xn] = tf.split(gx, 3, 1);
      const [hz, hr, hn] = tf.split(gh, 3, 1);
      const z = pwlApply(saturateT(xz.add(hz), GATE_BITS), k.lookups.sigmoid); // step 4
      const r = pwlApply(saturateT(xr.add(hr), GATE_BITS), k.lookups.sigmoid);
      const n = pwlApply(saturateT(xn.add(productShift(hn, r, k.shift15, 15)), GATE_BITS), k.lookups.tanhGate); // steps 6-7
      const p = saturateT(rescale(h, k.rescalePrev), 16); // step 8
      const v = n.add(productShift(p.sub(n), z, k.shift15, 15)); // step 9
      h = saturateT(rescale(v, k.rescaleOut), 8); // step 10
      ys.push(h);
    }
    return { ys: tf.stack(ys, 1), h, c: tf.zeros([B, 0]) };
  }

  /**
   * The precondition of exactness (docs/integer-semantics.md §10a) on the integer weights: every
   * accumulator bound |bias| + 128 · Σ|W| below 2^24. Returns the largest bound.
   */
  accumulatorBound(k: GruQatConstants): number {
    const p = this.exportCell(k);
    const H3 = 3 * this.hiddenSize;
    const worst = Math.max(accumulatorBound(p.wx, H3, this.inputSize, p.biasX), accumulatorBound(p.wh, H3, this.hiddenSize, p.biasH));
    if (worst >= ACC_EXACT_LIMIT) throw new IntrnnError('ERR_QAT_BOUND', this.name, `accumulator bound ${worst} reaches 2^24: the float32 QAT forward would not be exact`);
    return worst;
  }

  /** The layer as runtime-core's integer GRU cell parameters (gate rows z, r, n). */
  exportCell(k: GruQatConstants): GruCellParams {
    const { wx, wh, biasX, biasH } = tf.tidy(() => {
      const w = this.integerWeights(k);
      return { wx: w.wx.transpose().dataSync(), wh: w.wh.transpose().dataSync(), biasX: w.biasX.dataSync(), biasH: w.biasH.dataSync() };
    });
    const h = k.host;
    return {
      inputSize: this.inputSize,
      hiddenSize: this.hiddenSize,
      wx: Int8Array.from(wx),
      wh: Int8Array.from(wh),
      ...(this.weightBits === 4 ? { weightBits: 4 as const } : {}),
      biasX: Int32Array.from(biasX),
      biasH: Int32Array.from(biasH),
      multX: h.multX,
      shiftX: h.shiftX,
      multH: h.multH,
      shiftH: h.shiftH,
      sigmoid: k.state.sigmoid,
      tanhGate: k.state.tanhGate,
      multPrev: h.multPrev,
      shiftPrev: h.shiftPrev,
      multOut: h.multOut,
      shiftOut: h.shiftOut,
    };
  }
}

/** Free the tensors of a constants set (the lookups and fixed shifts only when `all`). */
export function disposeGruQatConstants(k: GruQatConstants, all = true): void {
  tf.dispose([k.scaleWx, k.scaleWh, k.biasScaleX, k.biasScaleH]);
  for (const r of [k.rescaleX, k.rescaleH, k.rescalePrev, k.rescaleOut]) disposeRescale(r);
  if (all) {
    disposeShiftConstants(k.shift15);
    disposePwlLookup(k.lookups.sigmoid);
    disposePwlLookup(k.lookups.tanhGate);
  }
}
