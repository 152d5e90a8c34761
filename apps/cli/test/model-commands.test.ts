import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { evaluateG2p, loadG2pCheckpoint, loadLmCheckpoint, loadPosCheckpoint, tf, useWasmBackend } from '@intrnn/qat';
import { loadAddon } from '@intrnn/runtime-native';
import { decodeModel, modelMetadata } from '@intrnn/format';
import { TaggerCodec } from '@intrnn/runtime-core';

// Train tiny models with the CLI, convert them, and run the files in runtime-core and ONNX Runtime,
// exactly as a user does (`npx intrnn ...`).
const BIN = join(__dirname, '..', 'bin', 'intrnn.mjs');
const root = mkdtempSync(join(tmpdir(), 'intrnn-model-'));
const dir = (s: string) => join(root, s);

function intrnn(...args: string[]): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 240_000 });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

function ok(...args: string[]): string {
  const r = intrnn(...args);
  if (r.code !== 0) throw new Error(`intrnn ${args.join(' ')} exited ${r.code}: ${r.err}`);
  return r.out;
}

beforeAll(() => {
  if (!existsSync(join(__dirname, '..', 'dist', 'main.js'))) throw new Error('apps/cli is not built: run `npm test` (it builds first)');
  ok('train', '--task', 'lm-brown', '--preset', 'tiny', '--out', dir('lm-float'), '--json');
  ok('train', '--task', 'lm-brown', '--preset', 'tiny', '--out', dir('lm-qat'), '--qat-from', dir('lm-float'), '--steps', '6', '--json');
  ok('train', '--task', 'lm-brown', '--preset', 'tiny', '--out', dir('lm-qat4'), '--qat-from', dir('lm-float'), '--steps', '6', '--weight-bits', '4', '--json');
  ok('train', '--task', 'pos-brown', '--preset', 'tiny', '--out', dir('pos-float'), '--json');
  ok('train', '--task', 'pos-brown', '--preset', 'tiny', '--out', dir('pos-qat'), '--qat-from', dir('pos-float'), '--steps', '4', '--json');
  ok('train', '--task', 'g2p-cmudict', '--preset', 'tiny', '--out', dir('g2p-float'), '--steps', '150', '--json');
  ok('train', '--task', 'g2p-cmudict', '--preset', 'tiny', '--out', dir('g2p-qat'), '--qat-from', dir('g2p-float'), '--steps', '4', '--json');
}, 600_000);

/** Largest |a - b| over the largest |b|: the float32 file's tolerance measure. */
function relativeError(got: Float32Array, want: Float32Array): number {
  expect(got.length).toBe(want.length);
  let scale = 0;
  let err = 0;
  for (let i = 0; i < got.length; i++) {
    scale = Math.max(scale, Math.abs(want[i]));
    err = Math.max(err, Math.abs(got[i] - want[i]));
  }
  return err / scale;
}

async function runOrt(path: string, feeds: Record<string, ort.Tensor>): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(readFileSync(path), { logSeverityLevel: 3 });
  try {
    return (await session.run(feeds)).logits.data as Float32Array;
  } finally {
    await session.release();
  }
}

