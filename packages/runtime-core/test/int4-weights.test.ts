import {
  AttributeType,
  DataType,
  encodeMetadata,
  encodeModel,
  INTRNN_DOMAIN,
  IntrnnError,
  makeTensor,
  METADATA_KEY,
  packInt4,
  readTensor,
  unpackInt4,
  type IModelProto,
  type ModelMetadata,
  type Tensor,
} from '@intrnn/format';
import { gruTensors, loadModel, requantize, weightTensor } from '../src/index.js';
import { gruParams, int8s } from './fixtures.js';

// int4 weights (docs/integer-semantics.md §6a): the packing, the reader's checks, and files an
// engine must refuse. That every kernel computes the int8 products of the same values is in the
// conformance cases (the "int4" ones) and the converter's parity test.

describe('int4 packing', () => {
  test('pack and unpack are inverse for every value, odd and even counts; the pad nibble is 0', () => {
    for (const n of [1, 2, 3, 16, 17, 64, 65]) {
      const values = int8s(n, n, -8, 7);
      const packed = packInt4(values);
      expect(packed.length).toBe((n + 1) >> 1);
      expect(Array.from(unpackInt4(packed, n))).toEqual(Array.from(values));
      if (n % 2) expect(packed[packed.length - 1] >> 4).toBe(0);
    }
    // low nibble first, as ONNX stores INT4: [-8, 7] is 0x78, [-1, 0] is 0x0f
    expect(Array.from(packInt4([-8, 7, -1, 0]))).toEqual([0x78, 0x0f]);
  });

  test('values outside int4 are refused, not wrapped', () => {
    for (const v of [8, -9, 0.5]) expect(() => packInt4([0, v])).toThrow(/value 1 is .* outside int4/);
  });

  test('the reader checks byte count, pad nibble and storage', () => {
    const proto = (rawData: Uint8Array | undefined, dims: number[]) => ({ name: 'w', dataType: DataType.INT4, dims, rawData });
    expect(readTensor(proto(Uint8Array.from([0x78, 0x0f]), [2, 2]))).toMatchObject({ type: 'int4', dims: [2, 2] });
    const codeOf = (t: ReturnType<typeof proto>) => {
      try {
        readTensor(t);
        return 'read';
      } catch (e) {
        return e instanceof IntrnnError ? `${e.code}: ${e.message}` : String(e);
      }
    };
    expect(codeOf(proto(Uint8Array.from([1, 2, 3]), [2, 2]))).toMatch(/^ERR_MODEL_TENSOR: .*holds 3 bytes; dims \[2,2\] of int4 need 2/);
    expect(codeOf(proto(Uint8Array.from([0x78, 0x1f]), [3]))).toMatch(/^ERR_MODEL_TENSOR: .*nonzero pad nibble/);
    expect(codeOf(proto(undefined, [3]))).toMatch(/^ERR_MODEL_TENSOR: .*without raw_data/);
    expect(() => makeTensor('w', 'int4', [3], new Uint8Array(1))).toThrow(/take 2 packed bytes/);
  });
});

// A toy file: tokens → Gather(Cast(int4 embedding)) → IntDense(int4 W), or int8 throughout.
const [V, E, N] = [6, 5, 3];
const emb = int8s(V * E, 1, -8, 7);
const w = int8s(N * E, 2, -8, 7);
const bias = Int32Array.from([5, -7, 100]);
const meta: ModelMetadata = {
  format: 'intrnn',
  formatVersion: 1,
  opsetVersion: 3,
  task: 'toy',
  kind: 'tagger',
  numerics: 'integer',
  vocabularies: { input: Array.from({ length: V }, (_, i) => `w${i}`), output: Array.from({ length: N }, (_, i) => `t${i}`), unknown: 'w0' },
  scales: { embedding: 1, logits: 1 },
  layers: [],
  pwlTables: {},
  overflowProof: [],
  source: { producer: 'test', preset: 'none', checkpointStep: 0, dataFingerprint: 'none' },
};
const cast = (input: string, to: number = DataType.INT8) => ({
  name: 'cast',
  opType: 'Cast',
  domain: '',
  input: [input],
  output: ['table'],
  attribute: [{ name: 'to', type: AttributeType.INT, i: to }],
});

