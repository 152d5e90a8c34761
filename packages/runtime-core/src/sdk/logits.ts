import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { xoroshiro128plus, xoroshiro128plusFromState } from 'pure-rand/generator/xoroshiro128plus';
import { IntrnnError } from '@intrnn/format';

/** Index of the largest integer logit (the lowest index on ties). Pure integer: no scale needed. */
export function argmax(logits: ArrayLike<number>, offset = 0, length = logits.length - offset): number {
  let best = 0;
  for (let j = 1; j < length; j++) if (logits[offset + j] > logits[offset + best]) best = j;
  return best;
}

/**
 * log Σ exp(scale·l_j) over integer logits, in float64. The model's output is the int32 logits;
 * turning them into probabilities for a metric or for sampling is host-side presentation.
 */
export function logSumExp(logits: ArrayLike<number>, scale: number, offset = 0, length = logits.length - offset): number {
  let max = -Infinity;
  for (let j = 0; j < length; j++) max = Math.max(max, logits[offset + j]);
  let sum = 0;
  for (let j = 0; j < length; j++) sum += Math.exp(scale * (logits[offset + j] - max));
  return scale * max + Math.log(sum);
}

/** Softmax of integer logits at a real scale and temperature, in float64. */
export function softmax(logits: ArrayLike<number>, scale: number, temperature = 1): Float64Array {
  const s = scale / temperature;
  const lse = logSumExp(logits, s);
  return Float64Array.from({ length: logits.length }, (_, j) => Math.exp(s * logits[j] - lse));
}

/** A sampler seed: any safe integer, or a non-empty string (e.g. a user or session id). */
export type Seed = number | string;

/**
 * 32-bit FNV-1a of a string's UTF-16 units, from one of four offset bases: four words of generator
 * state from a string seed. Written here because the runtime must hash synchronously in browsers
 * too (WebCrypto's digest is async) and needs no more than a well-spread 128-bit state.
 */
function fnv1a(text: string, basis: number): number {
  let h = basis >>> 0;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619) >>> 0;
  return h | 0;
}

/** xoroshiro128+ from a seed: 32-bit integers as pure-rand seeds them (unchanged draws), wider integers and strings through all 128 bits. */
function generatorOf(seed: Seed) {
  if (typeof seed === 'string') {
    if (seed.length === 0) throw new IntrnnError('ERR_OPTION', 'seed', 'is an empty string');
    return xoroshiro128plusFromState([fnv1a(seed, 0x811c9dc5), fnv1a(seed, 0x01000193), fnv1a(seed, 0x9e3779b9), fnv1a(seed, 0x85ebca6b) | 1]);
  }
  if (!Number.isSafeInteger(seed)) throw new IntrnnError('ERR_OPTION', 'seed', `${seed} is not a safe integer (|seed| < 2^53) or a string`);
  if (seed >= -(2 ** 31) && seed < 2 ** 32) return xoroshiro128plus(seed);
  // two seeds that agree modulo 2^32 must not give the same draws: the high bits enter the state too
  const lo = (seed % 2 ** 32) | 0;
  const hi = Math.floor(seed / 2 ** 32) | 0;
  return xoroshiro128plusFromState([hi ^ 0x6a09e667, ~lo, lo, hi | 1]);
}

/** A seeded sampler (xoroshiro128+ from pure-rand): the same seed gives the same draws in Node and browsers. */
export class Sampler {
  private readonly rng;

  constructor(seed: Seed) {
    this.rng = generatorOf(seed);
    // a small integer seed leaves xoroshiro's state nearly empty: its first outputs are extreme
    // (seed 7 draws 0.99999988 first), so the first 32 are discarded
    for (let i = 0; i < 32; i++) this.rng.next();
  }

  /** Draw an index from a probability vector. */
  draw(p: ArrayLike<number>): number {
    const u = uniformFloat64(this.rng);
    let acc = 0;
    for (let j = 0; j < p.length; j++) {
      acc += p[j];
      if (u < acc) return j;
    }
    return p.length - 1;
  }
}
