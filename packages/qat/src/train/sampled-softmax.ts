import seedrandom from 'seedrandom';
import { tf } from '../qat/tf-backend.js';

/**
 * Candidate sampling for a sampled softmax: each step draws `samples` words from the unigram
 * distribution raised to 0.75 (seeded by the step, so a resumed run draws the same), adds the
 * batch's targets, and gives each candidate's log inclusion probability for the correction.
 */
export class CandidateSampler {
  private readonly cdf: Float64Array;
  private readonly q: Float64Array;

  constructor(
    trainIds: Int32Array,
    readonly vocabSize: number,
    readonly samples: number,
    readonly seed: number,
  ) {
    const counts = new Float64Array(vocabSize);
    for (const id of trainIds) counts[id] += 1;
    const weights = counts.map((c) => (c + 1) ** 0.75);
    const total = weights.reduce((a, b) => a + b, 0);
    this.q = weights.map((w) => w / total);
    this.cdf = new Float64Array(vocabSize);
    let acc = 0;
    this.q.forEach((p, i) => (this.cdf[i] = acc += p));
  }

  private draw(u: number): number {
    let lo = 0;
    let hi = this.vocabSize - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.cdf[mid] < u) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Candidates (sorted ids), their -log Q corrections and the targets' positions, for one step. */
  sample(step: number, targets: Int32Array): { candidates: tf.Tensor1D; logQ: tf.Tensor1D; positions: tf.Tensor1D } {
    const rng = seedrandom(`${this.seed}:${step}`);
    const inBatch = new Set<number>(targets);
    const set = new Set<number>(inBatch);
    for (let i = 0; i < this.samples; i++) set.add(this.draw(rng()));
    const candidates = Int32Array.from([...set].sort((a, b) => a - b));
    const position = new Map<number, number>();
    candidates.forEach((c, i) => position.set(c, i));
    // Q = 1 for the batch's targets (always included), else P(drawn at least once in `samples` draws)
    const logQ = Float32Array.from(candidates, (c) => (inBatch.has(c) ? 0 : Math.log(1 - (1 - this.q[c]) ** this.samples)));
    return {
      candidates: tf.tensor1d(candidates, 'int32'),
      logQ: tf.tensor1d(logQ),
      positions: tf.tensor1d(Int32Array.from(targets, (t) => position.get(t)!), 'int32'),
    };
  }
}
