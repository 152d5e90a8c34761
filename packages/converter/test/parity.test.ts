import * as ort from 'onnxruntime-node';
import { decodeModel, toNumber } from '@intrnn/format';
import { featureInputs, LanguageModel, loadModel, type Tensor } from '@intrnn/runtime-core';
import { BiLstmTagger, G2pModel, LstmLanguageModel, tf, useWasmBackend } from '@intrnn/qat';
import { loadAddon, registerNativeKernels } from '@intrnn/runtime-native';
import {
  buildFloatModel,
  buildG2pModel,
  buildIntegerModel,
  buildPeerLanguageModel,
  dequantizeLanguageModel,
  floatLanguageModelSpec,
  floatTaggerSpec,
  g2pSpec,
  languageModelSpec,
  taggerSpec,
} from '../src/index.js';

// The native kernels join the comparison wherever the addon is built (npm test builds it where cargo exists).
const native = registerNativeKernels();
const addon = loadAddon().addon;
/** Instruction paths of the native addon this CPU runs (0 scalar, 1 AVX2, 2 AVX-512 VNNI). */
const nativePaths = addon
  ? [0, 1, 2].filter((p) => {
      try {
        addon.forcePath(p);
        return true;
      } catch {
        return false;
      }
    })
  : [];
afterAll(() => addon?.forcePath(-1));

/** Run the model on every native path; each must equal `want` exactly. */
function expectNative(bytes: Uint8Array, feeds: Record<string, Tensor>, want: Record<string, Tensor>): void {
  if (!native.ok) return;
  for (const p of nativePaths) {
    addon!.forcePath(p);
    const model = loadModel(bytes, { backends: ['native', 'reference'] }); // Gather and Concat are reference-only
    expect(Object.values(model.backends).filter((b) => b === 'native').length).toBeGreaterThanOrEqual(2);
    const got = model.run(feeds);
    for (const name of Object.keys(want)) expect([p, name, diffCount(got[name].data, want[name].data)]).toEqual([p, name, 0]);
  }
}

const source = { producer: 'test', preset: 'random', checkpointStep: 0, dataFingerprint: 'none' };
const words = (n: number) => Array.from({ length: n }, (_, i) => `w${i}`);

beforeAll(async () => {
  await useWasmBackend();
});

function ortFeeds(feeds: Record<string, Tensor>): Record<string, ort.Tensor> {
  return Object.fromEntries(Object.entries(feeds).map(([k, t]) => [k, new ort.Tensor(t.type, t.data, t.dims)]));
}

async function runOrt(bytes: Uint8Array, feeds: Record<string, Tensor>): Promise<Record<string, ort.Tensor>> {
  const session = await ort.InferenceSession.create(bytes, { logSeverityLevel: 3, intraOpNumThreads: 1 });
  try {
    return await session.run(ortFeeds(feeds));
  } finally {
    await session.release();
  }
}

function tokens(rows: number[][]): Tensor {
  return { type: 'int64', dims: [rows.length, rows[0].length], data: BigInt64Array.from(rows.flat().map(BigInt)) };
}

/** Zero initial states of L stacked LSTM layers for a batch of B rows. */
function zeroLstmStates(L: number, B: number, H: number): Record<string, Tensor> {
  const feeds: Record<string, Tensor> = {};
  for (let l = 0; l < L; l++) {
    feeds[`lstm${l}.initial_h`] = { type: 'int8', dims: [B, H], data: new Int8Array(B * H) };
    feeds[`lstm${l}.initial_c`] = { type: 'int16', dims: [B, H], data: new Int16Array(B * H) };
  }
  return feeds;
}

function diffCount(a: ArrayLike<number | bigint>, b: ArrayLike<number | bigint>): number {
  if (a.length !== b.length) return Math.max(a.length, b.length);
  let n = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) n++;
  return n;
}