function toyModel(bits: 4 | 8, change: (m: IModelProto) => void = () => undefined, version = 3): Uint8Array {
  const tensor = (name: string, values: Int8Array, dims: number[]) => {
    const t = weightTensor(values, dims, bits);
    return makeTensor(name, t.type, t.dims, t.data);
  };
  const m: IModelProto = {
    irVersion: 10,
    opsetImport: [
      { domain: '', version: 21 },
      { domain: INTRNN_DOMAIN, version },
    ],
    metadataProps: [{ key: METADATA_KEY, value: encodeMetadata({ ...meta, opsetVersion: version }) }],
    graph: {
      name: 'toy',
      node: [
        ...(bits === 4 ? [cast('embedding')] : []),
        { name: 'embed', opType: 'Gather', domain: '', input: [bits === 4 ? 'table' : 'embedding', 'tokens'], output: ['x'], attribute: [{ name: 'axis', type: AttributeType.INT, i: 0 }] },
        { name: 'output', opType: 'IntDense', domain: INTRNN_DOMAIN, input: ['x', 'W', 'B'], output: ['logits'] },
      ],
      initializer: [tensor('embedding', emb, [V, E]), tensor('W', w, [N, E]), makeTensor('B', 'int32', [N], bias)],
      input: [{ name: 'tokens', type: { tensorType: { elemType: DataType.INT64, shape: { dim: [{ dimValue: 1 }, { dimParam: 'T' }] } } } }],
      output: [{ name: 'logits', type: { tensorType: { elemType: DataType.INT32, shape: { dim: [{ dimValue: 1 }, { dimParam: 'T' }, { dimValue: N }] } } } }],
    },
  };
  change(m);
  return encodeModel(m);
}

const feeds = (ids: number[]): Record<string, Tensor> => ({ tokens: { type: 'int64', dims: [1, ids.length], data: BigInt64Array.from(ids, BigInt) } });

function refusal(bytes: Uint8Array, backend: string): string {
  try {
    loadModel(bytes, { backends: [backend, 'reference'] });
    return 'loaded';
  } catch (e) {
    return e instanceof IntrnnError ? `${e.code} ${e.where}` : String(e);
  }
}

