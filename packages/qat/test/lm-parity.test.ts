import { gemvInt8, lstmStepReference } from '@intrnn/runtime-core';
import { LstmLanguageModel } from '../src/index.js';
import { tf, useWasmBackend } from '../src/qat/tf-backend.js';
import { useNativeTraining } from '../src/qat/native-ops.js';

beforeAll(async () => {
  await useWasmBackend();
});

/** The integer language model run by runtime-core's reference kernels, token by token. */
function referenceLogits(m: ReturnType<LstmLanguageModel['exportIntegers']>, E: number, V: number, ids: number[]): Int32Array[] {
  const H = m.layers[0].hiddenSize;
  const h: Int8Array[] = m.layers.map(() => new Int8Array(H));
  const c: Int16Array[] = m.layers.map(() => new Int16Array(H));
  return ids.map((id) => {
    let x: Int8Array = m.embedding.subarray(id * E, (id + 1) * E);
    m.layers.forEach((p, l) => {
      if ('biasX' in p) throw new Error('an LSTM model was expected');
      const s = lstmStepReference(p, x, h[l], c[l]);
      h[l] = s.h;
      c[l] = s.c;
      x = s.h;
    });
    return gemvInt8(m.outWeights, V, H, x, m.outBias);
  });
}

describe.each([
  ['native kernels', true],
  ['tfjs ops', false],
])('the QAT language model computes exactly what runtime-core kernels compute (%s)', (_, native) => {
  beforeAll(() => useNativeTraining(native as boolean));
  afterAll(() => useNativeTraining(true));
  test.each([
    [40, 8, 8, 1, 5],
    [50, 16, 12, 2, 6],
    [64, 24, 32, 2, 7],
  ])('V=%i E=%i H=%i layers=%i (seed %i): identical int32 logits for every token of every sequence', (V, E, H, layers, seed) => {
    const model = new LstmLanguageModel({ vocabSize: V, embedSize: E, hiddenSize: H, layers, seed });
    const ids = tf.randomUniformInt([3, 9], 0, V, seed) as tf.Tensor2D;
    model.calibrate([ids]);
    const k = model.qatConstants();
    const logits = tf.tidy(() => model.forwardQat(ids, k).logitsInt.arraySync() as number[][]);
    const ints = model.exportIntegers(k);
    const rows = ids.arraySync() as number[][];
    let mismatches = 0;
    rows.forEach((seq, b) => {
      referenceLogits(ints, E, V, seq).forEach((want, t) => {
        const got = logits[b * seq.length + t];
        for (let v = 0; v < V; v++) if (got[v] !== want[v]) mismatches++;
      });
    });
    expect(mismatches).toBe(0);
    model.disposeQatConstants(k);
    model.dispose();
    ids.dispose();
  });
});
