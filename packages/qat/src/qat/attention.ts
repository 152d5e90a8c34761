import type { PwlTable } from '@intrnn/format';
import { quantizeMultiplier } from '@intrnn/runtime-core';
import { activationTable } from './pwl-cache.js';
import { roundingDivideExact, saturateT } from './exact-int.js';
import { disposePwlLookup, disposeRescale, makePwlLookup, makeRescale, rescale, type PwlLookup, type Rescale } from './ste-ops.js';
import { tf } from './tf-backend.js';

type T = tf.Tensor;

/** Fractional bits P of the integer attention weights (docs/integer-semantics.md §9). */
export const ATTENTION_WEIGHT_BITS = 8;
/** Input scale of the exp table: scores are requantized to it, its domain (−32, 0] covers exp down to 1e-14. */
export const EXP_IN_SCALE = 2 ** -10;

/** Frozen quantization of integer attention: how scores reach the exp table, and the table. */
export interface AttentionQuant {
  /** Multiplier and shift of s_q · s_k / EXP_IN_SCALE (scores are int32 at s_q · s_k). */
  scoreMultiplier: number;
  scoreShift: number;
  expTable: PwlTable;
}

/** Calibrate attention between int8 queries and keys of the given scales. */
export function calibrateAttention(queryScale: number, keyScale: number): AttentionQuant {
  const { multiplier, shift } = quantizeMultiplier((queryScale * keyScale) / EXP_IN_SCALE);
  return { scoreMultiplier: multiplier, scoreShift: shift, expTable: activationTable('exp', EXP_IN_SCALE) };
}

/** Host-side constants of the QAT attention. */
export interface AttentionConstants {
  quant: AttentionQuant;
  score: Rescale;
  context: Rescale;
  exp: PwlLookup;
}

export function attentionConstants(quant: AttentionQuant): AttentionConstants {
  return { quant, score: makeRescale([quant.scoreMultiplier], [quant.scoreShift]), context: makeRescale([1], [ATTENTION_WEIGHT_BITS]), exp: makePwlLookup(quant.expTable) };
}

export function disposeAttentionConstants(k: AttentionConstants): void {
  disposeRescale(k.score);
  disposeRescale(k.context);
  disposePwlLookup(k.exp);
}

/** Float dot-product attention: queries [B, T, D], keys (= values) [B, S, D] → contexts [B, T, D]. */
export function attentionFloat(query: T, keys: T): T {
  return tf.matMul(tf.softmax(tf.matMul(query, keys, false, true)), keys);
}

const INT16_OFFSET = 32768;

/**
 * The integer softmax of §9 over the last axis of int16-valued scores x (at EXP_IN_SCALE): weights at
 * 2^-8. Exact in float32 for rows up to 255 long (Σ E < 2^23). Gradient: that of 2^8 · softmax(x · s).
 */
function softmaxWeights(x: T, k: AttentionConstants): T {
  const op = tf.customGrad(((input: T, save: tf.GradSaveFunc) => {
    save([input]);
    const value = tf.tidy(() => {
      const d = saturateT(input.sub(tf.max(input, -1, true)), 16); // pwlEval clamps below its first knot (≥ -32768) anyway
      const e = tf.gather(k.exp.values, tf.cast(d.add(INT16_OFFSET), 'int32'));
      return roundingDivideExact(e.mul(2 ** ATTENTION_WEIGHT_BITS), tf.sum(e, -1, true));
    });
    return {
      value,
      gradFunc: (dy: T, saved: T[]) => {
        const p = tf.softmax(saved[0].mul(EXP_IN_SCALE));
        const dot = tf.sum(p.mul(dy), -1, true);
        return p.mul(dy.sub(dot)).mul(2 ** ATTENTION_WEIGHT_BITS * EXP_IN_SCALE);
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (x: T) => T;
  return op(x);
}

/**
 * QAT attention on int8-valued queries [B, T, D] and keys [B, S, D]: exactly runtime-core's
 * attentionReference (int32 scores, requantized to int16 at the exp table's scale, integer softmax,
 * int32 context sums, rounding shift by 8, int8). Scores need D · 2^14 < 2^24 (D < 1024).
 */
export function attentionQat(query: T, keys: T, k: AttentionConstants): T {
  const scores = tf.matMul(query, keys, false, true);
  const x = saturateT(rescale(scores, k.score), 16);
  const a = softmaxWeights(x, k);
  return saturateT(rescale(tf.matMul(a, keys), k.context), 8);
}
