import type { PwlTable } from '@intrnn/format';
import { applyMultiplier, requantize } from '../arithmetic/requantize.js';
import { roundingShiftRight } from '../arithmetic/rounding-shift-right.js';
import { saturate } from '../arithmetic/saturate.js';
import { checkLength } from './check.js';
import { gemvInt8 } from './gemv-int8.js';
import { pwlEval } from './pwl-eval.js';

/** Integer parameters of one GRU cell (docs/integer-semantics.md §10b). Gate order z, r, n. */
export interface GruCellParams {
  inputSize: number;
  hiddenSize: number;
  /** Input weights [3H, D] and recurrent weights [3H, H], row-major int8. */
  wx: Int8Array;
  wh: Int8Array;
  /** 4: wx and wh hold int4 values (-8…7) and are stored int4 in files (op set 3); absent: int8. */
  weightBits?: 4 | 8;
  /** Input and recurrent biases [3H], int32 at their accumulators' scales (the recurrent one feeds the candidate's reset-gated part). */
  biasX: Int32Array;
  biasH: Int32Array;
  /** Per-row multipliers [3H] taking the accumulators to the gate scale s_z. */
  multX: Int32Array;
  shiftX: Int32Array;
  multH: Int32Array;
  shiftH: Int32Array;
  /** sigmoid (z, r) and tanh (the candidate) at the gate scale, outputs at 2^-15. */
  sigmoid: PwlTable;
  tanhGate: PwlTable;
  /** Multiplier of s_h / 2^-15: h_{t-1} into the candidate's domain (step 8). */
  multPrev: number;
  shiftPrev: number;
  /** Multiplier of 2^-15 / s_h: the blend back to the hidden scale (step 10). */
  multOut: number;
  shiftOut: number;
}

/** Reference integer GRU step: (x_t, h_{t-1}) → h_t, following §10b line by line. */
export function gruStepReference(p: GruCellParams, x: Int8Array, h: Int8Array): Int8Array {
  const H = p.hiddenSize;
  checkLength('gru.x', x, p.inputSize);
  checkLength('gru.h', h, H);
  for (const [name, a] of [
    ['biasX', p.biasX],
    ['biasH', p.biasH],
    ['multX', p.multX],
    ['shiftX', p.shiftX],
    ['multH', p.multH],
    ['shiftH', p.shiftH],
  ] as const) {
    checkLength(`gru.${name}`, a, 3 * H);
  }
  const ax = gemvInt8(p.wx, 3 * H, p.inputSize, x, p.biasX); // step 1
  const ah = gemvInt8(p.wh, 3 * H, H, h, p.biasH); // step 2
  const toGate = (k: number, acc: Int32Array, m: Int32Array, s: Int32Array) => saturate(applyMultiplier(acc[k], m[k], s[k]), 24);
  const out = new Int8Array(H);
  for (let j = 0; j < H; j++) {
    const z = pwlEval(p.sigmoid, saturate(toGate(j, ax, p.multX, p.shiftX) + toGate(j, ah, p.multH, p.shiftH), 16)); // steps 3-4
    const r = pwlEval(p.sigmoid, saturate(toGate(H + j, ax, p.multX, p.shiftX) + toGate(H + j, ah, p.multH, p.shiftH), 16));
    const cx = toGate(2 * H + j, ax, p.multX, p.shiftX); // step 5
    const ch = toGate(2 * H + j, ah, p.multH, p.shiftH);
    const n = pwlEval(p.tanhGate, saturate(cx + applyMultiplier(ch, r, 15), 16)); // steps 6-7
    const prev = saturate(applyMultiplier(h[j], p.multPrev, p.shiftPrev), 16); // step 8
    const v = n + roundingShiftRight(z * (prev - n), 15); // step 9: one rounding, exact in QAT's float32
    out[j] = requantize(v, p.multOut, p.shiftOut, 8); // step 10
  }
  return out;
}
