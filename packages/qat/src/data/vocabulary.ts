import { IntrnnError } from '@intrnn/format';

/** A token ↔ id map. Ids are dense from 0 in the order given. */
export class Vocabulary {
  readonly tokens: readonly string[];
  private readonly ids: Map<string, number>;
  /** Id of the unknown token, or -1 if this vocabulary has none (then unknown tokens are errors). */
  readonly unkId: number;

  constructor(tokens: readonly string[], unk?: string) {
    this.tokens = tokens;
    this.ids = new Map(tokens.map((t, i) => [t, i]));
    if (this.ids.size !== tokens.length) throw new IntrnnError('ERR_VOCAB', 'vocabulary', 'has duplicate tokens');
    this.unkId = unk === undefined ? -1 : (this.ids.get(unk) ?? -1);
    if (unk !== undefined && this.unkId < 0) throw new IntrnnError('ERR_VOCAB', 'vocabulary', `unknown-token '${unk}' is not in the vocabulary`);
  }

  get size(): number {
    return this.tokens.length;
  }

  has(token: string): boolean {
    return this.ids.has(token);
  }

  /** Id of a token; the unknown id for an out-of-vocabulary token, or a typed error if there is none. */
  id(token: string): number {
    const id = this.ids.get(token);
    if (id !== undefined) return id;
    if (this.unkId >= 0) return this.unkId;
    throw new IntrnnError('ERR_UNKNOWN_TOKEN', 'input', `'${token}' is not in the vocabulary`);
  }

  token(id: number): string {
    const t = this.tokens[id];
    if (t === undefined) throw new IntrnnError('ERR_UNKNOWN_TOKEN', 'input', `id ${id} is outside the vocabulary (size ${this.size})`);
    return t;
  }

  encode(tokens: readonly string[]): Int32Array {
    return Int32Array.from(tokens, (t) => this.id(t));
  }
}

/** Count tokens. */
export function countTokens(tokens: Iterable<string>): Map<string, number> {
  const counts = new Map<string, number>();
  for (const t of tokens) counts.set(t, (counts.get(t) ?? 0) + 1);
  return counts;
}

/**
 * Tokens by descending count (ties in first-seen order, which Map keeps), keeping those seen
 * more than `minCountExclusive` times, or the `topK` most frequent when given.
 */
export function frequentTokens(counts: Map<string, number>, opts: { minCountExclusive?: number; topK?: number }): string[] {
  const sorted = [...counts.entries()].sort((a, b) => b[1] - a[1]);
  if (opts.topK !== undefined) return sorted.slice(0, opts.topK).map(([t]) => t);
  const min = opts.minCountExclusive ?? 0;
  return sorted.filter(([, c]) => c > min).map(([t]) => t);
}
