import { loadAddon } from '@intrnn/runtime-native';
import { crossEntropy, LstmLanguageModel } from '../src/models/language-model.js';
import { denseCrossEntropyNative, setTrainingThreads, trainingBackend, useNativeTraining } from '../src/qat/native-ops.js';
import { disposeLstmQatConstants, QLstm, type LstmQatConstants } from '../src/qat/qlstm.js';
import { mm } from '../src/qat/fast-ops.js';
import { tf, useWasmBackend } from '../src/qat/tf-backend.js';

// The native training kernels against the tfjs ops they replace: the same values (integers exactly,
// floats within float32 rounding) and the same gradients.

beforeAll(async () => {
  await useWasmBackend();
});
afterEach(() => {
  useNativeTraining(true);
  setTrainingThreads(2);
});

const hasAddon = loadAddon().addon !== null;
const describeNative = hasAddon ? describe : describe.skip;

test('training says which kernels it uses', () => {
  const b = trainingBackend();
  expect(b.native).toBe(hasAddon);
  expect(b.reason).toMatch(hasAddon ? /^native (avx512|avx2|scalar), \d+ threads?$/ : /tfjs wasm ops/);
  useNativeTraining(false);
  expect(trainingBackend()).toEqual({ native: false, reason: expect.stringMatching(/disabled/) });
});

type Grads = Record<string, Float32Array>;

/** Loss Σ ys · probe over a layer's outputs, its value and its gradients, on one backend. */
function layerRun(layer: QLstm, x: tf.Tensor, probe: tf.Tensor, k: LstmQatConstants | null, init: { h: tf.Tensor; c: tf.Tensor }, native: boolean) {
  useNativeTraining(native);
  let ys: Float32Array = new Float32Array();
  let hT: Float32Array = new Float32Array();
  let cT: Float32Array = new Float32Array();
  const xv = tf.variable(x.clone(), true, `x${Math.random()}`);
  const vars = [xv, ...layer.variables];
  const { value, grads } = tf.variableGrads(() => {
    const r = k ? layer.forwardQat(xv, k, init) : layer.forwardFloat(xv, init);
    ys = r.ys.dataSync() as Float32Array;
    hT = r.h.dataSync() as Float32Array;
    cT = r.c.dataSync() as Float32Array;
    return tf.sum(r.ys.mul(probe)) as tf.Scalar;
  }, vars);
  const g: Grads = {};
  for (const [name, t] of Object.entries(grads)) g[name.startsWith('x') ? 'x' : name.slice(name.lastIndexOf('/') + 1)] = t.dataSync() as Float32Array;
  const loss = value.dataSync()[0];
  tf.dispose([value, ...Object.values(grads), xv]);
  return { ys, hT, cT, loss, g };
}

function maxRelDiff(a: Float32Array, b: Float32Array): number {
  const scale = Math.max(1e-6, ...Array.from(b, Math.abs));
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / scale);
  return worst;
}

function makeLayer(D: number, H: number, seed: number, gain: number, madNorm = false): QLstm {
  const layer = new QLstm(D, H, seed, `nt${seed}_${D}_${H}_${gain}${madNorm ? 'n' : ''}`, madNorm);
  layer.wx.assign(layer.wx.mul(gain));
  layer.wh.assign(layer.wh.mul(gain));
  if (madNorm) {
    // γ and β away from their initial values, so that every part of the normalization matters
    layer.normGamma!.assign(tf.randomUniform([4, H], 0.3, 2.5, 'float32', seed + 3));
    layer.normBeta!.assign(tf.randomUniform([4, H], -1, 1, 'float32', seed + 4));
  }
  return layer;
}

/** Names of a layer's variables as layerRun keys its gradients. */
function gradNames(layer: QLstm): string[] {
  return ['x', 'wx', 'wh', 'bias', ...(layer.normGamma ? ['gamma', 'beta'] : [])];
}

