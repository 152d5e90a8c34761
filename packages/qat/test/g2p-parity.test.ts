import { attentionReference, gemvInt8, lstmStepReference, type LstmCellParams } from '@intrnn/runtime-core';
import { G2pModel, type G2pIntegers } from '../src/index.js';
import { tf, useWasmBackend } from '../src/qat/tf-backend.js';

beforeAll(async () => {
  await useWasmBackend();
});

function run(p: LstmCellParams, xs: Int8Array[], order: number[]): Int8Array[] {
  const out: Int8Array[] = [];
  let h: Int8Array = new Int8Array(p.hiddenSize);
  let c: Int16Array = new Int16Array(p.hiddenSize);
  for (const t of order) {
    const s = lstmStepReference(p, xs[t], h, c);
    h = s.h;
    c = s.c;
    out[t] = s.h;
  }
  return out;
}

/** The integer G2P model by runtime-core's reference kernels: encoder both ways, decoder, attention, dense. */
export function referenceG2pLogits(m: G2pIntegers, E: number, letters: number[], decoderIn: number[]): Int32Array[] {
  const H = m.encoderForward.hiddenSize;
  const xs = letters.map((id) => m.letters.subarray(id * E, (id + 1) * E));
  const order = letters.map((_, t) => t);
  const fw = run(m.encoderForward, xs, order);
  const bw = run(m.encoderBackward, xs, [...order].reverse());
  const enc = new Int8Array(letters.length * 2 * H);
  letters.forEach((_, t) => {
    enc.set(fw[t], t * 2 * H);
    enc.set(bw[t], t * 2 * H + H);
  });
  const ys = decoderIn.map((id) => m.phones.subarray(id * E, (id + 1) * E));
  const dec = run(
    m.decoder,
    ys,
    ys.map((_, t) => t),
  );
  const P = m.outBias.length;
  return dec.map((h) => {
    const ctx = attentionReference(h, enc, letters.length, 2 * H, m.attention);
    const f = new Int8Array(4 * H);
    f.set(h, 0);
    f.set(ctx, 2 * H);
    return gemvInt8(m.outWeights, P, 4 * H, f, m.outBias);
  });
}

describe('G2P attention model: the QAT forward computes exactly what runtime-core kernels compute', () => {
  test.each([
    [12, 9, 8, 6, 3, 5, 4],
    [28, 20, 16, 12, 2, 9, 8],
  ])('letters %i, phones %i, E=%i H=%i (batch %i, S=%i, T=%i): identical int32 logits', (L, P, E, H, B, S, Tn) => {
    const model = new G2pModel({ letterCount: L, phoneCount: P, embedSize: E, hiddenSize: H, seed: 7 });
    const letters = tf.randomUniformInt([B, S], 0, L, 3) as tf.Tensor2D;
    const decoderIn = tf.randomUniformInt([B, Tn], 0, P, 4) as tf.Tensor2D;
    model.calibrate([{ letters, decoderIn }]);
    const k = model.qatConstants();
    const logits = tf.tidy(() => model.forwardQat(letters, decoderIn, k).logitsInt.arraySync() as number[][]);
    const ints = model.exportIntegers(k);
    const ls = letters.arraySync() as number[][];
    const ds = decoderIn.arraySync() as number[][];
    let mismatches = 0;
    let checked = 0;
    ls.forEach((row, b) => {
      referenceG2pLogits(ints, E, row, ds[b]).forEach((want, t) => {
        const got = logits[b * Tn + t];
        for (let j = 0; j < P; j++) {
          checked++;
          if (got[j] !== want[j]) mismatches++;
        }
      });
    });
    expect(checked).toBe(B * Tn * P);
    expect(mismatches).toBe(0);
    model.disposeQatConstants(k);
    model.dispose();
    tf.dispose([letters, decoderIn]);
  });

  test('the attention weights are not trivial: contexts differ across decoder steps', () => {
    const model = new G2pModel({ letterCount: 12, phoneCount: 9, embedSize: 8, hiddenSize: 6, seed: 2 });
    const letters = tf.tensor2d([[1, 2, 3, 4, 5, 6]], [1, 6], 'int32');
    const decoderIn = tf.tensor2d([[0, 3, 5, 7]], [1, 4], 'int32');
    model.calibrate([{ letters, decoderIn }]);
    const k = model.qatConstants();
    const rows = tf.tidy(() => model.forwardQat(letters, decoderIn, k).logitsInt.arraySync() as number[][]);
    expect(new Set(rows.map((r) => r.join(','))).size).toBeGreaterThan(1);
    model.disposeQatConstants(k);
    model.dispose();
    tf.dispose([letters, decoderIn]);
  });
});
