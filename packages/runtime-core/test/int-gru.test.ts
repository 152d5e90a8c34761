import { AttributeType, encodeMetadata, encodeModel, INTRNN_DOMAIN, makeTensor, METADATA_KEY, type IModelProto, type ModelMetadata, type Tensor } from '@intrnn/format';
import { IntrnnError, INTRNN_OPSET_VERSION, inputNames } from '@intrnn/format';
import { gruTensors, loadModel, type GruCellParams } from '../src/index.js';
import { intGruCore, intGruReference } from '../src/executor/kernels/int-gru.js';
import { oGruStep } from './oracle/bigint-oracle.js';
import { gruParams, int8s, toBig } from './fixtures.js';

// ai.intrnn:IntGRU in the executor on a hand-written file: X and initial_h fed, Y and Y_h out,
// both directions, two batch rows, against the BigInt oracle step by step.
const D = 5;
const H = 4;

function gruModel(p: GruCellParams, direction: string, change: (t: Record<string, Tensor>) => void = () => undefined, version = 2): Uint8Array {
  const tensors = gruTensors(p);
  change(tensors);
  const table = { inMin: 0, inMax: 32767, inScale: 1, outScale: 1 };
  const meta: ModelMetadata = {
    format: 'intrnn',
    formatVersion: 1,
    opsetVersion: version,
    task: 'toy',
    kind: 'tagger',
    numerics: 'integer',
    vocabularies: { input: ['a'], output: ['b'], unknown: 'a' },
    scales: { embedding: 1, logits: 1 },
    layers: [],
    pwlTables: { 'gru.sigmoid': table, 'gru.tanh_gate': table },
    overflowProof: [],
    source: { producer: 'test', preset: 'none', checkpointStep: 0, dataFingerprint: 'none' },
  };
  const names = inputNames('IntGRU');
  const inputs = names.map((n) => (n === 'X' ? 'x' : n === 'initial_h' ? 'h0' : `gru.${n}`));
  const value = (name: string, elemType: number, dim: { dimValue?: number; dimParam?: string }[]) => ({ name, type: { tensorType: { elemType, shape: { dim } } } });
  const m: IModelProto = {
    irVersion: 10,
    opsetImport: [
      { domain: '', version: 21 },
      { domain: INTRNN_DOMAIN, version },
    ],
    metadataProps: [{ key: METADATA_KEY, value: encodeMetadata(meta) }],
    graph: {
      name: 'gru',
      node: [
        {
          name: 'gru',
          opType: 'IntGRU',
          domain: INTRNN_DOMAIN,
          input: inputs,
          output: ['y', 'hT'],
          attribute: [{ name: 'direction', type: AttributeType.STRING, s: new TextEncoder().encode(direction) }],
        },
      ],
      initializer: Object.entries(tensors).map(([n, t]) => makeTensor(`gru.${n}`, t.type, t.dims, t.data)),
      input: [value('x', 3, [{ dimParam: 'B' }, { dimParam: 'T' }, { dimValue: D }]), value('h0', 3, [{ dimParam: 'B' }, { dimValue: H }])],
      output: [value('y', 3, [{ dimParam: 'B' }, { dimParam: 'T' }, { dimValue: H }]), value('hT', 3, [{ dimParam: 'B' }, { dimValue: H }])],
    },
  };
  return encodeModel(m);
}