describeNative('the native LSTM layer', () => {
  test.each([
    [1, 1, 1, 1, 1, false],
    [3, 5, 2, 4, 2, false],
    [7, 16, 3, 6, 1, false],
    [17, 33, 2, 5, 3, false],
    [40, 64, 4, 9, 1, false],
    [3, 5, 2, 4, 2, true],
    [17, 33, 2, 5, 1, true],
    [40, 64, 3, 7, 2, true],
  ])('float cell D=%i H=%i B=%i T=%i gain %i, MadNorm %s: outputs and gradients equal tfjs within float32 rounding', (D, H, B, T, gain, madNorm) => {
    const layer = makeLayer(D, H, 100 + D, gain, madNorm);
    const x = tf.randomNormal([B, T, D], 0, 1, 'float32', D);
    const probe = tf.randomNormal([B, T, H], 0, 1, 'float32', H);
    const init = { h: tf.randomNormal([B, H], 0, 0.5, 'float32', 3), c: tf.randomNormal([B, H], 0, 1, 'float32', 4) };
    const want = layerRun(layer, x, probe, null, init, false);
    const got = layerRun(layer, x, probe, null, init, true);
    expect(maxRelDiff(got.ys, want.ys)).toBeLessThan(1e-5);
    expect(maxRelDiff(got.cT, want.cT)).toBeLessThan(1e-5);
    expect(Array.from(got.hT)).toEqual(Array.from(got.ys.filter((_, i) => Math.floor(i / H) % T === T - 1)));
    for (const name of gradNames(layer)) expect([name, maxRelDiff(got.g[name], want.g[name]) < 1e-4]).toEqual([name, true]);
    tf.dispose([x, probe, init.h, init.c, ...layer.variables]);
  });

  // shrink < 1 calibrates the ranges on smaller inputs than the run sees: gate pre-activations and
  // the cell then saturate, and the gradient must stop there exactly as the tfjs ops stop it
  test.each([
    [1, 1, 2, 3, 1, 1, false],
    [5, 7, 3, 6, 1, 1, false],
    [8, 16, 2, 8, 3, 1, false],
    [17, 33, 2, 5, 1, 1, false],
    [32, 64, 4, 6, 4, 1, false],
    [16, 24, 3, 7, 2, 0.05, false],
    [9, 40, 2, 9, 6, 0.02, false],
    [3, 2, 2, 4, 1, 1, true],
    [8, 16, 2, 6, 3, 1, true],
    [17, 33, 2, 4, 1, 1, true],
    [16, 24, 3, 7, 2, 0.05, true],
  ])(
    'QAT cell D=%i H=%i B=%i T=%i gain %i (calibrated at %f of the inputs), MadNorm %s: the same integers as the tfjs QAT forward, the same straight-through gradients',
    (D, H, B, T, gain, shrink, madNorm) => {
      const layer = makeLayer(D, H, 200 + D, gain, madNorm);
      const xReal = tf.randomNormal([B, T, D], 0, 1, 'float32', D + 1);
      const ranges = { maxAbsGate: 0, maxAbsCell: 0 };
      useNativeTraining(false);
      tf.tidy(() => void layer.forwardFloat(xReal.mul(shrink), undefined, ranges));
      const inputScale = tf.max(tf.abs(xReal)).dataSync()[0] / 127;
      const k = layer.qatConstants(QLstm.calibrate(inputScale, ranges, layer.normGammaMax()));
      layer.accumulatorBound(k);
      const xInt = tf.tidy(() => tf.clipByValue(tf.round(xReal.div(inputScale)), -128, 127));
      const init = { h: tf.randomUniformInt([B, H], -128, 128, 8).cast('float32'), c: tf.randomUniformInt([B, H], -32768, 32768, 9).cast('float32') };
      const probe = tf.randomNormal([B, T, H], 0, 1, 'float32', H + 2);
      const want = layerRun(layer, xInt, probe, k, init, false);
      const got = layerRun(layer, xInt, probe, k, init, true);
      expect(Array.from(got.ys)).toEqual(Array.from(want.ys));
      expect(Array.from(got.hT)).toEqual(Array.from(want.hT));
      expect(Array.from(got.cT)).toEqual(Array.from(want.cT));
      for (const name of gradNames(layer)) expect([name, maxRelDiff(got.g[name], want.g[name]) < 1e-4]).toEqual([name, true]);
      disposeLstmQatConstants(k);
      tf.dispose([xReal, xInt, probe, init.h, init.c, ...layer.variables]);
    },
  );

  test('the thread count changes no bit of the outputs or gradients', () => {
    const layer = makeLayer(24, 40, 7, 2);
    const x = tf.randomNormal([6, 12, 24], 0, 1, 'float32', 1);
    const probe = tf.randomNormal([6, 12, 40], 0, 1, 'float32', 2);
    const init = { h: tf.zeros([6, 40]), c: tf.zeros([6, 40]) };
    setTrainingThreads(1);
    const one = layerRun(layer, x, probe, null, init, true);
    setTrainingThreads(2);
    const two = layerRun(layer, x, probe, null, init, true);
    expect(Array.from(two.ys)).toEqual(Array.from(one.ys));
    for (const name of ['x', 'wx', 'wh', 'bias']) expect(Array.from(two.g[name])).toEqual(Array.from(one.g[name]));
    tf.dispose([x, probe, init.h, init.c, ...layer.variables]);
  });
});

