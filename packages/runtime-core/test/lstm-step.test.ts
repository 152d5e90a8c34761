import { lstmStepReference } from '../src/index.js';
import { oLstmStep } from './oracle/bigint-oracle.js';
import { int8s, ints, lstmParams, toBig } from './fixtures.js';

const SIZES: Array<[number, number]> = [
  [1, 1],
  [2, 3],
  [3, 2],
  [7, 8],
  [8, 15],
  [16, 16],
  [17, 31],
  [33, 17],
  [64, 65],
  [65, 33],
];

describe('lstmStepReference', () => {
  test.each(SIZES)('D=%i H=%i: a three-step sequence equals the oracle (state carried)', (D, H) => {
    for (const norm of [false, true]) {
      const p = lstmParams(D, H, D * 1000 + H, { norm });
      let h: Int8Array = int8s(H, 11);
      let c: Int16Array = Int16Array.from(ints(H, -32768, 32767, 12));
      for (let t = 0; t < 3; t++) {
        const x = int8s(D, 20 + t);
        const want = oLstmStep(p, x, h, c);
        const got = lstmStepReference(p, x, h, c);
        expect(toBig(got.h)).toEqual(want.h);
        expect(toBig(got.c)).toEqual(want.c);
        h = got.h;
        c = got.c;
      }
    }
  });

  test('extreme weights and inputs (-128 everywhere) drive every saturation and still equal the oracle', () => {
    for (const [D, H] of [
      [1, 1],
      [8, 8],
      [33, 17],
      [65, 64],
    ]) {
      for (const norm of [false, true]) {
        const p = lstmParams(D, H, 7, { extreme: true, norm });
        const x = new Int8Array(D).fill(-128);
        const h = new Int8Array(H).fill(-128);
        for (const cFill of [-32768, 32767]) {
          const c = new Int16Array(H).fill(cFill);
          const got = lstmStepReference(p, x, h, c);
          const want = oLstmStep(p, x, h, c);
          expect(toBig(got.h)).toEqual(want.h);
          expect(toBig(got.c)).toEqual(want.c);
        }
      }
    }
  });

  test('wrong state shapes are typed errors naming the tensor', () => {
    const p = lstmParams(3, 2, 1);
    expect(() => lstmStepReference(p, new Int8Array(2), new Int8Array(2), new Int16Array(2))).toThrow(/lstm\.x: has 2 elements, expected 3/);
    expect(() => lstmStepReference(p, new Int8Array(3), new Int8Array(3), new Int16Array(2))).toThrow(/lstm\.h/);
    expect(() => lstmStepReference(p, new Int8Array(3), new Int8Array(2), new Int16Array(1))).toThrow(/lstm\.c/);
  });
});
