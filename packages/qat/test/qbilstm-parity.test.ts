import { lstmStepReference, type LstmCellParams } from '@intrnn/runtime-core';
import { QBiLstm } from '../src/qat/qbilstm.js';
import { tf, useWasmBackend } from '../src/qat/tf-backend.js';

beforeAll(async () => {
  await useWasmBackend();
});

/** Run one cell of the reference over a sequence (in the given order), returning h per position. */
function run(p: LstmCellParams, xs: number[][], order: number[]): Int8Array[] {
  const out: Int8Array[] = new Array(xs.length);
  let h: Int8Array = new Int8Array(p.hiddenSize);
  let c: Int16Array = new Int16Array(p.hiddenSize);
  for (const t of order) {
    const s = lstmStepReference(p, Int8Array.from(xs[t]), h, c);
    h = s.h;
    c = s.c;
    out[t] = s.h;
  }
  return out;
}

describe('QBiLstm in QAT mode computes exactly what runtime-core computes in both directions', () => {
  test.each([
    [3, 2, 2, 4, false, 21],
    [8, 16, 2, 7, true, 22],
    [17, 33, 3, 5, true, 23],
    [32, 64, 2, 6, false, 24],
  ])('D=%i H=%i B=%i T=%i MadNorm=%s (seed %i): identical [forward ; backward] outputs at every position', (D, H, B, T, madNorm, seed) => {
    const layer = new QBiLstm(D, H, seed, `bi${seed}`, madNorm);
    const x = tf.randomNormal([B, T, D], 0, 1, 'float32', seed);
    const ranges = { maxAbsGate: 0, maxAbsCell: 0 };
    tf.tidy(() => void layer.forwardFloat(x, ranges));
    const inputScale = tf.max(tf.abs(x)).dataSync()[0] / 127;
    const k = layer.qatConstants(QBiLstm.calibrate(inputScale, ranges, layer.normGammaMax()));
    expect(k.fw.state).toBe(k.bw.state); // one quantization state for both directions
    const xInt = tf.tidy(() => tf.clipByValue(tf.round(x.div(inputScale)), -128, 127));
    const got = tf.tidy(() => layer.forwardQat(xInt, k).arraySync() as number[][][]);
    const cells = layer.exportCells(k);
    const xs = xInt.arraySync() as number[][][];
    const forwardOrder = Array.from({ length: T }, (_, t) => t);
    let mismatches = 0;
    for (let b = 0; b < B; b++) {
      const fw = run(cells.forward, xs[b], forwardOrder);
      const bw = run(cells.backward, xs[b], [...forwardOrder].reverse());
      for (let t = 0; t < T; t++) {
        for (let u = 0; u < H; u++) {
          if (got[b][t][u] !== fw[t][u]) mismatches++;
          if (got[b][t][H + u] !== bw[t][u]) mismatches++;
        }
      }
    }
    expect(mismatches).toBe(0);
    layer.disposeConstants(k);
    layer.dispose();
    tf.dispose([x, xInt]);
  });
});
