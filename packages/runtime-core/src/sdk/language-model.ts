import { IntrnnError, stateNames, type Tensor } from '@intrnn/format';
import type { IntrnnModel } from '../executor/model.js';
import { requireKind, requireRows, requireValues } from './kind.js';
import { tokenizeText } from './tokenize.js';
import { argmax, logSumExp, Sampler, softmax, type Seed } from './logits.js';

/** Most tokens one {@link LanguageModel.generate} call produces. */
export const MAX_GENERATED_TOKENS = 100_000;

/** The recurrent state of a {@link LanguageModel} stream: each layer's h (int8) and c (int16). */
export interface LmStreamState {
  /** Each layer's int8 hidden state. */
  h: Int8Array[];
  /** Each layer's int16 cell state: empty for a GRU layer, which has none. */
  c: Int16Array[];
}

/** Options of {@link LanguageModel.generate}. */
export interface GenerateOptions {
  /** How many tokens to produce. */
  tokens: number;
  /** Softmax temperature; 0 picks the most likely token every time. Default 1. */
  temperature?: number;
  /** Seed of the sampler (xoroshiro128+): a safe integer or a string; equal seeds give equal text. Default 1. */
  seed?: Seed;
  /** Called with each token as it is produced (streaming). */
  onToken?: (token: string) => void;
}

/**
 * A word-level language model over an intrnn integer model of kind `language-model` (trained on any
 * corpus): streaming, with the state carried step by step. Words outside the vocabulary map to its
 * unknown token.
 */
export class LanguageModel {
  /** Vocabulary: position = token id. */
  readonly vocabulary: readonly string[];
  private readonly ids: Map<string, number>;
  private readonly unkId: number;
  /** The recurrent layers; `lstm`: the layer carries a cell state c besides h (a GRU's state is h alone). */
  private readonly layers: { name: string; hidden: number; lstm: boolean; state: ReturnType<typeof stateNames> }[];
  private readonly scale: number;

  /** Free the model's kernel memory now ({@link IntrnnModel.dispose}); later calls are refused. */
  dispose(): void {
    this.model.dispose();
  }

  constructor(readonly model: IntrnnModel) {
    const m = model.metadata;
    requireKind(m, 'language-model');
    this.vocabulary = m.vocabularies.input;
    requireRows(model.lookupRows('tokens'), this.vocabulary.length, 'the embedding read by input tokens', 'metadata.vocabularies.input');
    requireRows(model.denseRows('logits'), this.vocabulary.length, 'the output layer of logits', 'metadata.vocabularies.input');
    this.ids = new Map(this.vocabulary.map((w, i) => [w, i]));
    this.unkId = this.ids.get(m.vocabularies.unknown) ?? -1;
    this.layers = m.layers.map((l) => ({ name: l.node, hidden: l.hiddenSize, lstm: l.cell !== 'gru', state: stateNames(l.node) }));
    const inputs: Record<string, Tensor['type']> = { tokens: 'int64' };
    const outputs: Record<string, Tensor['type']> = { logits: 'int32' };
    for (const { state, lstm } of this.layers) {
      Object.assign(inputs, { [state.h0]: 'int8' }, lstm ? { [state.c0]: 'int16' } : {});
      Object.assign(outputs, { [state.hT]: 'int8' }, lstm ? { [state.cT]: 'int16' } : {});
    }
    requireValues(model, inputs, outputs);
    this.scale = m.scales.logits;
  }

  /** Tokens of a text as the training corpus was tokenized (punctuation apart: {@link tokenizeText}). */
  tokenize(text: string): string[] {
    if (typeof text !== 'string') throw new IntrnnError('ERR_TOKEN', 'text', 'must be a string');
    return tokenizeText(text, (w) => this.ids.has(w));
  }

  /** Token ids of a text tokenized as the training corpus was (punctuation apart: {@link tokenizeText}); unknown words become the unknown token. */
  encode(text: string): number[] {
    return this.tokenize(text).map((w) => {
      const id = this.ids.get(w) ?? this.unkId;
      if (id < 0) throw new IntrnnError('ERR_TOKEN', `word '${w}'`, 'is not in the vocabulary and the model has no unknown token');
      return id;
    });
  }

  /** A fresh (all-zero) state. */
  initialState(): LmStreamState {
    return { h: this.layers.map((l) => new Int8Array(l.hidden)), c: this.layers.map((l) => new Int16Array(l.lstm ? l.hidden : 0)) };
  }

