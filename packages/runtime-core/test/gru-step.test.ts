import { gruStepReference } from '../src/index.js';
import { oGruStep } from './oracle/bigint-oracle.js';
import { EDGE_LENGTHS, gruParams, int8s, toBig } from './fixtures.js';

// The integer GRU step (docs/integer-semantics.md §10b) against the independent BigInt oracle.
describe('gruStepReference', () => {
  test.each(EDGE_LENGTHS.map((n, i) => [n, EDGE_LENGTHS[(i + 3) % EDGE_LENGTHS.length]]))('D=%i H=%i: a three-step sequence equals the oracle (state carried)', (D, H) => {
    const p = gruParams(D, H, D * 1000 + H);
    let h = int8s(H, 11);
    for (let t = 0; t < 3; t++) {
      const x = int8s(D, 20 + t);
      const got = gruStepReference(p, x, h);
      expect(toBig(got)).toEqual(oGruStep(p, x, h));
      h = got;
    }
  });

  test('extreme weights and inputs (-128 everywhere) drive every saturation and still equal the oracle', () => {
    for (const [D, H] of [
      [1, 1],
      [17, 8],
      [65, 64],
    ]) {
      const p = gruParams(D, H, 3, true);
      for (const fill of [-128, 127]) {
        const x = new Int8Array(D).fill(fill);
        const h = new Int8Array(H).fill(fill);
        expect(toBig(gruStepReference(p, x, h))).toEqual(oGruStep(p, x, h));
      }
    }
  });

  test('h_t = h_{t-1} when the update gate saturates open', () => {
    // z at the top of the sigmoid table (32767 of 2^15): the blend and the rounding of steps 9-10 return h
    const p = gruParams(4, 3, 9);
    p.wx.fill(0);
    p.wh.fill(0);
    p.biasX.fill(0);
    p.biasH.fill(0);
    p.biasX.fill(2 ** 30, 0, 3); // the z rows saturate to the top of the sigmoid table
    p.multX.fill(2 ** 20, 0, 3);
    p.shiftX.fill(0, 0, 3);
    const h = Int8Array.from([-128, 5, 127]);
    expect(Array.from(gruStepReference(p, int8s(4, 1), h))).toEqual(Array.from(h));
  });

  test('wrong state shapes are typed errors naming the tensor', () => {
    const p = gruParams(3, 2, 1);
    expect(() => gruStepReference(p, new Int8Array(2), new Int8Array(2))).toThrow(/gru\.x: has 2 elements, expected 3/);
    expect(() => gruStepReference(p, new Int8Array(3), new Int8Array(3))).toThrow(/gru\.h: has 3 elements, expected 2/);
  });
});
