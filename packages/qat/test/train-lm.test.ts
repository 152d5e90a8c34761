import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crossEntropy, LM_PRESETS, loadCheckpoint, loadLmCheckpoint, LstmLanguageModel, readCheckpointMeta, tf, trainLm, useWasmBackend } from '../src/index.js';

// Real training of the `tiny` preset on the Brown corpus (wasm backend, one core).
const root = mkdtempSync(join(tmpdir(), 'intrnn-train-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const weightsOf = (dir: string) => readFileSync(join(dir, readCheckpointMeta(dir).weights));

test('the language model learns context: next = current + 1 (mod V) from the unigram start to near zero loss', async () => {
  await useWasmBackend();
  const V = 30;
  const model = new LstmLanguageModel({ vocabSize: V, embedSize: 16, hiddenSize: 32, layers: 1, seed: 3 });
  const seq = Array.from({ length: 8 * 13 }, (_, i) => (i * 7 + Math.floor(i / 13) * 5) % V);
  const ids = Array.from({ length: 8 }, (_, b) => Array.from({ length: 12 }, (_, t) => (seq[b * 13] + t) % V));
  model.initOutputBiasFromCounts(ids.flat());
  const inputs = tf.tensor2d(ids, [8, 12], 'int32');
  const targets = tf.tensor2d(
    ids.map((r) => r.map((v) => (v + 1) % V)),
    [8, 12],
    'int32',
  );
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

describe('lm-brown tiny preset with GRU cells (--cell gru)', () => {
  const gruFloat = join(root, 'gru-float');

  test('float training, resume exact, QAT from it with GRU quantization states', async () => {
    const r = await trainLm({ preset: 'tiny', outDir: gruFloat, steps: 10, cell: 'gru' });
    expect(r.finished).toBe(true);
    expect(loadCheckpoint(gruFloat).meta.config.gru).toBe(1);
    expect(r.finalLoss).toBeLessThan(r.initialLoss + 0.5);
    const split = join(root, 'gru-split');
    await trainLm({ preset: 'tiny', outDir: split, steps: 10, stopAfter: 4, cell: 'gru' });
    await trainLm({ preset: 'tiny', outDir: split, steps: 10, resume: true, cell: 'gru' });
    expect(Buffer.compare(weightsOf(gruFloat), weightsOf(split))).toBe(0);
    const qatDir = join(root, 'gru-qat');
    const q = await trainLm({ preset: 'tiny', outDir: qatDir, qatFrom: gruFloat, steps: 4, cell: 'gru' });
    expect(q.mode).toBe('qat');
    const { model, meta } = loadLmCheckpoint(qatDir);
    expect(model.gru).toBe(true);
    expect(meta.quant!.lstm).toHaveLength(0);
    expect(meta.quant!.gru).toHaveLength(2);
    for (const l of meta.quant!.gru!) expect(Number.isInteger(Math.log2(l.gateScale))).toBe(true);
    model.dispose();
    expect(Number.isFinite(q.validation!.perplexity)).toBe(true);
  }, 180_000);

  test('each GRU preset has the parameter count of its LSTM preset, within 0.1%', async () => {
    await useWasmBackend();
    const params = (name: string) => {
      const p = LM_PRESETS[name];
      const m = new LstmLanguageModel({ ...p.model, vocabSize: p.train.vocabSize });
      const n = m.variables.reduce((a, v) => a + v.size, 0);
      expect(m.gru).toBe(name.endsWith('-gru'));
      m.dispose();
      return n;
    };
    for (const [lstm, gru] of [
      ['small', 'small-gru'],
      ['medium', 'medium-gru'],
    ]) {
      const [a, b] = [params(lstm), params(gru)];
      expect([gru, Math.abs(b - a) / a < 0.001]).toEqual([gru, true]);
    }
    await expect(trainLm({ preset: 'small-gru', outDir: join(root, 'never'), cell: 'lstm' })).rejects.toThrow(/--cell: preset small-gru is a GRU preset/);
  }, 60_000);

  test('a checkpoint of the other cell is refused by resume and by --qat-from, naming the difference', async () => {
    await expect(trainLm({ preset: 'tiny', outDir: gruFloat, steps: 12, resume: true })).rejects.toThrow(/holds a model with gru 1; this run builds gru 0/);
    await expect(trainLm({ preset: 'tiny', outDir: join(root, 'lstm-from-gru'), qatFrom: gruFloat, steps: 2 })).rejects.toThrow(/holds a model with gru 1; this run builds gru 0/);
  }, 60_000);

  test('int4 weights are a QAT choice: recorded in the checkpoint, required again on resume', async () => {
    const dir = join(root, 'gru-qat4');
    await trainLm({ preset: 'tiny', outDir: dir, qatFrom: gruFloat, steps: 3, stopAfter: 2, cell: 'gru', weightBits: 4 });
    expect(loadCheckpoint(dir).meta.config.weightBits).toBe(4);
    await expect(trainLm({ preset: 'tiny', outDir: dir, qatFrom: gruFloat, steps: 3, resume: true, cell: 'gru' })).rejects.toThrow(/holds a model with weightBits 4; this run builds weightBits 8/);
    expect((await trainLm({ preset: 'tiny', outDir: dir, qatFrom: gruFloat, steps: 3, resume: true, cell: 'gru', weightBits: 4 })).steps).toBe(3);
    await expect(trainLm({ preset: 'tiny', outDir: join(root, 'never4'), weightBits: 4 })).rejects.toThrow(/--weight-bits: applies to QAT fine-tuning/);
    await expect(trainLm({ preset: 'tiny', outDir: join(root, 'never5'), qatFrom: gruFloat, cell: 'gru', weightBits: 5 })).rejects.toThrow(/--weight-bits: is 5; weights are 4 or 8 bits/);
  }, 120_000);
});

describe('checkpoint files', () => {
  const dir = join(root, 'bad');
  let manifest = '';
  let weightsName = '';
  let weights: Buffer;
  const restore = () => {
    writeFileSync(join(dir, 'checkpoint.json'), manifest);
    writeFileSync(join(dir, weightsName), weights);
  };

  beforeAll(async () => {
    await trainLm({ preset: 'tiny', outDir: dir, steps: 2 });
    manifest = readFileSync(join(dir, 'checkpoint.json'), 'utf8');
    weightsName = JSON.parse(manifest).weights;
    weights = readFileSync(join(dir, weightsName));
  }, 60_000);
  afterEach(restore);

  test('one manifest and one weights file, named by the step', () => {
    expect(weightsName).toBe('weights.2.bin');
    expect(readdirSync(dir).sort()).toEqual(['checkpoint.json', 'weights.2.bin']);
    expect(loadCheckpoint(dir).meta.step).toBe(2);
  });

  test('a missing file, broken JSON, a wrong schema and a truncated weights file are typed errors', () => {
    expect(() => loadCheckpoint(join(root, 'nowhere'))).toThrow(/checkpoint\.json: no such file/);
    writeFileSync(join(dir, 'checkpoint.json'), manifest.slice(0, 40));
    expect(() => loadCheckpoint(dir)).toThrow(/is not valid JSON/);
    writeFileSync(join(dir, 'checkpoint.json'), JSON.stringify({ ...JSON.parse(manifest), step: -1 }));
    expect(() => loadCheckpoint(dir)).toThrow(/checkpoint\.json: step/);
    restore();
    truncateSync(join(dir, weightsName), 100);
    expect(() => loadCheckpoint(dir)).toThrow(/weights\.2\.bin: has 100 bytes/);
    rmSync(join(dir, weightsName));
    expect(() => loadCheckpoint(dir)).toThrow(/weights\.2\.bin: no such file/);
  });

  test('a flipped bit in the weights, an edited manifest field and a torn pair are refused by the hash', () => {
    const flipped = Buffer.from(weights);
    flipped[1234] ^= 0x04;
    writeFileSync(join(dir, weightsName), flipped);
    expect(() => loadCheckpoint(dir)).toThrow(/content hash does not match/);
    restore();
    writeFileSync(join(dir, 'checkpoint.json'), JSON.stringify({ ...JSON.parse(manifest), elapsedSeconds: 1 }));
    expect(() => loadCheckpoint(dir)).toThrow(/content hash does not match/);
    restore();
    // the manifest of step 2 beside the weights of another run of the same shapes
    const other = join(root, 'other');
    return trainLm({ preset: 'tiny', outDir: other, steps: 3 }).then(() => {
      copyFileSync(join(other, 'weights.3.bin'), join(dir, weightsName));
      expect(() => loadCheckpoint(dir)).toThrow(/content hash does not match/);
    });
  }, 60_000);

  test('resume refuses a corrupted checkpoint, and nothing on disk changes', async () => {
    const flipped = Buffer.from(weights);
    flipped[99] ^= 0x80;
    writeFileSync(join(dir, weightsName), flipped);
    await expect(trainLm({ preset: 'tiny', outDir: dir, steps: 4, resume: true })).rejects.toThrow(/content hash does not match/);
    expect(readFileSync(join(dir, 'checkpoint.json'), 'utf8')).toBe(manifest);
    expect(Buffer.compare(readFileSync(join(dir, weightsName)), flipped)).toBe(0);
  }, 60_000);

  test('a checkpoint of non-finite weights is refused even with a matching hash, and training never saves one', async () => {
    const { saveCheckpoint } = await import('../src/train/checkpoint.js');
    const meta = JSON.parse(manifest);
    const nan = tf.tensor1d([1, NaN]);
    const target = join(root, 'nan');
    expect(() => saveCheckpoint(target, { ...meta }, [{ name: 'w', tensor: nan }], [], [])).toThrow(/w: holds NaN at step 2: training diverged/);
    expect(existsSync(join(target, 'checkpoint.json'))).toBe(false);
    nan.dispose();
  });

  test('a learning rate that blows up stops training with a typed error and keeps the last checkpoint', async () => {
    const dir2 = join(root, 'diverge');
    await trainLm({ preset: 'tiny', outDir: dir2, steps: 2 });
    const before = readFileSync(join(dir2, 'checkpoint.json'), 'utf8');
    await expect(trainLm({ preset: 'tiny', outDir: dir2, steps: 12, resume: true, overrides: { learningRate: 1e38, clipNorm: 1e38 } })).rejects.toThrow(/ERR_TRAIN_DIVERGED|training diverged/);
    expect(readFileSync(join(dir2, 'checkpoint.json'), 'utf8')).toBe(before);
    expect(loadCheckpoint(dir2).meta.step).toBe(2);
  }, 60_000);
});
