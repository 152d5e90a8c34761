import fc from 'fast-check';
import { lstmStepReference, quantizeMultiplier } from '@intrnn/runtime-core';
import { disposeLstmQatConstants, QLstm } from '../src/qat/qlstm.js';
import { requireQatExactness } from '../src/qat/exactness.js';
import { fakeQuantWeights, makeRescale, productShift, rescale } from '../src/qat/ste-ops.js';
import { shiftConstants } from '../src/qat/exact-int.js';
import { tf, useWasmBackend } from '../src/qat/tf-backend.js';
import { useNativeTraining } from '../src/qat/native-ops.js';

beforeAll(async () => {
  await useWasmBackend();
});

/** Run a random layer in QAT mode and the reference kernel on the same integers; return mismatches. */
function parity(D: number, H: number, B: number, T: number, seed: number, weightGain: number, madNorm = false) {
  const layer = new QLstm(D, H, seed, `l${seed}${madNorm ? 'n' : ''}`, madNorm);
  if (madNorm) {
    // γ and β away from their initial values, so that every part of the normalization matters
    layer.normGamma!.assign(tf.randomUniform([4, H], 0.3, 2.5, 'float32', seed + 3));
    layer.normBeta!.assign(tf.randomUniform([4, H], -1, 1, 'float32', seed + 4));
  }
  // larger weights drive gates into saturation and the cell toward its limits
  layer.wx.assign(layer.wx.mul(weightGain));
  layer.wh.assign(layer.wh.mul(weightGain));
  const xReal = tf.randomNormal([B, T, D], 0, 1, 'float32', seed + 7);
  const ranges = { maxAbsGate: 0, maxAbsCell: 0 };
  tf.tidy(() => layer.forwardFloat(xReal, undefined, ranges));
  const inputScale = tf.max(tf.abs(xReal)).dataSync()[0] / 127;
  const state = QLstm.calibrate(inputScale, ranges, layer.normGammaMax());
  const k = layer.qatConstants(state);
  layer.accumulatorBound(k);
  const xInt = tf.tidy(() => tf.clipByValue(tf.round(xReal.div(inputScale)), -128, 127));
  const h0 = tf.randomUniformInt([B, H], -128, 128, seed + 8).cast('float32');
  const c0 = tf.randomUniformInt([B, H], -32768, 32768, seed + 9).cast('float32');
  const out = tf.tidy(() => {
    const r = layer.forwardQat(xInt, k, { h: h0, c: c0 });
    return { ys: r.ys.arraySync() as number[][][], c: r.c.arraySync() as number[][] };
  });
  const params = layer.exportCell(k);
  const xs = xInt.arraySync() as number[][][];
  const hs0 = h0.arraySync() as number[][];
  const cs0 = c0.arraySync() as number[][];
  let mismatches = 0;
  let compared = 0;
  for (let b = 0; b < B; b++) {
    let h: Int8Array = Int8Array.from(hs0[b]);
    let c: Int16Array = Int16Array.from(cs0[b]);
    for (let t = 0; t < T; t++) {
      const s = lstmStepReference(params, Int8Array.from(xs[b][t]), h, c);
      for (let u = 0; u < H; u++) if (s.h[u] !== out.ys[b][t][u]) mismatches++;
      compared += H;
      h = s.h;
      c = s.c;
    }
    for (let u = 0; u < H; u++) if (c[u] !== out.c[b][u]) mismatches++;
  }
  disposeLstmQatConstants(k);
  tf.dispose([xReal, xInt, h0, c0, ...layer.variables]);
  return { mismatches, compared, state };
}

