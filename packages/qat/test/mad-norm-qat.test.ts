import fc from 'fast-check';
import { madNormReference } from '@intrnn/runtime-core';
import { disposeMadNormConstants, madNormConstants, madNormExact, madNormFloat, madNormQat } from '../src/qat/mad-norm.js';
import { tf, useWasmBackend } from '../src/qat/tf-backend.js';

beforeAll(async () => {
  await useWasmBackend();
});

const quant = { inScale: 2 ** -12, normFracBits: 11, gammaScale: 2 ** -13, outScale: 2 ** -12 };

describe('MadNorm in QAT computes exactly what runtime-core computes', () => {
  test.each([1, 2, 3, 7, 8, 16, 33, 64, 65, 128, 256])('rows of %i values: random int16 rows, γ and β', (n) => {
    const c = madNormConstants(quant);
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.integer({ min: -32768, max: 32767 }), { minLength: n, maxLength: n }), { minLength: 3, maxLength: 3 }),
        fc.array(fc.integer({ min: -32768, max: 32767 }), { minLength: n, maxLength: n }),
        fc.array(fc.integer({ min: -40000, max: 40000 }), { minLength: n, maxLength: n }),
        fc.constantFrom(1, 100, 4000),
        (rows, gamma, beta, spread) => {
          const xs = rows.map((r) => r.map((v) => Math.trunc(v / spread))); // small spreads exercise large reciprocals
          const got = tf.tidy(() => madNormExact(tf.tensor2d(xs), tf.tensor1d(gamma), tf.tensor1d(beta), c).arraySync() as number[][]);
          const p = { gamma: Int16Array.from(gamma), beta: Int32Array.from(beta), normFracBits: 11, multiplier: c.multiplier, shift: c.shift, outBits: 16 };
          xs.forEach((x, i) => expect(got[i]).toEqual(Array.from(madNormReference(x, p))));
        },
      ),
      { numRuns: 15 },
    );
    disposeMadNormConstants(c);
  });

  test('an all-equal row gives β, as the reference does', () => {
    const c = madNormConstants(quant);
    const got = tf.tidy(() => Array.from(madNormExact(tf.tensor2d([[5, 5, 5, 5]]), tf.tensor1d([100, 200, 300, 400]), tf.tensor1d([7, -8, 9, 40000]), c).dataSync()));
    expect(got).toEqual([7, -8, 9, 32767]);
    disposeMadNormConstants(c);
  });

  test('the QAT op quantizes γ and β, and its gradient is the float MadNorm gradient (straight-through)', () => {
    const c = madNormConstants(quant);
    const x = tf.tensor2d([[1000, -3000, 250, 4000, -10]]);
    const gamma = tf.tensor1d([1, 0.5, -0.75, 2, 1]);
    const beta = tf.tensor1d([0, 0.1, -0.2, 0.3, 0]);
    const weights = tf.tensor2d([[1, -2, 3, 0.5, 1]]);
    const [gx, gg, gb] = tf.grads((a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => madNormQat(a, g, b, c).mul(weights).sum())([x, gamma, beta]);
    const [fx, fg, fb] = tf.grads((a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => madNormFloat(a.mul(quant.inScale), g, b).div(quant.outScale).mul(weights).sum())([x, gamma, beta]);
    // named tolerance: γ and β are rounded to their integer grids in the surrogate's inputs
    for (const [a, b] of [
      [gx, fx],
      [gg, fg],
      [gb, fb],
    ]) {
      const u = a.dataSync();
      const v = b.dataSync();
      for (let i = 0; i < u.length; i++) expect(Math.abs(u[i] - v[i])).toBeLessThanOrEqual(1e-3 * Math.max(1, Math.abs(v[i])));
    }
    // value: the exact integers of the reference
    const out = madNormQat(x, gamma, beta, c).dataSync();
    const p = { gamma: Int16Array.from([8192, 4096, -6144, 16384, 8192]), beta: Int32Array.from([0, 410, -819, 1229, 0]), normFracBits: 11, multiplier: c.multiplier, shift: c.shift, outBits: 16 };
    expect(Array.from(out)).toEqual(Array.from(madNormReference([1000, -3000, 250, 4000, -10], p)));
    disposeMadNormConstants(c);
  });
});
