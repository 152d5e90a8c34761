import { crossEntropy, LstmLanguageModel } from '../src/index.js';
import { CandidateSampler } from '../src/train/sampled-softmax.js';
import { tf, useWasmBackend } from '../src/qat/tf-backend.js';

beforeAll(async () => {
  await useWasmBackend();
});

describe('sampled softmax', () => {
  test('with every word as a candidate and no correction it is the full cross-entropy (value and gradients)', () => {
    const model = new LstmLanguageModel({ vocabSize: 30, embedSize: 8, hiddenSize: 6, layers: 1, seed: 3 });
    const ids = tf.tensor2d([[1, 4, 7], [2, 2, 29]], [2, 3], 'int32');
    const targets = tf.tensor1d([4, 7, 9, 2, 29, 0], 'int32');
    const all = tf.range(0, 30, 1, 'int32') as tf.Tensor1D;
    const zero = tf.zeros([30]) as tf.Tensor1D;
    const full = tf.variableGrads(() => crossEntropy(model.forwardFloat(ids).logits, targets), model.variables);
    const sampled = tf.variableGrads(() => model.sampledLoss(model.hiddenFloat(ids).hidden, all, zero, targets), model.variables);
    expect(sampled.value.dataSync()[0]).toBeCloseTo(full.value.dataSync()[0], 5);
    for (const v of model.variables) {
      const a = full.grads[v.name].dataSync();
      const b = sampled.grads[v.name].dataSync();
      for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - b[i])).toBeLessThan(1e-5); // named tolerance: float32 summation order
    }
    model.dispose();
  });

  test('candidates: sorted, include every target, deterministic per step, corrections ≤ 0 and 0 for targets', () => {
    const train = Int32Array.from({ length: 5000 }, (_, i) => (i * 7919) % 100);
    const sampler = new CandidateSampler(train, 100, 20, 5);
    const targets = Int32Array.from([3, 3, 50, 99]);
    const a = sampler.sample(7, targets);
    const b = sampler.sample(7, targets);
    const c = sampler.sample(8, targets);
    const ids = Array.from(a.candidates.dataSync());
    expect(ids).toEqual([...ids].sort((x, y) => x - y));
    expect(new Set(ids).size).toBe(ids.length);
    for (const t of targets) expect(ids).toContain(t);
    expect(Array.from(b.candidates.dataSync())).toEqual(ids);
    expect(Array.from(c.candidates.dataSync())).not.toEqual(ids);
    const logQ = a.logQ.dataSync();
    ids.forEach((id, i) => (targets.includes(id) ? expect(logQ[i]).toBe(0) : expect(logQ[i]).toBeLessThan(0)));
    expect(Array.from(a.positions.dataSync()).map((p) => ids[p])).toEqual(Array.from(targets));
    tf.dispose([a.candidates, a.logQ, a.positions, b.candidates, b.logQ, b.positions, c.candidates, c.logQ, c.positions]);
  });
});