describe('one ONNX file: QAT forward = runtime-core (reference, core) = runtime-native (every path) = ONNX Runtime', () => {
  test.each([
    [40, 8, 12, 2, 3, 0, 8],
    [64, 16, 24, 1, 5, 0, 8],
    [50, 16, 16, 2, 6, 1, 8],
    [40, 9, 13, 2, 3, 0, 4],
    [50, 16, 16, 2, 6, 1, 4],
  ])('language model V=%i E=%i H=%i layers=%i (seed %i, tied %i, %i-bit weights): int32 logits and final states identical', async (V, E, H, L, seed, tied, weightBits) => {
    const model = new LstmLanguageModel({ vocabSize: V, embedSize: E, hiddenSize: H, layers: L, seed, tied, ...(weightBits === 4 ? { weightBits } : {}) });
    const ids = tf.randomUniformInt([2, 11], 0, V, seed) as tf.Tensor2D;
    model.calibrate([ids]);
    const rows = ids.arraySync() as number[][];
    const k = model.qatConstants();
    const qat = tf.tidy(() => model.forwardQat(ids, k).logitsInt.dataSync().slice() as Float32Array);
    model.disposeQatConstants(k);
    const { bytes } = buildIntegerModel(languageModelSpec(model, words(V), { unknown: 'w0', sentenceEnd: 'w1' }, source));
    // tied: the output layer reads the embedding tensor itself, stored once
    const proto = decodeModel(bytes);
    const inits = proto.graph!.initializer!.map((t) => t.name);
    expect(inits.includes('output.W')).toBe(!tied);
    // int4: the recurrent weights stored as ONNX INT4 (22) in op set 3, the rest as before
    const types = Object.fromEntries(proto.graph!.initializer!.map((t) => [t.name, t.dataType]));
    for (let l = 0; l < L; l++) expect([types[`lstm${l}.W`], types[`lstm${l}.R`]]).toEqual(weightBits === 4 ? [22, 22] : [3, 3]);
    // untied int4: the embedding at one scale and the output rows requantized to one logit scale (§6b); tied: the one matrix int8
    const ends = weightBits === 4 && !tied;
    expect([types.embedding, types['output.W'], types['output.multipliers']]).toEqual(ends ? [22, 22, 6] : [3, tied ? undefined : 3, undefined]);
    expect(toNumber(proto.opsetImport!.find((o) => o.domain === 'ai.intrnn')!.version)).toBe(weightBits === 4 ? 3 : 1);
    const feeds: Record<string, Tensor> = { tokens: tokens(rows) };
    Object.assign(feeds, zeroLstmStates(L, 2, H));
    const ref = loadModel(bytes, { backend: 'reference' }).run(feeds);
    const core = loadModel(bytes, { backends: ['core', 'reference'] }).run(feeds);
    expectNative(bytes, feeds, ref);
    const fromOrt = await runOrt(bytes, feeds);
    expect(ref.logits.dims).toEqual([2, 11, V]);
    expect(diffCount(ref.logits.data as Int32Array, Int32Array.from(qat))).toBe(0);
    for (const name of Object.keys(ref)) {
      expect([name, diffCount(core[name].data, ref[name].data)]).toEqual([name, 0]);
      expect([name, diffCount(fromOrt[name].data as Int32Array, ref[name].data)]).toEqual([name, 0]);
    }
    model.dispose();
    ids.dispose();
  });

  test.each([
    ['untied', 0],
    ['tied', 1],
  ])('int4 embedding and output layer written by hand (%s, one scale): Cast folded at load, every engine the same logits', async (_, tied) => {
    const [V, E, H, L] = [37, 16, 16, 2];
    const model = new LstmLanguageModel({ vocabSize: V, embedSize: E, hiddenSize: H, layers: L, seed: 9, tied });
    const ids = tf.randomUniformInt([2, 9], 0, V, 9) as tf.Tensor2D;
    model.calibrate([ids]);
    const spec = languageModelSpec(model, words(V), { unknown: 'w0', sentenceEnd: 'w1' }, source);
    // int4 values: the int8 ones scaled down (a file-format case: its logits are compared across engines, not with QAT)
    const to4 = (a: Int8Array) => Int8Array.from(a, (v) => Math.max(-8, Math.min(7, Math.round(v / 16))));
    spec.embedding = { ...spec.embedding, data: to4(spec.embedding.data), bits: 4 };
    spec.output = { ...spec.output, weights: tied ? spec.embedding.data : to4(spec.output.weights), bits: 4 };
    const { bytes } = buildIntegerModel(spec);
    const proto = decodeModel(bytes);
    const types = Object.fromEntries(proto.graph!.initializer!.map((t) => [t.name, t.dataType]));
    expect(types.embedding).toBe(22);
    expect(tied ? types['output.W'] : types['output.W']).toBe(tied ? undefined : 22);
    expect(proto.graph!.node!.filter((n) => n.opType === 'Cast').map((n) => n.input![0])).toEqual(['embedding']);
    const feeds: Record<string, Tensor> = { tokens: tokens(ids.arraySync() as number[][]) };
    Object.assign(feeds, zeroLstmStates(L, 2, H));
    const ref = loadModel(bytes, { backend: 'reference' }).run(feeds);
    const core = loadModel(bytes, { backends: ['core', 'reference'] }).run(feeds);
    expectNative(bytes, feeds, ref);
    const fromOrt = await runOrt(bytes, feeds);
    for (const name of Object.keys(ref)) {
      expect([name, diffCount(core[name].data, ref[name].data)]).toEqual([name, 0]);
      expect([name, diffCount(fromOrt[name].data as Int32Array, ref[name].data)]).toEqual([name, 0]);
    }
    // the SDK reads the vocabulary size through the folded table
    expect(new LanguageModel(loadModel(bytes)).forward([1, 2, 3]).logits.length).toBe(3 * V);
    model.dispose();
    ids.dispose();
  });

  test.each([
    [40, 8, 12, 2, 3, 0, 8],
    [50, 16, 16, 2, 6, 1, 8],
    [30, 9, 33, 1, 8, 0, 8],
    [30, 9, 33, 2, 8, 0, 4],
  ])('GRU language model V=%i E=%i H=%i layers=%i (seed %i, tied %i, %i-bit weights): int32 logits and final states identical, state fed', async (V, E, H, L, seed, tied, weightBits) => {
    const model = new LstmLanguageModel({ vocabSize: V, embedSize: E, hiddenSize: H, layers: L, seed, tied, gru: 1, ...(weightBits === 4 ? { weightBits } : {}) });
    const ids = tf.randomUniformInt([2, 11], 0, V, seed) as tf.Tensor2D;
    model.calibrate([ids]);
    const rows = ids.arraySync() as number[][];
    // a non-zero initial state, so the recurrent products of the first step matter too
    const h0 = Array.from({ length: L }, (_, l) => tf.randomUniformInt([2, H], -128, 128, seed + l).cast('float32'));
    const k = model.qatConstants();
    const init = { h: h0, c: h0.map(() => tf.zeros([2, 0])) };
    const qat: { logits: Float32Array; h: Int8Array[] } = { logits: new Float32Array(0), h: [] };
    tf.tidy(() => {
      const r = model.forwardQat(ids, k, init);
      qat.logits = r.logitsInt.dataSync().slice() as Float32Array;
      qat.h = r.state.h.map((t) => Int8Array.from(t.dataSync()));
    });
    model.disposeQatConstants(k);
    const { bytes, metadata } = buildIntegerModel(languageModelSpec(model, words(V), { unknown: 'w0', sentenceEnd: 'w1' }, source));
    const proto = decodeModel(bytes);
    expect(toNumber(proto.opsetImport!.find((o) => o.domain === 'ai.intrnn')!.version)).toBe(weightBits === 4 ? 3 : 2); // IntGRU came with version 2, int4 weights with 3
    const gruTypes = Object.fromEntries(proto.graph!.initializer!.map((t) => [t.name, t.dataType]));
    for (let l = 0; l < L; l++) expect([gruTypes[`gru${l}.W`], gruTypes[`gru${l}.R`]]).toEqual(weightBits === 4 ? [22, 22] : [3, 3]);
    expect(metadata.opsetVersion).toBe(weightBits === 4 ? 3 : 2);
    expect(proto.functions!.map((f) => f.name)).toEqual(['IntGRU', 'IntDense']);
    expect(metadata.layers.map((l) => l.cell)).toEqual(Array(L).fill('gru'));
    const feeds: Record<string, Tensor> = { tokens: tokens(rows) };
    for (let l = 0; l < L; l++) feeds[`gru${l}.initial_h`] = { type: 'int8', dims: [2, H], data: Int8Array.from(h0[l].dataSync()) };
    const ref = loadModel(bytes, { backend: 'reference' }).run(feeds);
    const core = loadModel(bytes, { backends: ['core', 'reference'] }).run(feeds);
    expectNative(bytes, feeds, ref);
    const fromOrt = await runOrt(bytes, feeds);
    expect(Object.keys(ref).sort()).toEqual(['logits', ...Array.from({ length: L }, (_, l) => `gru${l}.final_h`)].sort());
    for (const name of Object.keys(ref)) expect([name, diffCount(core[name].data, ref[name].data)]).toEqual([name, 0]);
    expect(diffCount(ref.logits.data as Int32Array, Int32Array.from(qat.logits))).toBe(0);
    for (let l = 0; l < L; l++) expect(diffCount(ref[`gru${l}.final_h`].data, qat.h[l])).toBe(0);
    for (const name of Object.keys(ref)) expect([name, diffCount(fromOrt[name].data as Int32Array, ref[name].data)]).toEqual([name, 0]);
    // the SDK streams a GRU model's state (h alone): token by token = all at once
    const lm = new LanguageModel(loadModel(bytes));
    const all = lm.forward(rows[0]);
    let state = lm.initialState();
    const stepwise: number[] = [];
    for (const id of rows[0]) {
      const r = lm.forward([id], state);
      stepwise.push(...r.logits);
      state = r.state;
    }
    expect(state.c.every((c) => c.length === 0)).toBe(true);
    expect(diffCount(Int32Array.from(stepwise), all.logits)).toBe(0);
    // the float32 file (a Scan of the same GRU math in standard ops) = the tfjs float forward; its int8-dynamic form runs
    const f = floatLanguageModelSpec(model, metadata);
    const floatFeeds: Record<string, Tensor> = { tokens: tokens(rows) };
    for (let l = 0; l < L; l++) floatFeeds[`gru${l}.initial_h`] = { type: 'float32', dims: [2, H], data: new Float32Array(2 * H) };
    const floatOut = await runOrt(buildFloatModel(f), floatFeeds);
    const want = tf.tidy(() => model.forwardFloat(ids).logits.dataSync().slice() as Float32Array);
    const got = floatOut.logits.data as Float32Array;
    expect(got.length).toBe(want.length);
    expect(Math.max(...Array.from(got, (v, i) => Math.abs(v - want[i])))).toBeLessThan(1e-4);
    const dyn = await runOrt(buildFloatModel(f, 'int8-dynamic'), floatFeeds);
    expect(dyn.logits.dims).toEqual([2, 11, V]);
    // the peers built from the integer file alone (the standard GRU op): the same next tokens as the integer model
    const lm1 = dequantizeLanguageModel(bytes);
    const argmaxes = (data: ArrayLike<number>) =>
      Array.from({ length: data.length / V }, (_, i) => {
        let best = 0;
        for (let v = 1; v < V; v++) if (data[i * V + v] > data[i * V + best]) best = v;
        return best;
      });
    const intTop = argmaxes(ref.logits.data as Int32Array).slice(0, 11);
    for (const form of ['gru-float32', 'gru-int8-dynamic'] as const) {
      const peerFeeds: Record<string, Tensor> = { tokens: tokens([rows[0]]) };
      for (let l = 0; l < L; l++) peerFeeds[`gru${l}.initial_h`] = { type: 'float32', dims: [1, H], data: Float32Array.from(h0[l].dataSync().slice(0, H), (v) => v * metadata.layers[l].hiddenScale) };
      const peer = await runOrt(buildPeerLanguageModel(lm1, form), peerFeeds);
      const top = argmaxes(peer.logits.data as Float32Array);
      expect([form, top.filter((t, i) => t === intTop[i]).length >= 9]).toEqual([form, true]);
    }
    expect(() => buildPeerLanguageModel(lm1, 'lstm-float32')).toThrow(/is a GRU layer; the lstm-float32 peer is for the other cell/);
    tf.dispose([...h0, ...init.c]);
    model.dispose();
    ids.dispose();
  });

  test.each([
    ['with MadNorm, forward and reverse IntLSTM, without spelling features', 0, 0],
    ['with MadNorm, forward and reverse IntLSTM, with suffix and shape features', 3, 0],
    ['forward and reverse IntGRU, without spelling features', 0, 1],
    ['forward and reverse IntGRU, with suffix and shape features', 3, 1],
  ])('tagger %s: int32 tag logits identical', async (_, suffixes, gru) => {
    const V = 30;
    const H = 12;
    const tagsN = 9;
    const model = new BiLstmTagger({ vocabSize: V, tagCount: tagsN, embedSize: 8, hiddenSize: H, madNorm: gru ? 0 : 1, gru, seed: 4, suffixes, buckets: 16, suffixDim: 3, shapeDim: 2 });
    const ids = { words: tf.randomUniformInt([3, 7], 0, V, 4) as tf.Tensor2D, features: model.features.map((f, i) => tf.randomUniformInt([3, 7], 0, f.variable.shape[0], 20 + i) as tf.Tensor2D) };
    model.calibrate([ids]);
    const k = model.qatConstants();
    const qat = tf.tidy(() => model.forwardQat(ids, k).logitsInt.arraySync() as number[][]);
    model.disposeQatConstants(k);
    const { bytes, metadata } = buildIntegerModel(taggerSpec(model, words(V), words(tagsN), 'w0', source));
    expect(metadata.wordFeatures?.suffixLengths.length ?? 0).toBe(suffixes);
    // an LSTM layer's metadata leaves the cell out (files before IntGRU); a GRU's names it
    expect(metadata.layers.map((l) => [l.cell ?? 'lstm', l.direction])).toEqual([
      [gru ? 'gru' : 'lstm', 'forward'],
      [gru ? 'gru' : 'lstm', 'reverse'],
    ]);
    const ref = loadModel(bytes, { backend: 'reference' });
    const core = loadModel(bytes, { backends: ['core', 'reference'] });
    expect(Object.values(core.backends)).toContain('core');
    const session = await ort.InferenceSession.create(bytes, { logSeverityLevel: 3 });
    const rows = ids.words.arraySync() as number[][];
    const featureRows = ids.features.map((f) => f.arraySync() as number[][]);
    const inputs = metadata.wordFeatures ? featureInputs(metadata.wordFeatures) : [];
    for (let b = 0; b < rows.length; b++) {
      const feeds: Record<string, Tensor> = { tokens: tokens([rows[b]]) };
      inputs.forEach((name, i) => (feeds[name] = tokens([featureRows[i][b]])));
      const want = Int32Array.from(qat.slice(b * 7, (b + 1) * 7).flat());
      const r = ref.run(feeds).logits.data as Int32Array;
      expect(diffCount(r, want)).toBe(0);
      expect(diffCount(core.run(feeds).logits.data as Int32Array, r)).toBe(0);
      expect(diffCount((await session.run(ortFeeds(feeds))).logits.data as Int32Array, r)).toBe(0);
      expectNative(bytes, feeds, ref.run(feeds));
    }
    await session.release();
    // the float32 file (a Scan of the same cell math per direction, in standard ops) = the tfjs float forward; its int8-dynamic form runs
    const f = floatTaggerSpec(model, metadata);
    const floatLogits = tf.tidy(() => model.forwardFloat(ids).dataSync().slice() as Float32Array);
    for (let b = 0; b < rows.length; b++) {
      const feeds: Record<string, Tensor> = { tokens: tokens([rows[b]]) };
      inputs.forEach((name, i) => (feeds[name] = tokens([featureRows[i][b]])));
      const got = (await runOrt(buildFloatModel(f), feeds)).logits.data as Float32Array;
      const want = floatLogits.subarray(b * 7 * tagsN, (b + 1) * 7 * tagsN);
      expect(got.length).toBe(want.length);
      expect(Math.max(...Array.from(got, (v, i) => Math.abs(v - want[i])))).toBeLessThan(1e-4);
      expect((await runOrt(buildFloatModel(f, 'int8-dynamic'), feeds)).logits.dims).toEqual([1, 7, tagsN]);
    }
    model.dispose();
    tf.dispose([ids.words, ...ids.features]);
  });

  test('G2P (BiLSTM encoder, LSTM decoder, IntAttention): int32 phoneme logits identical', async () => {
    const L = 12;
    const P = 10;
    const model = new G2pModel({ letterCount: L, phoneCount: P, embedSize: 8, hiddenSize: 6, seed: 5 });
    const letters = tf.randomUniformInt([2, 6], 0, L, 1) as tf.Tensor2D;
    const decoderIn = tf.randomUniformInt([2, 5], 0, P, 2) as tf.Tensor2D;
    model.calibrate([{ letters, decoderIn }]);
    const k = model.qatConstants();
    const qat = tf.tidy(() => model.forwardQat(letters, decoderIn, k).logitsInt.arraySync() as number[][]);
    model.disposeQatConstants(k);
    const { bytes } = buildG2pModel(g2pSpec(model, words(L), words(P), { start: 'w0', end: 'w1' }, source));
    const ref = loadModel(bytes, { backend: 'reference' });
    const core = loadModel(bytes, { backends: ['core', 'reference'] });
    const session = await ort.InferenceSession.create(bytes, { logSeverityLevel: 3 });
    const ls = letters.arraySync() as number[][];
    const ds = decoderIn.arraySync() as number[][];
    for (let b = 0; b < 2; b++) {
      const feeds = { letters: tokens([ls[b]]), decoder_input: tokens([ds[b]]) };
      const want = Int32Array.from(qat.slice(b * 5, (b + 1) * 5).flat());
      const r = ref.run(feeds).logits.data as Int32Array;
      expect(diffCount(r, want)).toBe(0);
      expect(diffCount(core.run(feeds).logits.data as Int32Array, r)).toBe(0);
      expect(diffCount((await session.run(ortFeeds(feeds))).logits.data as Int32Array, r)).toBe(0);
      expectNative(bytes, feeds, ref.run(feeds));
    }
    await session.release();
    model.dispose();
    tf.dispose([letters, decoderIn]);
  });
});

