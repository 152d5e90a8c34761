import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crossEntropy, loadCheckpoint, loadLmCheckpoint, LstmLanguageModel, tf, trainLm, useWasmBackend } from '../src/index.js';

// Real training of the `tiny` preset on the Brown corpus (wasm backend, one core).
const root = mkdtempSync(join(tmpdir(), 'intrnn-train-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const weightsOf = (dir: string) => readFileSync(join(dir, 'weights.bin'));

test('the language model learns context: next = current + 1 (mod V) from the unigram start to near zero loss', async () => {
  await useWasmBackend();
  const V = 30;
  const model = new LstmLanguageModel({ vocabSize: V, embedSize: 16, hiddenSize: 32, layers: 1, seed: 3 });
  const seq = Array.from({ length: 8 * 13 }, (_, i) => (i * 7 + Math.floor(i / 13) * 5) % V);
  const ids = Array.from({ length: 8 }, (_, b) => Array.from({ length: 12 }, (_, t) => (seq[b * 13] + t) % V));
  model.initOutputBiasFromCounts(ids.flat());
  const inputs = tf.tensor2d(ids, [8, 12], 'int32');
  const targets = tf.tensor2d(ids.map((r) => r.map((v) => (v + 1) % V)), [8, 12], 'int32');
  const opt = tf.train.adam(0.02);
  const loss = () => crossEntropy(model.forwardFloat(inputs).logits, targets);
  const first = tf.tidy(() => loss().dataSync()[0]);
  for (let i = 0; i < 120; i++) opt.minimize(loss, true, model.variables)?.dispose();
  const last = tf.tidy(() => loss().dataSync()[0]);
  // a unigram model cannot go below ln V here (every id is equally frequent): only the context gets there
  expect(first).toBeGreaterThan(Math.log(V) - 0.2);
  expect(last).toBeLessThan(0.5);
  tf.dispose([inputs, targets]);
  opt.dispose();
  model.dispose();
}, 60_000);

describe('lm-brown tiny preset', () => {
  let floatDir: string;

  test('float training starts at the unigram model (output bias prior), stays stable and writes a checkpoint', async () => {
    floatDir = join(root, 'float');
    const r = await trainLm({ preset: 'tiny', outDir: floatDir });
    expect(r.steps).toBe(40);
    expect(r.finished).toBe(true);
    // the output bias starts at the unigram log-frequencies: far below the uniform loss ln 500 = 6.2 at
    // step 1; 40 tiny steps then stay about there (learning context is the synthetic test below)
    expect(r.initialLoss).toBeLessThan(Math.log(500) - 1.5);
    expect(r.finalLoss).toBeLessThan(r.initialLoss + 0.5);
    const meta = loadCheckpoint(floatDir).meta;
    expect(r.tokensPerSecond).toBeGreaterThan(0);
    expect(r.validation!.perplexity).toBeGreaterThan(1);
    expect(r.validation!.perplexity).toBeLessThan(500);
    expect(meta).toMatchObject({ mode: 'float', step: 40, task: 'lm-brown', dataFingerprint: r.dataFingerprint });
    expect(meta.optimizer.length).toBeGreaterThan(0);
  }, 120_000);

  test('resuming gives exactly the weights of an uninterrupted run', async () => {
    const straight = join(root, 'straight');
    const split = join(root, 'split');
    await trainLm({ preset: 'tiny', outDir: straight, steps: 10 });
    const first = await trainLm({ preset: 'tiny', outDir: split, steps: 10, stopAfter: 4 });
    expect(first.finished).toBe(false);
    expect(loadCheckpoint(split).meta.step).toBe(4);
    const second = await trainLm({ preset: 'tiny', outDir: split, steps: 10, resume: true });
    expect(second.steps).toBe(10);
    expect(Buffer.compare(weightsOf(straight), weightsOf(split))).toBe(0);
  }, 120_000);

  test('QAT fine-tuning from the float checkpoint: calibrated scales, knot-searched tables, integer forward', async () => {
    const qatDir = join(root, 'qat');
    const r = await trainLm({ preset: 'tiny', outDir: qatDir, qatFrom: floatDir, steps: 6 });
    expect(r.mode).toBe('qat');
    const { model, meta } = loadLmCheckpoint(qatDir);
    expect(meta.quant).not.toBeNull();
    expect(meta.quant!.lstm).toHaveLength(2);
    for (const l of meta.quant!.lstm) {
      expect(l.sigmoid.symmetry).toBe('point');
      expect(l.tanhGate.knots.length).toBeGreaterThan(10);
      expect(Number.isInteger(Math.log2(l.gateScale))).toBe(true);
    }
    expect(model.quant).toEqual(meta.quant);
    model.dispose();
    expect(Number.isFinite(r.validation!.perplexity)).toBe(true);
  }, 120_000);

  test('bad requests are typed errors that name what is wrong', async () => {
    await expect(trainLm({ preset: 'huge', outDir: join(root, 'x') })).rejects.toThrow(/--preset: unknown preset 'huge'/);
    await expect(trainLm({ preset: 'tiny', outDir: join(root, 'none'), resume: true })).rejects.toThrow(/no checkpoint to resume/);
    await expect(trainLm({ preset: 'tiny', outDir: join(root, 'q2'), qatFrom: join(root, 'qat') })).rejects.toThrow(/is not a float checkpoint/);
  }, 60_000);
});

describe('checkpoint files', () => {
  const dir = join(root, 'bad');

  beforeAll(async () => {
    await trainLm({ preset: 'tiny', outDir: dir, steps: 2 });
  }, 60_000);

  test('a missing file, broken JSON, a wrong schema and a truncated weights file are typed errors', () => {
    const meta = readFileSync(join(dir, 'checkpoint.json'), 'utf8');
    expect(() => loadCheckpoint(join(root, 'nowhere'))).toThrow(/checkpoint\.json: no such file/);
    writeFileSync(join(dir, 'checkpoint.json'), meta.slice(0, 40));
    expect(() => loadCheckpoint(dir)).toThrow(/is not valid JSON/);
    writeFileSync(join(dir, 'checkpoint.json'), JSON.stringify({ ...JSON.parse(meta), step: -1 }));
    expect(() => loadCheckpoint(dir)).toThrow(/checkpoint\.json: step/);
    writeFileSync(join(dir, 'checkpoint.json'), meta);
    truncateSync(join(dir, 'weights.bin'), 100);
    expect(() => loadCheckpoint(dir)).toThrow(/weights\.bin: has 100 bytes/);
  });
});
