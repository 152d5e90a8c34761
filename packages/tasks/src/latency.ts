import { IntrnnError, modelKind, type ModelMetadata, type Tensor } from '@intrnn/format';
import { G2pCodec, TaggerCodec } from '@intrnn/runtime-core';
import type { Engine } from './engines.js';
import { carryLmState, zeroLmState } from './evaluate.js';

/** Per-token latency of an engine on a model: the median over calls, in microseconds per token. */
export interface Latency {
  usPerToken: number;
  tokensPerSecond: number;
  calls: number;
}

export function median(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

const int64 = (ids: number[]): Tensor => ({ type: 'int64', dims: [1, ids.length], data: BigInt64Array.from(ids, BigInt) });

/**
 * One timed call at a time of an engine, as a user runs it at batch 1: a language model one token
 * per call with its state carried (streaming); a tagger one 20-word sentence per call (time per
 * word); G2P one decoder step per call (time per output phoneme). `ids` are the token, word or
 * letter ids to use. Several steppers can be interleaved call by call, so that a noisy machine
 * slows every engine alike.
 */
export function latencyStepper(engine: Engine, m: ModelMetadata, ids: readonly number[]): { step(): Promise<number> } {
  if (ids.length === 0) throw new IntrnnError('ERR_SHAPE', 'ids', 'is empty');
  let i = 0;
  const time = async (feeds: Record<string, Tensor>, units: number) => {
    const t0 = performance.now();
    const out = await engine.run(feeds);
    return { us: ((performance.now() - t0) * 1000) / units, out };
  };
  const kind = modelKind(m);
  if (kind === 'language-model') {
    const state = zeroLmState(m, engine.inputs);
    return {
      async step() {
        const { us, out } = await time({ tokens: int64([ids[i++ % ids.length]]), ...state }, 1);
        carryLmState(state, out);
        return us;
      },
    };
  }
  if (kind === 'tagger') {
    // a 20-word sentence of the given ids' words, with their spelling features when the model has them
    const codec = new TaggerCodec(m);
    const feeds = codec.feeds(ids.slice(0, 20).map((id) => codec.vocabulary[id % codec.vocabulary.length]));
    return { step: async () => (await time(feeds, feeds.tokens.dims[1] as number)).us };
  }
  const codec = new G2pCodec(m);
  const letters = ids.slice(0, 8);
  const prefix = [3, 4, 5, 6, 7].filter((p) => p < codec.phonemes.length);
  return { step: async () => (await time(codec.feeds(letters, prefix.slice(0, i++ % (prefix.length + 1))), 1)).us };
}

/** Warm-up calls before timing: the first calls run unoptimized JavaScript around the kernels. */
export const warmupCalls = (calls: number) => Math.min(50, Math.ceil(calls / 4));

/** The median latency of one engine over `calls` timed calls after the warm-up. */
export async function measureLatency(engine: Engine, m: ModelMetadata, ids: readonly number[], calls = 100): Promise<Latency> {
  const stepper = latencyStepper(engine, m, ids);
  const times: number[] = [];
  for (let i = 0; i < calls + warmupCalls(calls); i++) {
    const us = await stepper.step();
    if (i >= warmupCalls(calls)) times.push(us);
  }
  const us = median(times);
  return { usPerToken: us, tokensPerSecond: 1e6 / us, calls };
}
