import { AttributeType, encodeMetadata, encodeModel, INTRNN_DOMAIN, makeTensor, METADATA_KEY, type IModelProto, type ModelMetadata, type Tensor } from '@intrnn/format';
import { IntrnnError } from '@intrnn/format';
import { gemvInt8, kernelsFor, loadModel, registerKernel, type KernelEntry } from '../src/index.js';

// The executor on models written by hand: tokens → Gather(embedding) → IntDense → logits.
const V = 6;
const E = 4;
const N = 5;
const embedding = Int8Array.from({ length: V * E }, (_, i) => ((i * 37) % 255) - 127);
const w = Int8Array.from({ length: N * E }, (_, i) => ((i * 53) % 255) - 127);
const bias = Int32Array.from({ length: N }, (_, i) => i * 1000 - 2000);

const meta: ModelMetadata = {
  format: 'intrnn',
  formatVersion: 1,
  opsetVersion: 1,
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

function model(change: (m: IModelProto) => void = () => undefined): Uint8Array {
  const m: IModelProto = {
    irVersion: 10,
    opsetImport: [
      { domain: '', version: 21 },
      { domain: INTRNN_DOMAIN, version: 1 },
    ],
    metadataProps: [{ key: METADATA_KEY, value: encodeMetadata(meta) }],
    graph: {
      name: 'toy',
      node: [
        { name: 'embed', opType: 'Gather', domain: '', input: ['embedding', 'tokens'], output: ['x'], attribute: [{ name: 'axis', type: AttributeType.INT, i: 0 }] },
        { name: 'output', opType: 'IntDense', domain: INTRNN_DOMAIN, input: ['x', 'W', 'B'], output: ['logits'] },
      ],
      initializer: [makeTensor('embedding', 'int8', [V, E], embedding), makeTensor('W', 'int8', [N, E], w), makeTensor('B', 'int32', [N], bias)],
      input: [{ name: 'tokens', type: { tensorType: { elemType: 7, shape: { dim: [{ dimValue: 1 }, { dimParam: 'T' }] } } } }],
      output: [{ name: 'logits', type: { tensorType: { elemType: 6, shape: { dim: [{ dimValue: 1 }, { dimParam: 'T' }, { dimValue: N }] } } } }],
    },
  };
  change(m);
  return encodeModel(m);
}

const feeds = (ids: number[]): Record<string, Tensor> => ({ tokens: { type: 'int64', dims: [1, ids.length], data: BigInt64Array.from(ids, BigInt) } });
const expected = (ids: number[]) => Int32Array.from(ids.flatMap((id) => Array.from(gemvInt8(w, N, E, embedding.subarray(id * E, (id + 1) * E), bias))));

function errorOf(f: () => unknown): IntrnnError {
  try {
    f();
  } catch (e) {
    if (e instanceof IntrnnError) return e;
    throw e;
  }
  throw new Error('expected a typed error');
}

describe('the executor', () => {
  test('plans the graph on the best kernels and runs it exactly, on every backend', () => {
    const ids = [3, 0, 5, 5, 1];
    for (const backends of [undefined, ['core', 'reference'], ['reference']]) {
      const m = loadModel(model(), backends ? { backends } : undefined);
      expect(Array.from(m.run(feeds(ids)).logits.data as Int32Array)).toEqual(Array.from(expected(ids)));
    }
    expect(loadModel(model()).backends).toEqual({ embed: 'reference', output: 'core' });
    expect(loadModel(model(), { backend: 'reference' }).backends).toEqual({ embed: 'reference', output: 'reference' });
  });

  test('outputs of one run stay intact after later runs (one arena per run)', () => {
    const m = loadModel(model());
    const first = m.run(feeds([1, 2])).logits;
    const copy = Array.from(first.data as Int32Array);
    for (let i = 0; i < 5; i++) m.run(feeds([4, 4, 4]));
    expect(Array.from(first.data as Int32Array)).toEqual(copy);
  });

  test('an input must play its role: a weight fed at run time or an activation given as a constant is refused', () => {
    const fedWeight = errorOf(() =>
      loadModel(model((m) => (m.graph!.initializer = m.graph!.initializer!.filter((t) => t.name !== 'W')) && m.graph!.input!.push({ name: 'W', type: { tensorType: { elemType: 3 } } }))),
    );
    expect(fedWeight).toMatchObject({ code: 'ERR_MODEL_GRAPH', where: 'node output.W' });
    const constantActivation = errorOf(() => loadModel(model((m) => (m.graph!.node![1].input = ['W', 'W', 'B']))));
    expect(constantActivation).toMatchObject({ code: 'ERR_MODEL_GRAPH', where: 'node output.X' });
  });

  test('Gather and Concat with the wrong number of inputs are typed model errors at load, not TypeErrors at run', () => {
    const gather1 = model((m) => {
      m.graph!.node![0].input = ['embedding'];
    });
    expect(errorOf(() => loadModel(gather1))).toMatchObject({ code: 'ERR_MODEL_GRAPH', where: 'embed' });
    const gather3 = model((m) => {
      m.graph!.node![0].input = ['embedding', 'tokens', 'tokens'];
    });
    expect(errorOf(() => loadModel(gather3))).toMatchObject({ code: 'ERR_MODEL_GRAPH', where: 'embed' });
    const concat0 = model((m) => {
      m.graph!.node!.splice(1, 0, { name: 'join', opType: 'Concat', domain: '', input: [], output: ['y'], attribute: [{ name: 'axis', type: AttributeType.INT, i: -1 }] });
    });
    expect(errorOf(() => loadModel(concat0))).toMatchObject({ code: 'ERR_MODEL_GRAPH', where: 'join' });
  });

  test('a feed whose data is not the typed array of its type is a typed error, never read as something else', () => {
    const m = loadModel(model());
    const bad = (data: unknown) => errorOf(() => m.run({ tokens: { type: 'int64', dims: [1, 2], data: data as BigInt64Array } }));
    expect(bad(new Float64Array([1, 2]))).toMatchObject({ code: 'ERR_FEED_TYPE', where: "feed 'tokens'.data" });
    expect(bad([1n, 2n])).toMatchObject({ code: 'ERR_FEED_TYPE', message: expect.stringContaining('BigInt64Array') });
    expect(bad(null)).toMatchObject({ code: 'ERR_FEED_TYPE' });
    expect(errorOf(() => m.run({ tokens: 7 as unknown as Tensor }))).toMatchObject({ code: 'ERR_FEED_TYPE', where: "feed 'tokens'" });
    expect(Array.from(m.run(feeds([1, 2])).logits.data as Int32Array)).toEqual(Array.from(expected([1, 2])));
  });

  test('a domain named after an Object property is an unsupported op, not a crash', () => {
    for (const domain of ['constructor', '__proto__', 'toString']) {
      expect(errorOf(() => loadModel(model((m) => (m.graph!.node![1].domain = domain))))).toMatchObject({ code: 'ERR_MODEL_UNSUPPORTED' });
    }
  });
});

describe('the kernel registry', () => {
  const dense = kernelsFor('IntDense').find((k) => k.backend === 'core')!;

  test('refuses a second kernel for one (op, backend) pair', () => {
    expect(() => registerKernel({ ...dense })).toThrow(/IntDense\/core: a kernel is already registered/);
  });

  test("falls back per node when a backend's create fails for its own reasons, and records why", () => {
    const flaky: KernelEntry = {
      op: 'IntDense',
      backend: 'test-flaky',
      priority: -1, // chosen only when asked for: the default selection never picks a test backend
      create(node) {
        if (node.constants[1]!.dims[0] === N) throw new IntrnnError('ERR_BACKEND', node.name, 'this backend does not serve 5 rows');
        return dense.create(node);
      },
    };
    registerKernel(flaky);
    const m = loadModel(model(), { backends: ['test-flaky', 'core', 'reference'] });
    expect(m.backends.output).toBe('core');
    expect(m.fallbacks).toEqual([{ node: 'output', backend: 'test-flaky', reason: 'output: this backend does not serve 5 rows' }]);
    expect(Array.from(m.run(feeds([2])).logits.data as Int32Array)).toEqual(Array.from(expected([2])));
  });

  test('a typed error about the model itself is raised by the first backend, never masked by a fallback', () => {
    const strict: KernelEntry = {
      op: 'IntDense',
      backend: 'test-strict',
      priority: -1,
      create: (node) => {
        throw new IntrnnError('ERR_MODEL_TENSOR', `${node.name}.W`, 'is not acceptable');
      },
    };
    registerKernel(strict);
    expect(errorOf(() => loadModel(model(), { backends: ['test-strict', 'core', 'reference'] }))).toMatchObject({ code: 'ERR_MODEL_TENSOR', where: 'output.W' });
  });
});
