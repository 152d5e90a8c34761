import type { PwlTable } from '@intrnn/format';
import { requantize } from '../arithmetic/requantize.js';
import { roundingShiftRight } from '../arithmetic/rounding-shift-right.js';
import { saturate } from '../arithmetic/saturate.js';
import { checkLength } from './check.js';
import { gemvInt8 } from './gemv-int8.js';
import { intSoftmax } from './int-softmax.js';

/** Integer parameters of dot-product attention (docs/integer-semantics.md §9a). */
export interface AttentionParams {
  /** Multiplier and shift taking int32 scores (scale s_q · s_k) to the exp table's int16 input. */
  scoreMultiplier: number;
  scoreShift: number;
  /** exp on (−∞, 0], output at 2^-15. */
  expTable: PwlTable;
}

/** Fractional bits of the attention weights. */
const WEIGHT_BITS = 8;

/**
 * Reference integer attention for one query: scores e_j = k_j · q (int32), x_j = requantize(e_j, 16),
 * weights a = intSoftmax(x) at 2^-8, context c = saturate(round(Σ_j a_j k_j / 2^8), 8) at the keys' scale.
 */
export function attentionReference(query: Int8Array, keys: Int8Array, length: number, dim: number, p: AttentionParams): Int8Array {
  checkLength('attention.query', query, dim);
  checkLength('attention.keys', keys, length * dim);
  const e = gemvInt8(keys, length, dim, query);
  const x = new Int32Array(length);
  for (let j = 0; j < length; j++) x[j] = requantize(e[j], p.scoreMultiplier, p.scoreShift, 16);
  const a = intSoftmax(x, p.expTable, WEIGHT_BITS);
  const out = new Int8Array(dim);
  for (let d = 0; d < dim; d++) {
    let acc = 0;
    for (let j = 0; j < length; j++) acc += a[j] * keys[j * dim + d];
    out[d] = saturate(roundingShiftRight(acc, WEIGHT_BITS), 8);
  }
  return out;
}