describeNative('the native output layer with softmax cross-entropy', () => {
  test.each([
    [1, 1, 2, 1],
    [5, 3, 7, 1],
    [33, 17, 65, 1],
    [40, 16, 300, 0.37],
  ])('N=%i K=%i V=%i scale %f: loss and gradients equal tfjs crossEntropy', (N, K, V, scale) => {
    const x = tf.variable(tf.randomNormal([N, K], 0, 1, 'float32', N), true, `dx${N}${V}`);
    const w = tf.variable(tf.randomNormal([V, K], 0, 0.5, 'float32', V), true, `dw${N}${V}`);
    const b = tf.variable(tf.randomNormal([V], 0, 1, 'float32', K), true, `db${N}${V}`);
    const targets = tf.tensor1d(
      Array.from({ length: N }, (_, i) => (i * 7) % V),
      'int32',
    );
    const run = (native: boolean) => {
      const { value, grads } = tf.variableGrads(() => (native ? denseCrossEntropyNative(x, w, b, targets, scale)! : crossEntropy(mm(x, tf.transpose(w)).add(b).mul(scale), targets)), [x, w, b]);
      const out = { loss: value.dataSync()[0], g: [x, w, b].map((v) => grads[v.name].dataSync() as Float32Array) };
      tf.dispose([value, ...Object.values(grads)]);
      return out;
    };
    const want = run(false);
    const got = run(true);
    expect(Math.abs(got.loss - want.loss)).toBeLessThan(1e-5 * Math.max(1, want.loss));
    got.g.forEach((g, i) => expect(maxRelDiff(g, want.g[i])).toBeLessThan(1e-4));
    tf.dispose([x, w, b, targets]);
  });

  test('a target outside the vocabulary is an error, not a wrong loss', () => {
    const x = tf.zeros([2, 3]);
    const w = tf.zeros([4, 3]);
    const b = tf.zeros([4]);
    expect(() => denseCrossEntropyNative(x, w, b, tf.tensor1d([1, 4], 'int32'))).toThrow(/target 1 is 4, outside \[0, 4\)/);
    tf.dispose([x, w, b]);
  });
});

describeNative('a whole language model step on both backends', () => {
  test.each([
    ['float', false],
    ['QAT', true],
  ])('%s: the same loss and gradients for every variable', (_, qat) => {
    const model = new LstmLanguageModel({ vocabSize: 60, embedSize: 12, hiddenSize: 20, layers: 2, seed: 3 });
    const ids = tf.randomUniformInt([3, 7], 0, 60, 5) as tf.Tensor2D;
    const targets = tf.randomUniformInt([3, 7], 0, 60, 6) as tf.Tensor2D;
    if (qat) model.calibrate([ids]);
    const k = qat ? model.qatConstants() : undefined;
    const run = (native: boolean) => {
      useNativeTraining(native);
      const { value, grads } = tf.variableGrads(() => (k ? model.outputLoss(model.hiddenQat(ids, k).hidden, targets, k) : model.outputLoss(model.hiddenFloat(ids).hidden, targets)), model.variables);
      const out = { loss: value.dataSync()[0], g: model.variables.map((v) => grads[v.name].dataSync() as Float32Array) };
      const evalLoss = k ? model.outputLoss(model.hiddenQat(ids, k).hidden, targets, k, true) : model.outputLoss(model.hiddenFloat(ids).hidden, targets, undefined, true);
      tf.dispose([value, ...Object.values(grads)]);
      return { ...out, evalLoss };
    };
    const want = run(false);
    const got = run(true);
    expect(Math.abs(got.loss - want.loss)).toBeLessThan(1e-5 * want.loss);
    expect(Math.abs(got.evalLoss - want.loss)).toBeLessThan(1e-5 * want.loss);
    got.g.forEach((g, i) => expect([model.variables[i].name, maxRelDiff(g, want.g[i]) < 1e-4]).toEqual([model.variables[i].name, true]));
    if (k) model.disposeQatConstants(k);
    model.dispose();
    tf.dispose([ids, targets]);
  });
});
