import { crossEntropy, LstmLanguageModel } from '../src/index.js';
import { CandidateSampler } from '../src/train/sampled-softmax.js';
import { tf, useWasmBackend } from '../src/qat/tf-backend.js';

beforeAll(async () => {
  await useWasmBackend();
});

describe('sampled softmax', () => {
  test('with every word sampled, no correction and the targets masked out, it is the full cross-entropy (value and gradients)', () => {
    const V = 30;
    const model = new LstmLanguageModel({ vocabSize: V, embedSize: 8, hiddenSize: 6, layers: 1, seed: 3 });
    const ids = tf.tensor2d(
      [
        [1, 4, 7],
        [2, 2, 29],
      ],
      [2, 3],
      'int32',
    );
    const targets = [4, 7, 9, 2, 29, 0];
    const t = tf.tensor1d(targets, 'int32');
    const s = {
      sampled: tf.range(0, V, 1, 'int32'),
      sampledLogQ: tf.zeros([V]),
      targetLogQ: tf.zeros([targets.length, 1]),
      hits: tf.oneHot(t, V).cast('float32'),
    };
    const full = tf.variableGrads(() => crossEntropy(model.forwardFloat(ids).logits, t), model.variables);
    const sampled = tf.variableGrads(() => model.sampledLoss(model.hiddenFloat(ids).hidden, t, s), model.variables);
    expect(sampled.value.dataSync()[0]).toBeCloseTo(full.value.dataSync()[0], 5);
    for (const v of model.variables) {
      const a = full.grads[v.name].dataSync();
      const b = sampled.grads[v.name].dataSync();
      for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - b[i])).toBeLessThan(1e-5); // named tolerance: float32 summation order
    }
    model.dispose();
  });

  test('samples: sorted and unique, deterministic per step, log Q ≤ 0, hits mark the target of each row', () => {
    const train = Int32Array.from({ length: 5000 }, (_, i) => (i * 7919) % 100);
    const sampler = new CandidateSampler(train, 100, 20, 5);
    const targets = Int32Array.from([3, 3, 50, 99]);
    const a = sampler.sample(7, targets);
    const b = sampler.sample(7, targets);
    const c = sampler.sample(8, targets);
    const ids = Array.from(a.sampled.dataSync());
    expect(ids).toEqual([...new Set(ids)].sort((x, y) => x - y));
    expect(Array.from(b.sampled.dataSync())).toEqual(ids);
    expect(Array.from(c.sampled.dataSync())).not.toEqual(ids);
    for (const q of [...a.sampledLogQ.dataSync(), ...a.targetLogQ.dataSync()]) expect(q).toBeLessThanOrEqual(0);
    const hits = a.hits.arraySync() as number[][];
    targets.forEach((t, r) => ids.forEach((id, j) => expect(hits[r][j]).toBe(id === t ? 1 : 0)));
    tf.dispose([a, b, c].flatMap((x) => [x.sampled, x.sampledLogQ, x.targetLogQ, x.hits]));
  });
});
