import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';

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

/** A seeded sampler (xoroshiro128+ from pure-rand): the same seed gives the same draws in Node and browsers. */
export class Sampler {
  private readonly rng;

  constructor(seed: number) {
    this.rng = xoroshiro128plus(seed);
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
