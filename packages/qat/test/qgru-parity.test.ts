import { gruStepReference } from '@intrnn/runtime-core';
import { disposeGruQatConstants, QGru } from '../src/qat/qgru.js';
import { tf, useWasmBackend } from '../src/qat/tf-backend.js';

beforeAll(async () => {
  await useWasmBackend();
});

/** Run a random GRU layer in QAT mode and the reference step on the same integers; count mismatches. */
function parity(D: number, H: number, B: number, T: number, seed: number, weightGain: number) {
  const layer = new QGru(D, H, seed, `g${seed}`);
  // larger weights drive gates into saturation; biases away from 0 so both bias paths matter
  layer.wx.assign(layer.wx.mul(weightGain));
  layer.wh.assign(layer.wh.mul(weightGain));
  layer.biasX.assign(tf.randomUniform([3 * H], -1, 1, 'float32', seed + 2));
  layer.biasH.assign(tf.randomUniform([3 * H], -1, 1, 'float32', seed + 3));
  const xReal = tf.randomNormal([B, T, D], 0, 1, 'float32', seed + 7);
  const ranges = { maxAbsGate: 0 };
  tf.tidy(() => layer.forwardFloat(xReal, undefined, ranges));
  const inputScale = tf.max(tf.abs(xReal)).dataSync()[0] / 127;
  const k = layer.qatConstants(QGru.calibrate(inputScale, ranges));
  layer.accumulatorBound(k);
  const xInt = tf.tidy(() => tf.clipByValue(tf.round(xReal.div(inputScale)), -128, 127));
  const h0 = tf.randomUniformInt([B, H], -128, 128, seed + 8).cast('float32');
  const ys = tf.tidy(() => layer.forwardQat(xInt, k, { h: h0 }).ys.arraySync() as number[][][]);
  const params = layer.exportCell(k);
  const xs = xInt.arraySync() as number[][][];
  const hs0 = h0.arraySync() as number[][];
  let mismatches = 0;
  let compared = 0;
  let saturated = 0;
  for (let b = 0; b < B; b++) {
    let h: Int8Array = Int8Array.from(hs0[b]);
    for (let t = 0; t < T; t++) {
      h = gruStepReference(params, Int8Array.from(xs[b][t]), h);
      for (let u = 0; u < H; u++) {
        if (h[u] !== ys[b][t][u]) mismatches++;
        if (h[u] === 127 || h[u] === -128) saturated++;
      }
      compared += H;
    }
  }
  disposeGruQatConstants(k);
  tf.dispose([xReal, xInt, h0, ...layer.variables]);
  return { mismatches, compared, saturated };
}

test.each([
  [1, 1, 2, 3, 1, 1],
  [3, 2, 2, 5, 2, 1],
  [5, 7, 3, 6, 3, 1],
  [8, 16, 2, 8, 4, 3],
  [17, 33, 2, 5, 5, 1],
  [32, 64, 4, 6, 6, 4],
  [64, 65, 2, 4, 7, 2],
])('QGru in QAT mode computes exactly what runtime-core computes: D=%i H=%i B=%i T=%i (seed %i, weight gain %i)', (D, H, B, T, seed, gain) => {
  const r = parity(D, H, B, T, seed, gain);
  expect(r.compared).toBe(B * T * H);
  expect(r.mismatches).toBe(0);
});

test('large weights reach the saturated ends of h, still exactly', () => {
  const r = parity(16, 24, 2, 8, 9, 8);
  expect(r.saturated).toBeGreaterThan(0);
  expect(r.mismatches).toBe(0);
});

test('the QAT forward has gradients for every variable', () => {
  const layer = new QGru(4, 3, 21, 'grad');
  const x = tf.randomNormal([2, 3, 4], 0, 1, 'float32', 5);
  const ranges = { maxAbsGate: 0 };
  tf.tidy(() => layer.forwardFloat(x, undefined, ranges));
  const k = layer.qatConstants(QGru.calibrate(tf.max(tf.abs(x)).dataSync()[0] / 127, ranges));
  const xInt = tf.tidy(() => tf.round(x.div(k.state.inputScale)));
  const { grads } = tf.variableGrads(() => layer.forwardQat(xInt, k).ys.sum() as tf.Scalar, layer.variables);
  for (const v of layer.variables) {
    const g = grads[v.name];
    expect(g.shape).toEqual(v.shape);
    expect(tf.sum(tf.abs(g)).dataSync()[0]).toBeGreaterThan(0);
  }
  const floatGrads = tf.variableGrads(() => layer.forwardFloat(x).ys.sum() as tf.Scalar, layer.variables).grads;
  for (const v of layer.variables) expect(tf.sum(tf.abs(floatGrads[v.name])).dataSync()[0]).toBeGreaterThan(0);
  disposeGruQatConstants(k);
});