describe('IntGRU in the executor', () => {
  test('IntGRU belongs to op set version 2: a file importing version 1 is refused, as is an unknown version', () => {
    const p = gruParams(D, H, 5);
    const codeOf = (bytes: Uint8Array) => {
      try {
        loadModel(bytes);
        return 'loaded';
      } catch (e) {
        return e instanceof IntrnnError ? `${e.code} ${e.where}` : String(e);
      }
    };
    expect(codeOf(gruModel(p, 'forward', undefined, 1))).toBe('ERR_MODEL_VERSION node gru');
    expect(codeOf(gruModel(p, 'forward', undefined, INTRNN_OPSET_VERSION + 1))).toBe('ERR_MODEL_VERSION opset_import.ai.intrnn');
    expect(codeOf(gruModel(p, 'forward', undefined, 2))).toBe('loaded');
  });

  const p = gruParams(D, H, 42);
  const B = 2;
  const T = 3;
  const x = int8s(B * T * D, 5);
  const h0 = int8s(B * H, 6);

  test.each(['forward', 'reverse'])('%s: every output equals the oracle, state carried along time', (direction) => {
    const out = loadModel(gruModel(p, direction), { backend: 'reference' }).run({ x: { type: 'int8', dims: [B, T, D], data: x }, h0: { type: 'int8', dims: [B, H], data: h0 } });
    const want: bigint[] = new Array(B * T * H);
    const last: bigint[] = [];
    for (let b = 0; b < B; b++) {
      let h: ArrayLike<number> = h0.subarray(b * H, (b + 1) * H);
      for (let s = 0; s < T; s++) {
        const t = direction === 'forward' ? s : T - 1 - s;
        const next = oGruStep(p, x.subarray((b * T + t) * D, (b * T + t + 1) * D), h);
        next.forEach((v, j) => (want[(b * T + t) * H + j] = v));
        h = next.map(Number);
      }
      last.push(...toBig(h));
    }
    expect(toBig(out.y.data as Int8Array)).toEqual(want);
    expect(toBig(out.hT.data as Int8Array)).toEqual(last);
  });

  test('a rescale out of range, a wide table or an overflowing bias is refused at load, naming the tensor', () => {
    const refusal = (change: (t: Record<string, Tensor>) => void) => {
      try {
        loadModel(gruModel(p, 'forward', change));
      } catch (e) {
        if (e instanceof IntrnnError) return `${e.code} @ ${e.where}`;
        throw e;
      }
      return 'loaded';
    };
    expect(refusal(() => undefined)).toBe('loaded');
    expect(refusal((t) => ((t.multipliers.data as Int32Array)[3] = 2 ** 21))).toBe('ERR_MODEL_TENSOR @ gru.multipliers');
    expect(refusal((t) => ((t.out_rescale.data as Int32Array)[3] = 64))).toBe('ERR_MODEL_TENSOR @ gru.out_rescale');
    expect(refusal((t) => ((t.sigmoid_params.data as Int32Array)[1] = 20))).toBe('ERR_MODEL_TENSOR @ gru.sigmoid_params');
    expect(refusal((t) => ((t.B.data as Int32Array)[3 * H + 1] = 2 ** 31 - 1))).toBe('ERR_OVERFLOW @ gru.R');
  });
});

describe('the core twin of IntGRU', () => {
  // the node as the executor hands it to a kernel: every constant input in signature order
  const node = (p: GruCellParams, direction: string) => {
    const t = gruTensors(p);
    return { name: 'gru', op: 'IntGRU', constants: inputNames('IntGRU').map((n) => t[n] ?? null), attributes: { direction } };
  };
  test.each([1, 2, 3, 7, 8, 15, 16, 17, 31, 33, 63, 64, 65])('H = D = %i: equal to the reference on every output, random and extreme values, both directions', (n) => {
    for (const extreme of [false, true]) {
      for (const direction of ['forward', 'reverse']) {
        const p = gruParams(n, n, 100 + n, extreme);
        const [B, T] = [2, 3];
        const inputs: Tensor[] = inputNames('IntGRU').map(() => ({ type: 'int8', dims: [0], data: new Int8Array(0) }) as Tensor);
        inputs[0] = { type: 'int8', dims: [B, T, n], data: int8s(B * T * n, n) };
        inputs[inputs.length - 1] = { type: 'int8', dims: [B, n], data: int8s(B * n, n + 1) };
        const want = intGruReference.create(node(p, direction)).run(inputs);
        const got = intGruCore.create(node(p, direction)).run(inputs);
        expect([n, extreme, direction, got.map((t) => Array.from(t.data as Int8Array))]).toEqual([n, extreme, direction, want.map((t) => Array.from(t.data as Int8Array))]);
      }
    }
  });
});
