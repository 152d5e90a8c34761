import { logSumExp } from './logits.js';

/** A finished or live hypothesis: symbol ids after the start symbol, and its log-probability. */
export interface Hypothesis {
  ids: number[];
  logProb: number;
  done: boolean;
}

/**
 * Beam search over a decoder's integer logits, driven from outside so that synchronous (SDK) and
 * asynchronous (ONNX Runtime) executors share it: ask {@link pending} which prefixes need logits, give
 * them to {@link advance}, until {@link finished}. Scores are float64 log-softmax of the int32 logits
 * at the model's logit scale; ties break toward lower ids, so the result is deterministic. With
 * width 1 this is greedy decoding by integer argmax.
 */
export class BeamSearch {
  private beams: Hypothesis[] = [{ ids: [], logProb: 0, done: false }];
  private steps = 0;

  constructor(
    readonly width: number,
    readonly endId: number,
    readonly maxLength: number,
    readonly logitScale: number,
  ) {}

  /** The live hypotheses' id prefixes (without the start symbol), in beam order. */
  pending(): number[][] {
    return this.beams.filter((b) => !b.done).map((b) => b.ids);
  }

  /** Whether every hypothesis has ended or the length limit is reached. */
  get finished(): boolean {
    return this.steps >= this.maxLength || this.beams.every((b) => b.done);
  }

  /** Extend each pending prefix with the next-symbol logits computed for it (same order as pending()). */
  advance(logits: ArrayLike<number>[]): void {
    const live = this.beams.filter((b) => !b.done);
    const candidates: Hypothesis[] = this.beams.filter((b) => b.done);
    live.forEach((b, i) => {
      const row = logits[i];
      const lse = logSumExp(row, this.logitScale);
      // the best `width` symbols of this row (stable: lower id first among equals)
      const order = Array.from({ length: row.length }, (_, j) => j).sort((x, y) => row[y] - row[x] || x - y);
      for (const j of order.slice(0, this.width)) {
        const done = j === this.endId;
        candidates.push({ ids: done ? b.ids : [...b.ids, j], logProb: b.logProb + this.logitScale * row[j] - lse, done });
      }
    });
    candidates.sort((a, b) => b.logProb - a.logProb || compareIds(a.ids, b.ids));
    this.beams = candidates.slice(0, this.width);
    this.steps++;
  }

  /** Hypotheses best first (unfinished ones, if the length limit cut them, after the finished ones). */
  results(): Hypothesis[] {
    return [...this.beams].sort((a, b) => Number(b.done) - Number(a.done) || b.logProb - a.logProb || compareIds(a.ids, b.ids));
  }
}

function compareIds(a: number[], b: number[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}