const int64 = (ids: number[]) => new ort.Tensor('int64', BigInt64Array.from(ids, BigInt), [1, ids.length]);
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('intrnn convert / eval / inspect / run on trained tiny models', () => {
  test('convert writes the integer and float32 files with a size report and the overflow proof', () => {
    const j = JSON.parse(ok('convert', dir('lm-qat'), '-o', dir('lm.onnx'), '--json'));
    expect(j.task).toBe('lm-brown');
    expect(readFileSync(dir('lm.onnx')).length).toBe(j.integer.total);
    expect(readFileSync(dir('lm.float32.onnx')).length).toBe(j.float32.total);
    expect(j.integer.byClass.weights * 4).toBe(j.float32.byClass.weights); // int8 against float32
    expect(j.overflowProof.map((b: { tensor: string }) => b.tensor)).toEqual(['lstm0.W', 'lstm0.R', 'lstm1.W', 'lstm1.R', 'output.W']);
    for (const b of j.overflowProof) expect(b.bound).toBeLessThanOrEqual(b.limit);
    const table = ok('convert', dir('lm-qat'), '-o', dir('lm2.onnx'));
    expect(table).toMatch(/float32 \/ integer size: \d+\.\d\dx/);
    expect(Buffer.compare(readFileSync(dir('lm.onnx')), readFileSync(dir('lm2.onnx')))).toBe(0); // deterministic
  });

  test('a float checkpoint converts to a float32 file alone (the float baseline), which ONNX Runtime evaluates', () => {
    const j = JSON.parse(ok('convert', dir('lm-float'), '-o', dir('lm-float.float32.onnx'), '--json'));
    expect(j.integer).toBeUndefined();
    expect(j.float32.total).toBe(readFileSync(dir('lm-float.float32.onnx')).length);
    const e = JSON.parse(ok('eval', dir('lm-float.float32.onnx'), '--engine', 'ort', '--limit', '200', '--json'));
    expect(e).toMatchObject({ numerics: 'float32', metric: 'perplexity', tokens: 200 });
    expect(Number.isFinite(e.value)).toBe(true);
    // runtime-core runs integer files only, and says so
    const r = intrnn('eval', dir('lm-float.float32.onnx'), '--engine', 'core');
    expect([r.code, r.err]).toEqual([2, expect.stringMatching(/runs integer files/)]);
  });

  test('language model: runtime-core and ONNX Runtime give the same perplexity and outputsSha256', () => {
    const core = JSON.parse(ok('eval', dir('lm.onnx'), '--engine', 'core', '--limit', '300', '--json'));
    const fromOrt = JSON.parse(ok('eval', dir('lm.onnx'), '--engine', 'ort', '--limit', '300', '--json'));
    const native = JSON.parse(ok('eval', dir('lm.onnx'), '--engine', 'native', '--limit', '300', '--json'));
    expect(native.outputsSha256).toBe(core.outputsSha256);
    const wasm = JSON.parse(ok('eval', dir('lm.onnx'), '--engine', 'wasm', '--limit', '300', '--json'));
    expect([wasm.engine, wasm.outputsSha256]).toEqual(['wasm', core.outputsSha256]);
    expect(core.tokens).toBe(300);
    expect(core.outputsSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(fromOrt.outputsSha256).toBe(core.outputsSha256);
    expect(fromOrt.value).toBe(core.value);
    const float = JSON.parse(ok('eval', dir('lm.float32.onnx'), '--engine', 'ort', '--limit', '300', '--json'));
    expect(float.numerics).toBe('float32');
    expect(Math.abs(float.value - core.value) / float.value).toBeLessThan(0.05);
    expect(intrnn('eval', dir('lm.float32.onnx'), '--engine', 'core').code).toBe(2);
  });

  test('--weight-bits 4: int4 weights, packed in the file; every engine gives the same outputsSha256', () => {
    const j = JSON.parse(ok('convert', dir('lm-qat4'), '-o', dir('lm4.onnx'), '--json'));
    const eight = JSON.parse(ok('convert', dir('lm-qat'), '-o', dir('lm8.onnx'), '--json'));
    const meta = modelMetadata(decodeModel(readFileSync(dir('lm4.onnx'))));
    expect([meta.opsetVersion, meta.layers.map((l) => l.bits.weights)]).toEqual([3, [4, 4]]);
    // every weight matrix and the embedding take half their int8 bytes (tiny: V 500, E = H = 32)
    const [recurrent, output, embedding] = [2 * (4 * 32 * 32 + 4 * 32 * 32), 500 * 32, 500 * 32];
    expect(eight.integer.byClass.weights - j.integer.byClass.weights).toBe((recurrent + output) / 2);
    expect(eight.integer.byClass.embedding - j.integer.byClass.embedding).toBe(embedding / 2);
    const hashes = ['core', 'native', 'wasm', 'ort'].map((engine) => JSON.parse(ok('eval', dir('lm4.onnx'), '--engine', engine, '--limit', '300', '--json')).outputsSha256);
    expect(new Set(hashes).size).toBe(1);
    expect(ok('inspect', dir('lm4.onnx'))).toMatch(/ai\.intrnn opset 3/);
  });

  test('the float32 files in ONNX Runtime match the tfjs float forward within 1e-4 of the largest |logit| (docs/onnx-format.md)', async () => {
    await useWasmBackend();
    ok('convert', dir('pos-qat'), '-o', dir('pos.onnx'));
    ok('convert', dir('g2p-qat'), '-o', dir('g2p.onnx'));
    const ids = [3, 17, 2, 99, 5, 4, 250, 1, 7];
    const lm = loadLmCheckpoint(dir('lm-qat')).model;
    const lmWant = tf.tidy(
      () =>
        lm
          .forwardFloat(tf.tensor2d([ids], [1, 9], 'int32'))
          .logits.dataSync()
          .slice() as Float32Array,
    );
    const zeros = new ort.Tensor('float32', new Float32Array(32), [1, 32]);
    const lmGot = await runOrt(dir('lm.float32.onnx'), { tokens: int64(ids), 'lstm0.initial_h': zeros, 'lstm0.initial_c': zeros, 'lstm1.initial_h': zeros, 'lstm1.initial_c': zeros });
    expect(relativeError(lmGot, lmWant)).toBeLessThanOrEqual(1e-4);
    const pos = loadPosCheckpoint(dir('pos-qat')).model;
    // the tiny tagger has spelling features: the same feeds (SDK codec) for both
    const codec = new TaggerCodec(modelMetadata(decodeModel(new Uint8Array(readFileSync(dir('pos.float32.onnx'))))));
    const posFeeds = codec.feeds(ids.map((i) => codec.vocabulary[i]).concat(['Unseenword', '1960s']));
    const asTensor = (t: { data: ArrayLike<bigint | number>; dims: number[] }) => tf.tensor2d(Array.from(t.data, Number), t.dims as [number, number], 'int32');
    const featureNames = Object.keys(posFeeds).filter((k) => k !== 'tokens');
    expect(featureNames.length).toBeGreaterThan(0);
    const posWant = tf.tidy(
      () =>
        pos
          .forwardFloat({ words: asTensor(posFeeds.tokens), features: featureNames.map((k) => asTensor(posFeeds[k])) })
          .dataSync()
          .slice() as Float32Array,
    );
    expect(
      relativeError(await runOrt(dir('pos.float32.onnx'), Object.fromEntries(Object.entries(posFeeds).map(([k, t]) => [k, new ort.Tensor('int64', t.data as BigInt64Array, t.dims)]))), posWant),
    ).toBeLessThanOrEqual(1e-4);
    const g2p = loadG2pCheckpoint(dir('g2p-qat')).model;
    const letters = [7, 4, 11, 11, 14];
    const prefix = [0, 12, 30, 5];
    const g2pWant = tf.tidy(
      () =>
        g2p
          .forwardFloat(tf.tensor2d([letters], [1, 5], 'int32'), tf.tensor2d([prefix], [1, 4], 'int32'))
          .dataSync()
          .slice() as Float32Array,
    );
    expect(relativeError(await runOrt(dir('g2p.float32.onnx'), { letters: int64(letters), decoder_input: int64(prefix) }), g2pWant)).toBeLessThanOrEqual(1e-4);
    [lm, pos, g2p].forEach((m) => m.dispose());
  }, 60_000);

  test('bench --json: one object with every engine side by side (no timing assertions: machines are noisy)', () => {
    const j = JSON.parse(ok('bench', dir('lm.onnx'), '--calls', '10', '--json'));
    const peers = ['ort-lstm-float32', 'ort-lstm-int8-dynamic', 'ort-web-lstm-float32', 'ort-web-lstm-int8-dynamic'];
    const engines = ['core', 'wasm', 'ort-integer-file', 'ort-scan-float32', 'ort-scan-int8-dynamic', ...peers, ...(loadAddon().addon ? ['native'] : [])];
    expect(Object.keys(j.engines).sort()).toEqual(engines.sort());
    // the peers are built from the integer file's own weights and checked against it
    expect(Object.keys(j.peers).sort()).toEqual([...peers].sort());
    for (const p of peers) expect(j.peers[p]).toMatchObject({ positions: 100, top1Agreement: expect.any(Number), bytes: expect.any(Number) });
    // the float32 peer is the model the integer one approximates: its next-token choices mostly agree
    expect(j.peers['ort-lstm-float32'].top1Agreement).toBeGreaterThan(0.5);
    // the same file in two ONNX Runtime builds gives the same choices
    expect(j.peers['ort-web-lstm-float32'].top1Agreement).toBe(j.peers['ort-lstm-float32'].top1Agreement);
    for (const e of Object.values(j.engines) as { usPerToken: number; tokensPerSecond: number }[]) {
      expect(e.usPerToken).toBeGreaterThan(0);
      expect(e.tokensPerSecond).toBeCloseTo(1e6 / e.usPerToken, 6);
    }
    // alternating every call is the other protocol; a block below 1 is refused
    expect(Object.keys(JSON.parse(ok('bench', dir('lm.onnx'), '--calls', '5', '--block', '1', '--json')).engines).sort()).toEqual(engines.sort());
    const r = intrnn('bench', dir('lm.onnx'), '--block', '0');
    expect([r.code, r.err]).toEqual([2, expect.stringMatching(/--block/)]);
  });

  test('inspect lists the ai.intrnn ops, their functions, tensors and PWL tables', () => {
    const j = JSON.parse(ok('inspect', dir('lm.onnx'), '--json'));
    expect(j.numerics).toBe('integer');
    expect(j.functions).toEqual(['ai.intrnn:IntLSTM', 'ai.intrnn:IntDense']);
    expect(j.nodes.map((n: { op: string }) => n.op)).toEqual(['Gather', 'ai.intrnn:IntLSTM', 'ai.intrnn:IntLSTM', 'ai.intrnn:IntDense']);
    expect(j.tensors.find((t: { name: string }) => t.name === 'lstm0.W')).toMatchObject({ type: 'int8', dims: [128, 32] });
    expect(j.pwlTables).toHaveLength(6);
    for (const t of j.pwlTables) expect(t.pieces).toBeGreaterThan(1);
    expect(ok('inspect', dir('lm.onnx'))).toMatch(/IntLSTM/);
  });

  test('run: the same seed gives the same continuation; temperature 0 is greedy', () => {
    const a = JSON.parse(ok('run', dir('lm.onnx'), '--prompt', 'The jury said', '--tokens', '8', '--seed', '7', '--json'));
    const b = JSON.parse(ok('run', dir('lm.onnx'), '--prompt', 'The jury said', '--tokens', '8', '--seed', '7', '--json'));
    expect(a.tokens).toHaveLength(8);
    expect(b.tokens).toEqual(a.tokens);
    const g1 = ok('run', dir('lm.onnx'), '--prompt', 'The jury said', '--tokens', '5', '--temperature', '0');
    expect(ok('run', dir('lm.onnx'), '--prompt', 'The jury said', '--tokens', '5', '--temperature', '0', '--seed', '99')).toBe(g1);
  });

  test('tagger (BiLSTM + MadNorm): same accuracy and outputsSha256 in runtime-core and ONNX Runtime; run tags a sentence', () => {
    const core = JSON.parse(ok('eval', dir('pos.onnx'), '--engine', 'core', '--limit', '40', '--json'));
    const fromOrt = JSON.parse(ok('eval', dir('pos.onnx'), '--engine', 'ort', '--limit', '40', '--json'));
    expect(core.metric).toBe('accuracy');
    expect(fromOrt.outputsSha256).toBe(core.outputsSha256);
    expect(JSON.parse(ok('eval', dir('pos.onnx'), '--engine', 'native', '--limit', '40', '--json')).outputsSha256).toBe(core.outputsSha256);
    const wasm = JSON.parse(ok('eval', dir('pos.onnx'), '--engine', 'wasm', '--limit', '40', '--json'));
    expect([wasm.engine, wasm.outputsSha256]).toEqual(['wasm', core.outputsSha256]);
    expect(core.value).toBeGreaterThan(0.25); // tiny float reaches about 35% on validation; the most frequent tag alone is about 13%
    const tagged = JSON.parse(ok('run', dir('pos.onnx'), '--sentence', 'The jury said it did find that the city was well run .', '--json')).tagged;
    expect(tagged).toHaveLength(13);
    expect(tagged[0]).toMatchObject({ word: 'The', unknown: false });
  });
});

describe('G2P (attention decoder) end to end', () => {
  test('runtime-core and ONNX Runtime: same error rates and outputsSha256, greedy and beam', () => {
    for (const beam of ['1', '3']) {
      const core = JSON.parse(ok('eval', dir('g2p.onnx'), '--engine', 'core', '--limit', '25', '--beam', beam, '--json'));
      const fromOrt = JSON.parse(ok('eval', dir('g2p.onnx'), '--engine', 'ort', '--limit', '25', '--beam', beam, '--json'));
      const native = JSON.parse(ok('eval', dir('g2p.onnx'), '--engine', 'native', '--limit', '25', '--beam', beam, '--json'));
      const wasm = JSON.parse(ok('eval', dir('g2p.onnx'), '--engine', 'wasm', '--limit', '25', '--beam', beam, '--json'));
      expect([wasm.engine, wasm.outputsSha256]).toEqual(['wasm', core.outputsSha256]);
      expect(core.scores.words).toBe(25);
      expect(fromOrt.outputsSha256).toBe(core.outputsSha256);
      expect(native.outputsSha256).toBe(core.outputsSha256);
      expect(fromOrt.scores).toEqual(core.scores);
    }
  });

  test("greedy decoding of the integer file gives exactly the QAT model's error rates", async () => {
    await useWasmBackend();
    const { model, letters, phones, data } = loadG2pCheckpoint(dir('g2p-qat'));
    const qat = evaluateG2p(model, data.test, letters, phones, 25);
    model.dispose();
    const integer = JSON.parse(ok('eval', dir('g2p.onnx'), '--engine', 'core', '--limit', '25', '--beam', '1', '--json'));
    expect(integer.scores).toEqual(qat);
  }, 60_000);

  test('run --word pronounces words; a character outside the alphabet is exit 2 naming it', () => {
    const j = JSON.parse(ok('run', dir('g2p.onnx'), '--word', 'hello', 'intrnn', '--beam', '2', '--json'));
    expect(j.words.map((w: { word: string }) => w.word)).toEqual(['hello', 'intrnn']);
    for (const w of j.words) expect(w.phonemes.length).toBeGreaterThan(0);
    const r = intrnn('run', dir('g2p.onnx'), '--word', 'ab3c');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/word\[2\]: '3' is not a letter this model knows/);
  });
});

describe('bad input: exit 2 and one line naming what is wrong', () => {
  const bad = (name: string, bytes: Uint8Array) => {
    writeFileSync(dir(name), bytes);
    return intrnn('eval', dir(name), '--limit', '5');
  };

  test('a missing file', () => {
    const r = intrnn('eval', dir('nope.onnx'));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/nope\.onnx: does not exist/);
  });

  test('a truncated file', () => {
    const bytes = readFileSync(dir('lm.onnx'));
    const r = bad('truncated.onnx', bytes.subarray(0, Math.floor(bytes.length / 2)));
    expect(r.code).toBe(2);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).toMatch(/^intrnn: error: /);
  });

  test('a file that is not ONNX at all', () => {
    const r = bad('text.onnx', new TextEncoder().encode('hello, I am not a model\n'));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/not a valid ONNX ModelProto|metadata/);
  });
});
