import { createHash } from 'node:crypto';
import { IntrnnError, modelKind, type ModelMetadata, type Tensor } from '@intrnn/format';
import { argmax, G2pCodec, logSumExp, TaggerCodec } from '@intrnn/runtime-core';
import type { Engine } from './engines.js';
import { carryLmState, zeroLmState } from './lm-state.js';
import { taskEntry, type LanguageModelData, type Split, type TaggerData, type TransducerData } from './registry.js';

/** Progress of an evaluation: units done of total. */
export type EvalProgress = (p: { done: number; total: number; unit: string }) => void;

/** What `intrnn eval` reports. */
export interface EvalResult {
  task: string;
  split: Split;
  engine: string;
  numerics: ModelMetadata['numerics'];
  metric: string;
  value: number;
  tokens: number;
  /** sha256 over every output tensor of every run, in run order and sorted output-name order. */
  outputsSha256: string;
  /** G2P: phoneme and word error rates with and without stress. */
  scores?: { per: number; wer: number; perNoStress: number; werNoStress: number; words: number };
  /** Tagger: accuracy on the tokens outside the model's word vocabulary. */
  oov?: { accuracy: number; tokens: number };
  seconds: number;
}

/** Feeds every run's outputs into one sha256, so two engines' outputs can be compared exactly. */
class OutputHash {
  private readonly hash = createHash('sha256');

  add(outputs: Record<string, Tensor>): void {
    for (const name of Object.keys(outputs).sort()) {
      const d = outputs[name].data;
      this.hash.update(name);
      this.hash.update(new Uint8Array(d.buffer, d.byteOffset, d.byteLength));
    }
  }

  digest(): string {
    return this.hash.digest('hex');
  }
}

const CHUNK = 128;

async function evalLm(engine: Engine, m: ModelMetadata, data: LanguageModelData, split: Split, limit: number, onProgress?: EvalProgress) {
  const V = m.vocabularies.input.length;
  const ids = data.tokens(split, m.vocabularies.input);
  const total = Math.min(ids.length - 1, limit > 0 ? limit : Infinity);
  const scale = m.numerics === 'integer' ? m.scales.logits : 1;
  const state = zeroLmState(m, engine.inputs);
  const hash = new OutputHash();
  let nll = 0;
  for (let start = 0; start < total; start += CHUNK) {
    const n = Math.min(CHUNK, total - start);
    const out = await engine.run({ tokens: { type: 'int64', dims: [1, n], data: BigInt64Array.from(ids.subarray(start, start + n), BigInt) }, ...state });
    hash.add(out);
    const logits = out.logits.data as Int32Array | Float32Array;
    for (let t = 0; t < n; t++) nll += logSumExp(logits, scale, t * V, V) - scale * logits[t * V + ids[start + t + 1]];
    carryLmState(state, out);
    onProgress?.({ done: start + n, total, unit: 'tokens' });
  }
  return { metric: 'perplexity', value: Math.exp(nll / total), tokens: total, outputsSha256: hash.digest() };
}

async function evalTagger(engine: Engine, m: ModelMetadata, data: TaggerData, split: Split, limit: number, onProgress?: EvalProgress) {
  const sentences = data.sentences(split).slice(0, limit > 0 ? limit : undefined);
  const codec = new TaggerCodec(m);
  const tagIds = new Map(codec.tags.map((t, i) => [t, i]));
  const N = codec.tags.length;
  const hash = new OutputHash();
  let correct = 0;
  let tokens = 0;
  let oov = 0;
  let oovCorrect = 0;
  for (const [i, s] of sentences.entries()) {
    const out = await engine.run(codec.feeds(s.words));
    hash.add(out);
    const logits = out.logits.data as Int32Array | Float32Array;
    s.tags.forEach((tag, t) => {
      const hit = argmax(logits, t * N, N) === tagIds.get(tag) ? 1 : 0;
      correct += hit;
      if (!codec.known(s.words[t])) {
        oov++;
        oovCorrect += hit;
      }
    });
    tokens += s.words.length;
    if (i % 50 === 0 || i === sentences.length - 1) onProgress?.({ done: i + 1, total: sentences.length, unit: 'sentences' });
  }
  return { metric: 'accuracy', value: correct / tokens, tokens, outputsSha256: hash.digest(), oov: { accuracy: oov > 0 ? oovCorrect / oov : NaN, tokens: oov } };
}

async function evalTransducer(engine: Engine, m: ModelMetadata, data: TransducerData, split: Split, limit: number, beam: number, onProgress?: EvalProgress) {
  const references = data.references(split, limit);
  // the SDK's encoding and beam search, with the engine computing the logits (ONNX Runtime too)
  const t = new G2pCodec(m);
  const P = t.phonemes.length;
  const hash = new OutputHash();
  const predicted = new Map<string, string[]>();
  let i = 0;
  for (const word of references.keys()) {
    const letters = t.encode(word);
    const search = t.search(letters, { beam });
    while (!search.finished) {
      const rows: ArrayLike<number>[] = [];
      for (const prefix of search.pending()) {
        const out = await engine.run(t.feeds(letters, prefix));
        hash.add(out);
        const logits = out.logits.data as Int32Array | Float32Array;
        rows.push(logits.subarray(logits.length - P));
      }
      search.advance(rows);
    }
    predicted.set(
      word,
      search.results()[0].ids.map((id) => t.phonemes[id]),
    );
    if (++i % 50 === 0 || i === references.size) onProgress?.({ done: i, total: references.size, unit: 'words' });
  }
  const s = data.score(predicted, references);
  return { metric: 'per', value: s.per, tokens: s.words, outputsSha256: hash.digest(), scores: s };
}

/** Evaluate a model file on a split of its task's data with an engine: the task metric and the outputs' hash. */
export async function evaluateModel(engine: Engine, m: ModelMetadata, split: Split, limit: number, onProgress?: EvalProgress, beam = 1): Promise<EvalResult> {
  const started = performance.now();
  const data = taskEntry(m.task, 'metadata.task').data;
  const kind = modelKind(m);
  if (data.kind !== kind) throw new IntrnnError('ERR_MODEL_METADATA', 'metadata.kind', `is ${kind}, but task ${m.task} is a ${data.kind} task`);
  const r =
    data.kind === 'language-model'
      ? await evalLm(engine, m, data, split, limit, onProgress)
      : data.kind === 'tagger'
        ? await evalTagger(engine, m, data, split, limit, onProgress)
        : await evalTransducer(engine, m, data, split, limit, beam, onProgress);
  return { task: m.task, split, engine: engine.name, numerics: m.numerics, ...r, seconds: (performance.now() - started) / 1000 };
}