// every case runs on both training backends: the native kernels (when the addon is built) and the tfjs ops
describe.each([
  ['native kernels', true],
  ['tfjs ops', false],
])('QLstm in QAT mode computes exactly what runtime-core computes (%s)', (_, native) => {
  beforeAll(() => useNativeTraining(native as boolean));
  afterAll(() => useNativeTraining(true));
  test.each([
    [1, 1, 2, 3, 1, 1],
    [3, 2, 2, 5, 2, 1],
    [5, 7, 3, 6, 3, 1],
    [8, 16, 2, 8, 4, 3],
    [17, 33, 2, 5, 5, 1],
    [32, 64, 4, 6, 6, 4],
    [64, 65, 2, 4, 7, 2],
  ])('D=%i H=%i B=%i T=%i (seed %i, weight gain %i): identical h and c at every step', (D, H, B, T, seed, gain) => {
    const r = parity(D, H, B, T, seed, gain);
    expect(r.compared).toBeGreaterThan(0);
    expect(r.mismatches).toBe(0);
  });
});

describe.each([
  ['native kernels', true],
  ['tfjs ops', false],
])('QLstm with MadNorm on the gate pre-activations, in QAT mode, computes exactly what runtime-core computes (%s)', (_, native) => {
  beforeAll(() => useNativeTraining(native as boolean));
  afterAll(() => useNativeTraining(true));
  test.each([
    [1, 1, 2, 3, 11, 1],
    [3, 2, 2, 4, 12, 1],
    [8, 16, 2, 6, 13, 3],
    [17, 33, 2, 4, 14, 1],
    [32, 64, 3, 5, 15, 2],
  ])('D=%i H=%i B=%i T=%i (seed %i, weight gain %i): identical h and c at every step', (D, H, B, T, seed, gain) => {
    const r = parity(D, H, B, T, seed, gain, true);
    expect(r.state.norm).not.toBeNull();
    expect(r.mismatches).toBe(0);
  });
});

describe('sequences of one step (length-1 sentences)', () => {
  test('float and QAT forwards are differentiable at T = 1 (tfjs unstack gradient bug)', () => {
    const layer = new QLstm(4, 3, 31, 'one-step', true);
    const x = tf.randomNormal([2, 1, 4], 0, 1, 'float32', 31);
    const ranges = { maxAbsGate: 0, maxAbsCell: 0 };
    const flt = tf.variableGrads(() => layer.forwardFloat(x, undefined, ranges).ys.sum() as tf.Scalar, layer.variables);
    expect(Object.keys(flt.grads)).toHaveLength(layer.variables.length);
    const k = layer.qatConstants(QLstm.calibrate(0.05, ranges, layer.normGammaMax()));
    const xInt = tf.round(x.div(0.05));
    const qat = tf.variableGrads(() => layer.forwardQat(xInt, k).ys.sum() as tf.Scalar, layer.variables);
    expect(Object.keys(qat.grads)).toHaveLength(layer.variables.length);
    expect(parity(3, 2, 2, 1, 32, 1).mismatches).toBe(0);
    disposeLstmQatConstants(k);
    tf.dispose([x, xInt, ...layer.variables, ...Object.values(flt.grads), ...Object.values(qat.grads), flt.value, qat.value]);
  });
});