  /**
   * Run token ids through the model from a state. Returns the int32 logits [ids.length, V] and the
   * state after the last token (the input state is not modified).
   */
  forward(ids: readonly number[], state: LmStreamState = this.initialState()): { logits: Int32Array; state: LmStreamState } {
    if (ids.length === 0) throw new IntrnnError('ERR_SHAPE', 'ids', 'is empty: give at least one token');
    const V = this.vocabulary.length;
    ids.forEach((id, i) => {
      if (!(Number.isInteger(id) && id >= 0 && id < V)) throw new IntrnnError('ERR_TOKEN', `ids[${i}]`, `${id} is not a token id in [0, ${V})`);
    });
    const feeds: Record<string, Tensor> = { tokens: { type: 'int64', dims: [1, ids.length], data: BigInt64Array.from(ids, BigInt) } };
    this.layers.forEach((l, i) => {
      feeds[l.state.h0] = { type: 'int8', dims: [1, l.hidden], data: state.h[i] };
      if (l.lstm) feeds[l.state.c0] = { type: 'int16', dims: [1, l.hidden], data: state.c[i] };
    });
    const out = this.model.run(feeds);
    return {
      logits: out.logits.data as Int32Array,
      state: { h: this.layers.map((l) => out[l.state.hT].data as Int8Array), c: this.layers.map((l) => (l.lstm ? (out[l.state.cT].data as Int16Array) : new Int16Array(0))) },
    };
  }

  /** Probability of every next token after `ids` (float64 softmax of the int32 logits at the model's logit scale). */
  nextTokenDistribution(ids: readonly number[], state?: LmStreamState): Float64Array {
    const { logits } = this.forward(ids, state);
    const V = this.vocabulary.length;
    return softmax(logits.subarray(logits.length - V), this.scale);
  }

  /** Perplexity of a text (or ids): each token predicted from the ones before it. */
  score(text: string | readonly number[]): { perplexity: number; tokens: number } {
    if (typeof text !== 'string' && !Array.isArray(text)) throw new IntrnnError('ERR_TOKEN', 'text', 'must be a string or an array of token ids');
    const ids = typeof text === 'string' ? this.encode(text) : text;
    if (ids.length < 2) throw new IntrnnError('ERR_SHAPE', 'text', 'needs at least two tokens to score');
    const V = this.vocabulary.length;
    // the last id is only predicted, never fed: check it here (forward checks the others)
    const last = ids[ids.length - 1];
    if (!(Number.isInteger(last) && last >= 0 && last < V)) throw new IntrnnError('ERR_TOKEN', `ids[${ids.length - 1}]`, `${last} is not a token id in [0, ${V})`);
    const { logits } = this.forward(ids.slice(0, -1));
    let nll = 0;
    for (let t = 0; t + 1 < ids.length; t++) nll += logSumExp(logits, this.scale, t * V, V) - this.scale * logits[t * V + ids[t + 1]];
    return { perplexity: Math.exp(nll / (ids.length - 1)), tokens: ids.length - 1 };
  }

  /** Continue a prompt by sampling (seeded) or, at temperature 0, by the most likely token. */
  generate(prompt: string, options: GenerateOptions): string[] {
    const { tokens, temperature = 1, seed = 1, onToken } = options;
    if (!(Number.isInteger(tokens) && tokens >= 0 && tokens <= MAX_GENERATED_TOKENS)) throw new IntrnnError('ERR_OPTION', 'tokens', `${tokens} is not an integer in [0, ${MAX_GENERATED_TOKENS}]`);
    if (!(temperature >= 0 && Number.isFinite(temperature))) throw new IntrnnError('ERR_OPTION', 'temperature', `${temperature} is not a finite number ≥ 0`);
    const ids = this.encode(prompt);
    if (ids.length === 0) throw new IntrnnError('ERR_SHAPE', 'prompt', 'is empty: give at least one word');
    const sampler = new Sampler(seed);
    const V = this.vocabulary.length;
    let { logits, state } = this.forward(ids);
    const out: string[] = [];
    for (let n = 0; n < tokens; n++) {
      const last = logits.subarray(logits.length - V);
      // a temperature so small that scale / temperature overflows is greedy decoding, as 0 is
      const greedy = temperature === 0 || !Number.isFinite(this.scale / temperature);
      const id = greedy ? argmax(last) : sampler.draw(softmax(last, this.scale, temperature));
      out.push(this.vocabulary[id]);
      onToken?.(this.vocabulary[id]);
      if (n + 1 < tokens) ({ logits, state } = this.forward([id], state));
    }
    return out;
  }
}