describe('the executor arena: one slab per run, never shared between runs', () => {
  test('outputs of an earlier run stay intact after later runs, on every backend; profile times every node', () => {
    const [V, E, H] = [50, 8, 16];
    const model = new LstmLanguageModel({ vocabSize: V, embedSize: E, hiddenSize: H, layers: 2, seed: 9 });
    const ids = tf.randomUniformInt([1, 6], 0, V, 9) as tf.Tensor2D;
    model.calibrate([ids]);
    const { bytes } = buildIntegerModel(languageModelSpec(model, words(V), { unknown: 'w0', sentenceEnd: 'w1' }, source));
    const feeds = (t: number[]): Record<string, Tensor> => {
      const f: Record<string, Tensor> = { tokens: tokens([t]) };
      for (let l = 0; l < 2; l++) {
        f[`lstm${l}.initial_h`] = { type: 'int8', dims: [1, H], data: new Int8Array(H) };
        f[`lstm${l}.initial_c`] = { type: 'int16', dims: [1, H], data: new Int16Array(H) };
      }
      return f;
    };
    for (const backends of [['reference'], ['core', 'reference'], ...(native.ok ? [['native', 'reference']] : [])]) {
      const m = loadModel(bytes, { backends });
      const first = m.run(feeds([1, 2, 3]));
      const kept = Object.fromEntries(Object.entries(first).map(([k, v]) => [k, Array.from(v.data as Int32Array)]));
      // later runs of other lengths (a smaller, then a larger arena) must not write into the first run's tensors
      const second = m.run(feeds([4]));
      m.run(feeds([5, 6, 7, 8, 9, 10, 11]));
      for (const [k, v] of Object.entries(first)) expect([backends[0], k, Array.from(v.data as Int32Array)]).toEqual([backends[0], k, kept[k]]);
      expect(second.logits.data.buffer === first.logits.data.buffer).toBe(false);
      // from the second run on, the tensors of one run share one slab (the first run sizes it)
      expect(second['lstm0.final_h'].data.buffer === second.logits.data.buffer).toBe(true);
      const p = m.profile(feeds([1, 2, 3]), 5);
      expect(p.nodes.map((n) => n.name)).toEqual(['embed', 'lstm0', 'lstm1', 'output']);
      expect(p.nodes.every((n) => n.us > 0 && n.backend === (n.op === 'Gather' ? 'reference' : backends[0]))).toBe(true);
    }
    model.dispose();
    ids.dispose();
  });
});
