import { inputNames, IntrnnError, type Tensor } from '@intrnn/format';
import { kernelsFor, LIMITS, lstmTensors, LSTM_INPUT, pwlTensors, type NodeSpec } from '../src/index.js';
import { lstmParams, sampledTable } from './fixtures.js';

// Every value range a kernel relies on is checked when the kernel is built, by the same code on
// every backend: a file one engine refuses, all refuse, with the same error. (The native and wasm
// kernels share this parsing; tools/test/fuzz.test.ts compares all four engines on mutants.)

const D = 5;
const H = 3;

/** The IntLSTM node's constants in input order, with one input replaced. */
function lstmNode(change: (inputs: Record<string, Tensor>) => void = () => undefined): NodeSpec {
  const named = lstmTensors(lstmParams(D, H, 7, { norm: true }));
  change(named);
  const order = inputNames('IntLSTM', true); // the op signature's order, MadNorm group included
  expect(order.indexOf('norm_gamma')).toBe(LSTM_INPUT.gamma);
  return { name: 'lstm', op: 'IntLSTM', constants: order.map((n) => named[n] ?? null), attributes: {} };
}

/** The typed error (code and place) each backend's kernel factory raises, by backend. */
function refusals(node: NodeSpec): Record<string, string> {
  return Object.fromEntries(
    kernelsFor(node.op).map((k) => {
      try {
        k.create(node);
        return [k.backend, 'built'];
      } catch (e) {
        if (!(e instanceof IntrnnError)) throw e;
        return [k.backend, `${e.code} @ ${e.where}`];
      }
    }),
  );
}

/** The same outcome on every backend the op has here. */
const everywhere = (outcome: string, op = 'IntLSTM') => Object.fromEntries(kernelsFor(op).map((k) => [k.backend, outcome]));

function setParams(inputs: Record<string, Tensor>, name: string, index: number, value: number): void {
  const data = Int32Array.from(inputs[name].data as Int32Array);
  data[index] = value;
  inputs[name] = { ...inputs[name], data };
}

describe('value ranges are checked at load, alike on every backend', () => {
  test('the valid cell builds everywhere (the control)', () => {
    expect(refusals(lstmNode())).toEqual(everywhere('built'));
  });

  test('an LSTM activation table wider than int16 is refused (its products would pass 2^53)', () => {
    // params = [fracBits, outBits, symmetry, center]
    const node = lstmNode((t) => setParams(t, 'sigmoid_params', 1, 24));
    expect(refusals(node)).toEqual(everywhere('ERR_MODEL_TENSOR @ lstm.sigmoid_params'));
  });

  test.each([
    ['β outside int24', 'norm_beta', 2, 2 ** 23],
    ['multiplier of 2^21 or more', 'norm_params', 1, 2 ** 21],
    ['normFracBits above 23', 'norm_params', 0, 24],
    ['output width above 16', 'norm_params', 3, 17],
  ])('MadNorm: %s is refused at load, not at the first run', (_, name, index, value) => {
    const node = lstmNode((t) => setParams(t, name, index, value));
    expect(refusals(node)).toEqual(everywhere(`ERR_MODEL_TENSOR @ lstm.${name}`));
  });

  test('an LSTM weight whose worst-case accumulator leaves int32 is refused by every backend at load', () => {
    const node = lstmNode((t) => setParams(t, 'B', 2, 2 ** 31 - 1));
    expect(refusals(node)).toEqual(everywhere('ERR_OVERFLOW @ lstm.W'));
  });

  test('an IntDense whose worst-case accumulator leaves int32 is refused at load by the reference kernel too', () => {
    const K = 4;
    const node: NodeSpec = {
      name: 'dense',
      op: 'IntDense',
      constants: [null, { type: 'int8', dims: [2, K], data: new Int8Array(2 * K).fill(127) }, { type: 'int32', dims: [2], data: Int32Array.from([0, 2 ** 31 - 1]) }],
      attributes: {},
    };
    expect(refusals(node)).toEqual(everywhere('ERR_OVERFLOW @ dense.W', 'IntDense'));
  });

  test('an exp table that dips below 0 between its knots, or is 0 at input 0, is refused at load', () => {
    const attention = (exp: ReturnType<typeof sampledTable>): NodeSpec => {
      const t = pwlTensors('exp', exp);
      return { name: 'att', op: 'IntAttention', constants: [null, null, { type: 'int32', dims: [2], data: Int32Array.from([1 << 20, 24]) }, t.exp, t.exp_params], attributes: {} };
    };
    const good = sampledTable(Math.exp, -16384, 0, 32, 2 ** -10, 2 ** -15);
    expect(refusals(attention(good))).toEqual(everywhere('built', 'IntAttention'));
    // the slopes are the file's own: knots -20 and 0 (values 5 and 1) with slope -1 give 5 - 19 = -14 at q = -1
    const dips = { ...good, inMin: -20, inMax: 0, knots: [-20, 0], values: [5, 1], slopes: [-1], fracBits: 0 };
    expect(refusals(attention(dips))).toEqual(everywhere('ERR_MODEL_TENSOR @ att.exp', 'IntAttention'));
    // positive at its last knot (10), but 0 at input 0, where the softmax's largest score lands
    const zero = { ...good, inMin: -20, inMax: 10, knots: [-20, 10], values: [0, 5], slopes: [0], fracBits: 0 };
    expect(refusals(attention(zero))).toEqual(everywhere('ERR_MODEL_TENSOR @ att.exp', 'IntAttention'));
  });
});

describe('one call cannot demand unbounded memory or time', () => {
  const run = (node: NodeSpec, inputs: Tensor[]) =>
    Object.fromEntries(
      kernelsFor(node.op).map((k) => {
        try {
          k.create(node).run(inputs);
          return [k.backend, 'ran'];
        } catch (e) {
          if (!(e instanceof IntrnnError)) throw e;
          return [k.backend, `${e.code} @ ${e.where}`];
        }
      }),
    );

  test(`an IntDense call with more than ${LIMITS.outputElements} outputs is refused before it allocates them`, () => {
    const N = 2 ** 14;
    const node: NodeSpec = {
      name: 'dense',
      op: 'IntDense',
      constants: [null, { type: 'int8', dims: [N, 1], data: new Int8Array(N).fill(1) }, { type: 'int32', dims: [N], data: new Int32Array(N) }],
      attributes: {},
    };
    const x = (rows: number): Tensor => ({ type: 'int8', dims: [1, rows, 1], data: new Int8Array(rows) });
    expect(run(node, [x(4)])).toEqual(everywhere('ran', 'IntDense'));
    expect(run(node, [x(2 ** 13 + 1)])).toEqual(everywhere('ERR_LIMIT @ dense.X', 'IntDense'));
  });

  test(`an attention call of more than ${LIMITS.macs} multiply-accumulates is refused before it starts`, () => {
    const exp = pwlTensors('exp', sampledTable(Math.exp, -16384, 0, 32, 2 ** -10, 2 ** -15));
    const node: NodeSpec = { name: 'att', op: 'IntAttention', constants: [null, null, { type: 'int32', dims: [2], data: Int32Array.from([1 << 20, 24]) }, exp.exp, exp.exp_params], attributes: {} };
    const D = 2 ** 11;
    const q: Tensor = { type: 'int8', dims: [1, 2 ** 13, D], data: new Int8Array(2 ** 24) };
    const k: Tensor = { type: 'int8', dims: [1, 2 ** 12, D], data: new Int8Array(2 ** 23) };
    expect(run(node, [q, k])).toEqual(everywhere('ERR_LIMIT @ att', 'IntAttention'));
  });
});
