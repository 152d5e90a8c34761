import seedrandom from 'seedrandom';
import { tf } from '../qat/tf-backend.js';

/**
 * Candidate sampling for a sampled softmax (Jean et al. 2015; TensorFlow's sampled_softmax_loss):
 * each step draws `samples` words from the unigram distribution raised to 0.75, seeded by the step
 * so that a resumed run draws the same. Every row is scored on its own target and the shared sampled
 * words, each logit corrected by -log Q (Q: the word's probability to be among the samples), and a
 * sampled word equal to the row's target is masked out.
 */
export class CandidateSampler {
  private readonly cdf: Float64Array;
  private readonly logQ: Float64Array;

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
    this.cdf = new Float64Array(vocabSize);
    let acc = 0;
    weights.forEach((w, i) => (this.cdf[i] = acc += w / total));
    // probability of appearing at least once in `samples` draws with replacement
    this.logQ = weights.map((w) => Math.log(1 - (1 - w / total) ** samples));
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

  /**
   * The sampled words (unique, sorted) with their corrections, the targets' corrections, and the
   * accidental-hit mask [N, S'] (1 where a sampled word is the row's own target), for one step.
   */
  sample(step: number, targets: Int32Array): { sampled: tf.Tensor1D; sampledLogQ: tf.Tensor1D; targetLogQ: tf.Tensor2D; hits: tf.Tensor2D } {
    const rng = seedrandom(`${this.seed}:${step}`);
    const set = new Set<number>();
    for (let i = 0; i < this.samples; i++) set.add(this.draw(rng()));
    const sampled = Int32Array.from([...set].sort((a, b) => a - b));
    const column = new Map<number, number>();
    sampled.forEach((c, j) => column.set(c, j));
    const hits = new Float32Array(targets.length * sampled.length);
    targets.forEach((t, r) => {
      const j = column.get(t);
      if (j !== undefined) hits[r * sampled.length + j] = 1;
    });
    return {
      sampled: tf.tensor1d(sampled, 'int32'),
      sampledLogQ: tf.tensor1d(Float32Array.from(sampled, (c) => this.logQ[c])),
      targetLogQ: tf.tensor2d(
        Float32Array.from(targets, (t) => this.logQ[t]),
        [targets.length, 1],
      ),
      hits: tf.tensor2d(hits, [targets.length, sampled.length]),
    };
  }
}
