import { createHash } from 'node:crypto';
import { IntrnnError, type ModelMetadata, type Tensor } from '@intrnn/format';
import { loadBrownLm, loadBrownPos, loadCmudictG2p, scoreG2p } from '@intrnn/qat';
import { argmax, G2pCodec, logSumExp } from '@intrnn/runtime-core';
import type { Engine } from './engines.js';

/** A language model's zero initial states as feeds, integer (int8 h, int16 c) or float32 by the file. */
export function zeroLmState(m: ModelMetadata): Record<string, Tensor> {
  const integer = m.numerics === 'integer';
  const state: Record<string, Tensor> = {};
  for (const l of m.layers) {
    const H = l.hiddenSize;
    state[`${l.node}.initial_h`] = integer ? { type: 'int8', dims: [1, H], data: new Int8Array(H) } : { type: 'float32', dims: [1, H], data: new Float32Array(H) };
    state[`${l.node}.initial_c`] = integer ? { type: 'int16', dims: [1, H], data: new Int16Array(H) } : { type: 'float32', dims: [1, H], data: new Float32Array(H) };
  }
  return state;
}

/** Progress of an evaluation: units done of total. */
export type EvalProgress = (p: { done: number; total: number; unit: string }) => void;

/** What `intrnn eval` reports. */
export interface EvalResult {
  task: ModelMetadata['task'];
  split: 'valid' | 'test';
  engine: string;
  numerics: ModelMetadata['numerics'];
  metric: string;
  value: number;
  tokens: number;
  /** sha256 over every output tensor of every run, in run order and sorted output-name order. */
  outputsSha256: string;
  /** G2P: phoneme and word error rates with and without stress. */
  scores?: { per: number; wer: number; perNoStress: number; werNoStress: number; words: number };
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

async function evalLm(engine: Engine, m: ModelMetadata, split: 'valid' | 'test', limit: number, onProgress?: EvalProgress) {
  const V = m.vocabularies.input.length;
  const data = loadBrownLm({ vocabSize: V });
  const same = data.vocab.tokens.length === V && data.vocab.tokens.every((t, i) => t === m.vocabularies.input[i]);
  if (!same) throw new IntrnnError('ERR_MODEL_INCONSISTENT', 'metadata.vocabularies.input', 'differs from the Brown vocabulary of the same size: the model was not trained on this data');
  const ids = split === 'valid' ? data.valid : data.test;
  const total = Math.min(ids.length - 1, limit > 0 ? limit : Infinity);
  const scale = m.numerics === 'integer' ? m.scales.logits : 1;
  const state = zeroLmState(m);
  const hash = new OutputHash();
  let nll = 0;
  for (let start = 0; start < total; start += CHUNK) {
    const n = Math.min(CHUNK, total - start);
    const out = await engine.run({ tokens: { type: 'int64', dims: [1, n], data: BigInt64Array.from(ids.subarray(start, start + n), BigInt) }, ...state });
    hash.add(out);
    const logits = out.logits.data as Int32Array | Float32Array;
    for (let t = 0; t < n; t++) nll += logSumExp(logits, scale, t * V, V) - scale * logits[t * V + ids[start + t + 1]];
    for (const l of m.layers) {
      state[`${l.node}.initial_h`] = out[`${l.node}.final_h`];
      state[`${l.node}.initial_c`] = out[`${l.node}.final_c`];
    }
    onProgress?.({ done: start + n, total, unit: 'tokens' });
  }
  return { metric: 'perplexity', value: Math.exp(nll / total), tokens: total, outputsSha256: hash.digest() };
}

async function evalPos(engine: Engine, m: ModelMetadata, split: 'valid' | 'test', limit: number, onProgress?: EvalProgress) {
  const data = loadBrownPos();
  const sentences = (split === 'valid' ? data.valid : data.test).slice(0, limit > 0 ? limit : undefined);
  const words = new Map(m.vocabularies.input.map((w, i) => [w, i]));
  const unk = words.get(m.vocabularies.unknown) ?? 0;
  const tags = m.vocabularies.output ?? [];
  const tagIds = new Map(tags.map((t, i) => [t, i]));
  const hash = new OutputHash();
  let correct = 0;
  let tokens = 0;
  for (const [i, s] of sentences.entries()) {
    const ids = s.words.map((w) => words.get(w) ?? unk);
    const out = await engine.run({ tokens: { type: 'int64', dims: [1, ids.length], data: BigInt64Array.from(ids, BigInt) } });
    hash.add(out);
    const logits = out.logits.data as Int32Array | Float32Array;
    s.tags.forEach((tag, t) => {
      if (argmax(logits, t * tags.length, tags.length) === tagIds.get(tag)) correct++;
    });
    tokens += ids.length;
    if (i % 50 === 0 || i === sentences.length - 1) onProgress?.({ done: i + 1, total: sentences.length, unit: 'sentences' });
  }
  return { metric: 'accuracy', value: correct / tokens, tokens, outputsSha256: hash.digest() };
}

async function evalG2p(engine: Engine, m: ModelMetadata, split: 'valid' | 'test', limit: number, beam: number, onProgress?: EvalProgress) {
  const data = loadCmudictG2p();
  const references = new Map<string, string[][]>();
  for (const e of split === 'valid' ? data.valid : data.test) {
    if (limit > 0 && !references.has(e.word) && references.size >= limit) continue;
    references.set(e.word, [...(references.get(e.word) ?? []), e.phones]);
  }
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
    predicted.set(word, search.results()[0].ids.map((id) => t.phonemes[id]));
    if (++i % 50 === 0 || i === references.size) onProgress?.({ done: i, total: references.size, unit: 'words' });
  }
  const s = scoreG2p(predicted, references);
  return { metric: 'per', value: s.per, tokens: s.words, outputsSha256: hash.digest(), scores: s };
}

/** Evaluate a model file on a split with an engine: the task metric and the outputs' hash. */
export async function evaluateModel(engine: Engine, m: ModelMetadata, split: 'valid' | 'test', limit: number, onProgress?: EvalProgress, beam = 1): Promise<EvalResult> {
  const started = performance.now();
  let r;
  if (m.task === 'lm-brown') r = await evalLm(engine, m, split, limit, onProgress);
  else if (m.task === 'pos-brown') r = await evalPos(engine, m, split, limit, onProgress);
  else r = await evalG2p(engine, m, split, limit, beam, onProgress);
  return { task: m.task, split, engine: engine.name, numerics: m.numerics, ...r, seconds: (performance.now() - started) / 1000 };
}
