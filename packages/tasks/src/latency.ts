import { IntrnnError, modelKind, type ModelMetadata, type Tensor } from '@intrnn/format';
import { G2pCodec, TaggerCodec } from '@intrnn/runtime-core';
import type { Engine } from './engines.js';
import { carryLmState, zeroLmState } from './lm-state.js';

// the browser benchmark page imports the state helpers through this subpath too
export { carryLmState, zeroLmState };

/** What latency code needs of an engine (engines.ts opens them in Node; the browser page opens its own). */
export type SteppableEngine = Pick<Engine, 'inputs' | 'run'>;

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
export function latencyStepper(engine: SteppableEngine, m: ModelMetadata, ids: readonly number[]): { step(): Promise<number> } {
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

/**
 * Warm an engine up before timing it: 1,000 calls or 2 seconds, whichever comes first. The first
 * calls are slow for reasons a long-running user never sees: JavaScript and WebAssembly start in
 * their baseline tiers (V8 moves a wasm kernel to its optimizing compiler after ~1,000 small-LM
 * calls), and fresh weight buffers fault their pages in on first touch.
 */
export async function warmUp(stepper: { step(): Promise<number> }, maxCalls = 1000, maxMs = 2000): Promise<number> {
  const t0 = performance.now();
  let n = 0;
  while (n < maxCalls && performance.now() - t0 < maxMs) {
    await stepper.step();
    n++;
  }
  return n;
}

/** The median latency of one engine over `calls` timed calls after the warm-up. */
export async function measureLatency(engine: SteppableEngine, m: ModelMetadata, ids: readonly number[], calls = 100): Promise<Latency> {
  const stepper = latencyStepper(engine, m, ids);
  await warmUp(stepper);
  const times: number[] = [];
  for (let i = 0; i < calls; i++) times.push(await stepper.step());
  const us = median(times);
  return { usPerToken: us, tokensPerSecond: 1e6 / us, calls };
}

/** One engine's stepper in an interleaved run, and how many timed calls it gets. */
export interface TimedStepper {
  name: string;
  stepper: { step(): Promise<number> };
  calls: number;
}

/**
 * Time several steppers side by side: each warmed up ({@link warmUp}), then taking turns in blocks of
 * `block` calls. Within a block an engine runs as a streaming user's would, its weights warm in cache;
 * the first call of each block (after another engine ran) is not timed. block = 1 alternates every
 * call: each engine then finds the others' data in the caches. `warm` overrides the warm-up budget
 * (a browser tiers WebAssembly up later than Node). Returns each one's median µs per unit.
 */
export async function timeInterleaved(steppers: readonly TimedStepper[], block: number, warm: { calls?: number; ms?: number } = {}): Promise<Record<string, number>> {
  for (const o of steppers) await warmUp(o.stepper, warm.calls, warm.ms);
  const times = steppers.map(() => [] as number[]);
  let left = steppers.length;
  while (left > 0) {
    left = 0;
    for (const [i, o] of steppers.entries()) {
      if (times[i].length >= o.calls) continue;
      if (block > 1) await o.stepper.step();
      for (let k = 0; k < block && times[i].length < o.calls; k++) times[i].push(await o.stepper.step());
      if (times[i].length < o.calls) left++;
    }
  }
  return Object.fromEntries(steppers.map((o, i) => [o.name, median(times[i])]));
}