describe('straight-through estimators have the gradients they claim', () => {
  test('rescale: dy · M·2^-n per column', () => {
    const m = quantizeMultiplier(0.37);
    const r = makeRescale([m.multiplier, m.multiplier], [m.shift, m.shift + 1]);
    const g = tf.grad((x: tf.Tensor) => rescale(x, r).sum())(
      tf.tensor2d([
        [100, -50],
        [7, 3],
      ]),
    );
    const ratio = m.multiplier * 2 ** -m.shift;
    expect(Array.from(g.dataSync())).toEqual([ratio, ratio / 2, ratio, ratio / 2].map((v) => Math.fround(v)));
  });

  test('productShift: the product rule scaled by 2^-n', () => {
    const a = tf.tensor1d([300, -20]);
    const b = tf.tensor1d([5, 7]);
    const c = shiftConstants(3);
    const [ga, gb] = tf.grads((x: tf.Tensor, y: tf.Tensor) => productShift(x, y, c, 3).sum())([a, b]);
    expect(Array.from(ga.dataSync())).toEqual([5 / 8, 7 / 8]);
    expect(Array.from(gb.dataSync())).toEqual([300 / 8, -20 / 8]);
  });

  test('fakeQuantWeights: dy / s, and a finite-difference check of the float surrogate it stands for', () => {
    const scale = tf.tensor1d([0.5, 0.25]);
    const w = tf.tensor2d([
      [0.3, -0.2],
      [1.1, 0.05],
    ]);
    const g = tf.grad((x: tf.Tensor) =>
      fakeQuantWeights(x, scale)
        .mul(
          tf.tensor2d([
            [1, 2],
            [3, 4],
          ]),
        )
        .sum(),
    )(w);
    expect(Array.from(g.dataSync())).toEqual([2, 8, 6, 16]);
    // value: round half away of w / s, clipped to ±127
    expect(Array.from(fakeQuantWeights(w, scale).dataSync())).toEqual([1, -1, 2, 0]);
  });

  test('the QAT forward is differentiable end to end and its gradients match the float model in sign', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1000 }), (seed) => {
        const layer = new QLstm(4, 3, seed, 'g');
        const x = tf.randomNormal([2, 3, 4], 0, 1, 'float32', seed);
        const ranges = { maxAbsGate: 0, maxAbsCell: 0 };
        tf.tidy(() => layer.forwardFloat(x, undefined, ranges));
        const state = QLstm.calibrate(tf.max(tf.abs(x)).dataSync()[0] / 127, ranges);
        const k = layer.qatConstants(state);
        const xInt = tf.round(x.div(state.inputScale));
        const target = tf.randomNormal([2, 3, 3], 0, 1, 'float32', seed + 1);
        const qat = tf.variableGrads(() => layer.forwardQat(xInt, k).ys.mul(state.hiddenScale).sub(target).square().sum() as tf.Scalar, [layer.wh]);
        const flt = tf.variableGrads(() => layer.forwardFloat(x).ys.sub(target).square().sum() as tf.Scalar, [layer.wh]);
        const a = qat.grads[layer.wh.name].dataSync();
        const b = flt.grads[layer.wh.name].dataSync();
        let agree = 0;
        let strong = 0;
        for (let i = 0; i < a.length; i++) {
          if (Math.abs(b[i]) > 1e-2) {
            strong++;
            if (Math.sign(a[i]) === Math.sign(b[i])) agree++;
          }
        }
        disposeLstmQatConstants(k);
        tf.dispose([x, xInt, target, ...layer.variables, ...Object.values(qat.grads), ...Object.values(flt.grads), qat.value, flt.value]);
        expect(agree).toBeGreaterThanOrEqual(Math.floor(0.8 * strong));
      }),
      { numRuns: 5 },
    );
  });
});

describe('the QAT exactness precondition (docs/integer-semantics.md §10a)', () => {
  const cell = (D: number, H: number, w: number) => ({
    inputSize: D,
    hiddenSize: H,
    wx: new Int8Array(4 * H * D).fill(w),
    wh: new Int8Array(4 * H * H).fill(1),
    bias: new Int32Array(4 * H),
    multX: new Int32Array(4 * H),
    shiftX: new Int32Array(4 * H),
    multH: new Int32Array(4 * H),
    shiftH: new Int32Array(4 * H),
    sigmoid: undefined as never,
    tanhGate: undefined as never,
    tanhCell: undefined as never,
    cellFracBits: 11,
    multOut: 0,
    shiftOut: 0,
  });
  test('bounds below 2^24 pass and the worst is returned; a bound of 2^24 or more names its matrix', () => {
    const out = { outWeights: new Int8Array(3 * 4).fill(2), outBias: new Int32Array(3) };
    expect(requireQatExactness({ layers: [cell(8, 2, 100)], ...out }, 'lm')).toBe(128 * 100 * 8);
    // 128 · 127 · 1033 = 16,792,448 ≥ 2^24
    expect(() => requireQatExactness({ layers: [cell(4, 2, 3), cell(1033, 2, 127)], ...out }, 'lm')).toThrow(/lm\.lstm1\.W: accumulator bound 16792448 reaches 2\^24/);
    expect(() => requireQatExactness({ decoder: cell(4, 2, 3), outWeights: new Int8Array(2 * 1100).fill(-127), outBias: new Int32Array(2) }, 'g2p')).toThrow(/g2p\.output\.W: accumulator bound/);
  });
});