describe('int4 files in the executor', () => {
  test.each(['reference', 'core'])('%s: an int4 file gives the int8 file of the same values, bit for bit', (backend) => {
    const ids = [0, 5, 3, 3, 1];
    const four = loadModel(toyModel(4), { backends: [backend, 'reference'] });
    expect(Object.values(four.backends)).toContain(backend);
    const eight = loadModel(toyModel(8, undefined, 1), { backends: [backend, 'reference'] });
    expect(Array.from(four.run(feeds(ids)).logits.data as Int32Array)).toEqual(Array.from(eight.run(feeds(ids)).logits.data as Int32Array));
    expect(four.lookupRows('tokens')).toBe(V); // the folded table stands for the embedding
  });

  const refused: [string, Uint8Array, string][] = [
    ['an int4 initializer in a file importing version 2', toyModel(4, undefined, 2), 'ERR_MODEL_VERSION initializer embedding'],
    ['a Gather of an int4 table without the Cast', toyModel(4, (m) => m.graph!.node!.splice(0, 2, { ...m.graph!.node![1], input: ['embedding', 'tokens'] })), 'ERR_MODEL_UNSUPPORTED embed.data'],
    ['a Cast to another type than int8', toyModel(4, (m) => (m.graph!.node![0] = cast('embedding', DataType.INT32))), 'ERR_MODEL_UNSUPPORTED node cast'],
    ['a Cast of an int8 initializer', toyModel(4, (m) => (m.graph!.node![0] = cast('B'))), 'ERR_MODEL_UNSUPPORTED node cast'],
    ['a Cast of a graph input', toyModel(4, (m) => (m.graph!.node![0] = cast('tokens'))), 'ERR_MODEL_UNSUPPORTED node cast'],
    [
      'an int4 graph input',
      toyModel(4, (m) => m.graph!.input!.push({ name: 'q', type: { tensorType: { elemType: DataType.INT4, shape: { dim: [{ dimValue: 2 }] } } } })),
      "ERR_MODEL_UNSUPPORTED input 'q'",
    ],
    ['an int4 tensor where the signature has no int4 (IntDense B)', toyModel(4, (m) => (m.graph!.initializer![2] = makeTensor('B', 'int4', [N], packInt4([1, 2, 3])))), 'ERR_MODEL_TENSOR output.B'],
  ];
  const requantized = (mults: number[], shifts: number[], version = 3, extra = true, bits: 4 | 8 = 4) =>
    toyModel(
      bits,
      (m) => {
        m.graph!.initializer!.push(makeTensor('M', 'int32', [N], Int32Array.from(mults)), makeTensor('S', 'int8', [N], Int8Array.from(shifts)));
        m.graph!.node![bits === 4 ? 2 : 1].input = extra ? ['x', 'W', 'B', 'M', 'S'] : ['x', 'W', 'B', 'M'];
      },
      version,
    );
  refused.push(
    ['a requantizing IntDense in a file importing version 2', requantized([1 << 20, 1 << 20, 1 << 20], [20, 20, 20], 2, true, 8), 'ERR_MODEL_VERSION node output'],
    ['an IntDense with a multiplier and no shift', requantized([1 << 20, 1 << 20, 1 << 20], [20, 20, 20], 3, false), 'ERR_MODEL_GRAPH output'],
    ['an IntDense multiplier of 2^21', requantized([1 << 20, 1 << 21, 1 << 20], [20, 20, 20]), 'ERR_MODEL_TENSOR output.multipliers'],
    ['an IntDense shift of 64', requantized([1 << 20, 1 << 20, 1 << 20], [20, 64, 20]), 'ERR_MODEL_TENSOR output.shifts'],
  );

  test.each(['reference', 'core'])('%s: a requantizing IntDense gives requantize(acc, M, s, 24) per row (§6b)', (backend) => {
    const ids = [0, 5, 3];
    const mults = [1 << 20, (1 << 21) - 1, 1234567];
    const shifts = [20, 3, 30];
    const plain = Array.from(loadModel(toyModel(4), { backends: [backend, 'reference'] }).run(feeds(ids)).logits.data as Int32Array);
    const got = Array.from(loadModel(requantized(mults, shifts), { backends: [backend, 'reference'] }).run(feeds(ids)).logits.data as Int32Array);
    expect(got).toEqual(plain.map((acc, i) => requantize(acc, mults[i % N], shifts[i % N], 24)));
    expect(got.some((v, i) => v !== plain[i])).toBe(true);
  });

  test.each(refused)('refused alike by every kernel: %s', (_, bytes, want) => {
    expect(refusal(bytes, 'reference')).toBe(want);
    expect(refusal(bytes, 'core')).toBe(want);
  });

  test("a GRU layer whose W is int4 and R int8 is refused: a layer's weights share one width", () => {
    const p = gruParams(3, 2, 7);
    const t = gruTensors({ ...p, wx: int8s(6 * 3, 3, -8, 7), wh: int8s(6 * 2, 4, -8, 7), weightBits: 4 });
    const inputs = Object.keys(t);
    const m: IModelProto = {
      irVersion: 10,
      opsetImport: [
        { domain: '', version: 21 },
        { domain: INTRNN_DOMAIN, version: 3 },
      ],
      metadataProps: [
        {
          key: METADATA_KEY,
          value: encodeMetadata({ ...meta, pwlTables: { 'g.sigmoid': { inMin: 0, inMax: 1, inScale: 1, outScale: 1 }, 'g.tanh_gate': { inMin: 0, inMax: 1, inScale: 1, outScale: 1 } } }),
        },
      ],
      graph: {
        name: 'gru',
        node: [{ name: 'g', opType: 'IntGRU', domain: INTRNN_DOMAIN, input: ['x', ...inputs.map((n) => `g.${n}`), 'h0'], output: ['y', 'hT'] }],
        initializer: Object.entries({ ...t, R: { type: 'int8', dims: t.R.dims, data: unpackInt4(t.R.data as Uint8Array, 12) } as Tensor }).map(([n, v]) =>
          makeTensor(`g.${n}`, v.type, v.dims, v.data),
        ),
        input: [
          { name: 'x', type: { tensorType: { elemType: DataType.INT8, shape: { dim: [{ dimValue: 1 }, { dimValue: 1 }, { dimValue: 3 }] } } } },
          { name: 'h0', type: { tensorType: { elemType: DataType.INT8, shape: { dim: [{ dimValue: 1 }, { dimValue: 2 }] } } } },
        ],
        output: [{ name: 'hT', type: { tensorType: { elemType: DataType.INT8, shape: { dim: [{ dimValue: 1 }, { dimValue: 2 }] } } } }],
      },
    };
    const bytes = encodeModel(m);
    for (const backend of ['reference', 'core']) expect(refusal(bytes, backend)).toBe('ERR_MODEL_TENSOR g.R');
    expect(() => loadModel(bytes)).toThrow(/is int8 but W is int4; a layer's weights share one width/);
  });
});
