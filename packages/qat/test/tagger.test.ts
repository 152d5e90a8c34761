import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gemvInt8, gruStepReference, lstmStepReference, type GruCellParams, type LstmCellParams } from '@intrnn/runtime-core';
import { BiLstmTagger, LengthBatches, loadBrownPos, loadCheckpoint, POS_PRESETS, trainPos } from '../src/index.js';
import { tf, useWasmBackend } from '../src/qat/tf-backend.js';

const root = mkdtempSync(join(tmpdir(), 'intrnn-pos-'));
beforeAll(async () => {
  await useWasmBackend();
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** One direction by the reference step kernels: LSTM (h, c) or GRU (h). */
function direction(p: LstmCellParams | GruCellParams, xs: Int8Array[], order: number[]): Int8Array[] {
  const out: Int8Array[] = [];
  let h: Int8Array = new Int8Array(p.hiddenSize);
  let c: Int16Array = new Int16Array(p.hiddenSize);
  for (const t of order) {
    if ('biasX' in p) {
      h = gruStepReference(p, xs[t], h);
    } else {
      const s = lstmStepReference(p, xs[t], h, c);
      h = s.h;
      c = s.c;
    }
    out[t] = h;
  }
  return out;
}

describe('BiLstmTagger', () => {
  test.each([
    ['LSTM cells with MadNorm, without spelling features', 0, 0],
    ['LSTM cells with MadNorm, with suffix and shape features', 2, 0],
    ['GRU cells, without spelling features', 0, 1],
    ['GRU cells, with suffix and shape features', 2, 1],
  ])('in QAT mode its int32 tag logits equal runtime-core reference kernels run in both directions: %s', (_, suffixes, gru) => {
    const V = 30;
    const E = 8;
    const H = 12;
    const tagsN = 9;
    const model = new BiLstmTagger({ vocabSize: V, tagCount: tagsN, embedSize: E, hiddenSize: H, madNorm: gru ? 0 : 1, gru, seed: 4, suffixes, buckets: 16, suffixDim: 3, shapeDim: 2 });
    const words = tf.randomUniformInt([3, 7], 0, V, 4) as tf.Tensor2D;
    const features = model.features.map((f, i) => tf.randomUniformInt([3, 7], 0, f.variable.shape[0], 10 + i) as tf.Tensor2D);
    const ids = { words, features };
    model.calibrate([ids]);
    const k = model.qatConstants();
    const logits = tf.tidy(() => model.forwardQat(ids, k).logitsInt.arraySync() as number[][]);
    const m = model.exportIntegers(k);
    expect(m.features).toHaveLength(suffixes ? suffixes + 1 : 0);
    const rows = words.arraySync() as number[][];
    const featureRows = features.map((f) => f.arraySync() as number[][]);
    let mismatches = 0;
    rows.forEach((seq, b) => {
      const xs = seq.map((id, t) => {
        const parts = [m.embedding.subarray(id * E, (id + 1) * E), ...m.features.map((f, i) => f.data.subarray(featureRows[i][b][t] * f.cols, (featureRows[i][b][t] + 1) * f.cols))];
        return Int8Array.from(parts.flatMap((p) => Array.from(p)));
      });
      const order = seq.map((_, t) => t);
      const fw = direction(m.forward, xs, order);
      const bw = direction(m.backward, xs, [...order].reverse());
      seq.forEach((_, t) => {
        const hcat = new Int8Array(2 * H);
        hcat.set(fw[t], 0);
        hcat.set(bw[t], H);
        const want = gemvInt8(m.outWeights, tagsN, 2 * H, hcat, m.outBias);
        const got = logits[b * seq.length + t];
        for (let j = 0; j < tagsN; j++) if (got[j] !== want[j]) mismatches++;
      });
    });
    expect(mismatches).toBe(0);
    expect('biasX' in m.forward).toBe(gru === 1);
    model.disposeQatConstants(k);
    model.dispose();
    tf.dispose([words, ...features]);
  });

  test('length batches hold sentences of one length and cover every sentence once per epoch', () => {
    const sentences = [3, 1, 3, 2, 3, 3, 1].map((n, i) => ({ file: 'ca01', words: Array(n).fill(`w${i}`), tags: Array(n).fill('nn') }));
    const lb = new LengthBatches(sentences, 2, 9);
    expect(lb.batches.every((b) => b.every((s) => s.words.length === b[0].words.length))).toBe(true);
    const epoch = Array.from({ length: lb.batches.length }, (_, s) => lb.at(s)).flat();
    expect(new Set(epoch).size).toBe(sentences.length);
    expect(lb.at(3)).toEqual(new LengthBatches(sentences, 2, 9).at(3));
  });
});

describe('pos-brown tiny preset', () => {
  test('float training lowers the loss and beats tagging every word with the most frequent tag; QAT fine-tunes from it', async () => {
    const floatDir = join(root, 'float');
    // baseline: every word gets the most frequent training tag, on the same validation slice
    const data = loadBrownPos();
    const counts = new Map<string, number>();
    for (const t of data.train.flatMap((s) => s.tags)) counts.set(t, (counts.get(t) ?? 0) + 1);
    const top = [...counts.entries()].sort((a, b) => b[1] - a[1])[0][0];
    const slice = data.valid.slice(0, POS_PRESETS.tiny.train.evalSentences).flatMap((s) => s.tags);
    const baseline = slice.filter((t) => t === top).length / slice.length;
    const r = await trainPos({ preset: 'tiny', outDir: floatDir });
    expect(r.finalLoss).toBeLessThan(r.initialLoss - 1);
    expect(r.validation!.accuracy).toBeGreaterThan(baseline + 0.1);
    const q = await trainPos({ preset: 'tiny', outDir: join(root, 'qat'), qatFrom: floatDir });
    expect(q.mode).toBe('qat');
    expect(loadCheckpoint(join(root, 'qat')).meta.quant!.lstm[0].norm).not.toBeNull();
    expect(q.validation!.accuracy).toBeGreaterThan(baseline + 0.1);
    // the tiny preset has spelling features: words outside the vocabulary are counted apart
    expect(q.validation!.oovTokens).toBeGreaterThan(0);
    expect(q.validation!.oovAccuracy).toBeGreaterThan(0);
  }, 180_000);
});

describe('pos-brown with GRU cells (--cell gru)', () => {
  test('tiny-gru trains float, then QAT with one GRU quantization state for both directions', async () => {
    const floatDir = join(root, 'gru-float');
    const r = await trainPos({ preset: 'tiny-gru', outDir: floatDir, steps: 30 });
    expect(r.finalLoss).toBeLessThan(r.initialLoss - 1);
    expect(loadCheckpoint(floatDir).meta.config.gru).toBe(1);
    const q = await trainPos({ preset: 'tiny', cell: 'gru', outDir: join(root, 'gru-qat'), qatFrom: floatDir, steps: 4 }).catch((e: Error) => e);
    // the LSTM preset with MadNorm does not turn into a GRU: the error names the GRU presets
    expect(String(q)).toMatch(/--cell: preset tiny is an LSTM preset with MadNorm; GRU taggers: --preset tiny-gru/);
    const qat = await trainPos({ preset: 'tiny-gru', outDir: join(root, 'gru-qat'), qatFrom: floatDir, steps: 4 });
    expect(qat.mode).toBe('qat');
    const quant = loadCheckpoint(join(root, 'gru-qat')).meta.quant!;
    expect([quant.lstm.length, quant.gru?.length]).toEqual([0, 1]);
    expect(qat.validation!.accuracy).toBeGreaterThan(0.3);
    await expect(trainPos({ preset: 'small-gru', cell: 'lstm', outDir: join(root, 'never') })).rejects.toThrow(/--cell: preset small-gru is a GRU preset/);
    await expect(trainPos({ preset: 'tiny-gru', outDir: join(root, 'never4'), qatFrom: floatDir, weightBits: 4 })).rejects.toThrow(/--weight-bits: pos-brown trains int8 weights only/);
  }, 180_000);

  test('each GRU preset has the parameter count of its LSTM preset, within 0.5%', async () => {
    const params = (name: string) => {
      const p = POS_PRESETS[name];
      const m = new BiLstmTagger({ ...p.model, vocabSize: 1000, tagCount: 187 });
      const n = m.namedVariables().reduce((a, v) => a + v.variable.size, 0);
      m.dispose();
      return n;
    };
    for (const name of ['tiny', 'small', 'medium']) {
      const [a, b] = [params(name), params(`${name}-gru`)];
      expect([name, Math.abs(b - a) / a < 0.005]).toEqual([name, true]);
    }
  });
});
