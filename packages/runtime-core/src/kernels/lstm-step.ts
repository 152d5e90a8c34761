import { IntrnnError, type PwlTable } from '@intrnn/format';
import { applyMultiplier, requantize } from '../arithmetic/requantize.js';
import { roundingShiftRight } from '../arithmetic/rounding-shift-right.js';
import { saturate } from '../arithmetic/saturate.js';
import { checkLength } from './check.js';
import { gemvInt8 } from './gemv-int8.js';
import { madNormReference, type MadNormParams } from './mad-norm.js';
import { pwlEval } from './pwl-eval.js';

/** Integer parameters of one LSTM cell (docs/integer-semantics.md §10). Gate order i, f, g, o. */
export interface LstmCellParams {
  inputSize: number;
  hiddenSize: number;
  /** Input weights [4H, D] row-major, int8 per-row scales. */
  wx: Int8Array;
  /** 4: wx and wh hold int4 values (-8…7) and are stored int4 in files (op set 3); absent: int8. */
  weightBits?: 4 | 8;
  /** Recurrent weights [4H, H] row-major. */
  wh: Int8Array;
  /** Bias [4H], int32 at the input accumulator's scale s_x · sWx[r]. */
  bias: Int32Array;
  /** Per-row multipliers taking the input / recurrent accumulators to the gate scale. */
  multX: Int32Array;
  shiftX: Int32Array;
  multH: Int32Array;
  shiftH: Int32Array;
  /** Optional MadNorm per gate (i, f, g, o), each over H values. */
  norm?: readonly [MadNormParams, MadNormParams, MadNormParams, MadNormParams];
  /** Gate activations: sigmoid and tanh at the gate (or MadNorm output) scale, outputs at 2^-15. */
  sigmoid: PwlTable;
  tanhGate: PwlTable;
  /** tanh at the cell scale 2^-cellFracBits, output at 2^-15. */
  tanhCell: PwlTable;
  cellFracBits: number;
  /** Multiplier of 2^-15 / s_h, taking round(o · tanh(c) / 2^15) to the hidden scale. */
  multOut: number;
  shiftOut: number;
}

/** The state after one step: h_t int8 and c_t int16. */
export interface LstmState {
  h: Int8Array;
  c: Int16Array;
}

const GATE_FRAC_BITS = 15;

/** Reference integer LSTM step: (x_t, h_{t-1}, c_{t-1}) → (h_t, c_t), following §10 line by line. */
export function lstmStepReference(p: LstmCellParams, x: Int8Array, h: Int8Array, c: Int16Array): LstmState {
  const H = p.hiddenSize;
  const D = p.inputSize;
  checkLength('lstm.x', x, D);
  checkLength('lstm.h', h, H);
  checkLength('lstm.c', c, H);
  for (const [name, a] of [
    ['multX', p.multX],
    ['shiftX', p.shiftX],
    ['multH', p.multH],
    ['shiftH', p.shiftH],
  ] as const) {
    checkLength(`lstm.${name}`, a, 4 * H);
  }
  if (!(p.cellFracBits >= 0 && p.cellFracBits <= 15)) {
    throw new IntrnnError('ERR_RANGE', 'lstm.cellFracBits', `${p.cellFracBits} is outside [0, 15]`);
  }
  const ax = gemvInt8(p.wx, 4 * H, D, x, p.bias); // step 1
  const ah = gemvInt8(p.wh, 4 * H, H, h); // step 2
  let z = new Int32Array(4 * H);
  for (let r = 0; r < 4 * H; r++) {
    // step 3: each term saturated to int24 first, so the sum is exact in float32 too (QAT)
    z[r] = saturate(saturate(applyMultiplier(ax[r], p.multX[r], p.shiftX[r]), 24) + saturate(applyMultiplier(ah[r], p.multH[r], p.shiftH[r]), 24), 16);
  }
  if (p.norm) {
    const normed = new Int32Array(4 * H); // step 4
    for (let g = 0; g < 4; g++) normed.set(madNormReference(z.subarray(g * H, (g + 1) * H), p.norm[g]), g * H);
    z = normed;
  }
  const hOut = new Int8Array(H);
  const cOut = new Int16Array(H);
  for (let u = 0; u < H; u++) {
    const i = pwlEval(p.sigmoid, z[u]); // step 5
    const f = pwlEval(p.sigmoid, z[H + u]);
    const g = pwlEval(p.tanhGate, z[2 * H + u]);
    const o = pwlEval(p.sigmoid, z[3 * H + u]);
    const cNew = saturate(roundingShiftRight(f * c[u], GATE_FRAC_BITS) + roundingShiftRight(i * g, 2 * GATE_FRAC_BITS - p.cellFracBits), 16); // step 6
    const tau = pwlEval(p.tanhCell, cNew); // step 7
    cOut[u] = cNew;
    hOut[u] = requantize(roundingShiftRight(o * tau, GATE_FRAC_BITS), p.multOut, p.shiftOut, 8); // step 8
  }
  return { h: hOut, c: cOut };
}
