import { decodeModel, encodeModel, isIntrnnError, makeTensor, METADATA_KEY, type IModelProto, type Tensor } from '@intrnn/format';
import { LanguageModel, loadModel, Tagger } from '@intrnn/runtime-core';
import { LstmLanguageModel, tf, useWasmBackend } from '@intrnn/qat';
import { buildIntegerModel, languageModelSpec } from '../src/index.js';

let bytes: Uint8Array;
const V = 30;
const H = 8;

beforeAll(async () => {
  await useWasmBackend();
  const model = new LstmLanguageModel({ vocabSize: V, embedSize: 6, hiddenSize: H, layers: 1, seed: 2 });
  const ids = tf.randomUniformInt([2, 6], 0, V, 2) as tf.Tensor2D;
  model.calibrate([ids]);
  bytes = buildIntegerModel(
    languageModelSpec(
      model,
      Array.from({ length: V }, (_, i) => `w${i}`),
      { unknown: 'w0', sentenceEnd: 'w1' },
      { producer: 'test', preset: 'random', checkpointStep: 0, dataFingerprint: 'none' },
    ),
  ).bytes;
  model.dispose();
  ids.dispose();
});

/** Decode the valid model, change it, encode it again. */
function edited(change: (m: IModelProto) => void): Uint8Array {
  const m = decodeModel(bytes) as IModelProto;
  change(m);
  return encodeModel(m);
}

function errorOf(f: () => unknown): { code: string; where: string; message: string } {
  try {
    f();
  } catch (e) {
    if (isIntrnnError(e)) return { code: e.code, where: e.where, message: e.message };
    throw e;
  }
  throw new Error('expected a typed error, got none');
}

function feeds(tokens: number[], batch = 1): Record<string, Tensor> {
  return {
    tokens: { type: 'int64', dims: [batch, tokens.length / batch], data: BigInt64Array.from(tokens, BigInt) },
    'lstm0.initial_h': { type: 'int8', dims: [batch, H], data: new Int8Array(batch * H) },
    'lstm0.initial_c': { type: 'int16', dims: [batch, H], data: new Int16Array(batch * H) },
  };
}

describe('bad models get a typed error that names the field or tensor', () => {
  test('the valid model loads and runs (the control)', () => {
    expect(loadModel(bytes).run(feeds([1, 2, 3])).logits.dims).toEqual([1, 3, V]);
  });

  test.each([
    ['empty', () => new Uint8Array(0), 'ERR_MODEL_DECODE', /model/],
    ['truncated', () => bytes.subarray(0, bytes.length - 1000), 'ERR_MODEL_DECODE', /model/],
    ['random bytes', () => Uint8Array.from({ length: 4096 }, (_, i) => (i * 2654435761) >>> 24), 'ERR_MODEL_DECODE', /model/],
  ])('%s bytes', (_, make, code, where) => {
    const e = errorOf(() => loadModel(make()));
    expect(e.code).toBe(code);
    expect(e.where).toMatch(where);
  });

  test('no intrnn metadata', () => {
    expect(errorOf(() => loadModel(edited((m) => (m.metadataProps = []))))).toMatchObject({ code: 'ERR_MODEL_METADATA', where: `metadata_props.${METADATA_KEY}` });
  });

  test('metadata of the wrong schema names the field', () => {
    const e = errorOf(() =>
      loadModel(
        edited((m) => {
          const meta = JSON.parse(m.metadataProps![0].value!);
          meta.scales.logits = -1;
          m.metadataProps![0].value = JSON.stringify(meta);
        }),
      ),
    );
    expect(e).toMatchObject({ code: 'ERR_MODEL_METADATA', where: 'metadata.scales.logits' });
  });

  test('a vocabulary that does not match the embedding: the task SDK refuses it', () => {
    const e = errorOf(
      () =>
        new LanguageModel(
          loadModel(
            edited((m) => {
              const meta = JSON.parse(m.metadataProps![0].value!);
              meta.vocabularies.input += '\nextra';
              m.metadataProps![0].value = JSON.stringify(meta);
            }),
          ),
        ),
    );
    expect(e).toMatchObject({ code: 'ERR_MODEL_INCONSISTENT', where: 'metadata.vocabularies.input' });
  });

  test('a weight of the wrong dtype', () => {
    const e = errorOf(() =>
      loadModel(
        edited((m) => {
          const i = m.graph!.initializer!.findIndex((t) => t.name === 'lstm0.R');
          m.graph!.initializer![i] = makeTensor('lstm0.R', 'int16', [4 * H, H], new Int16Array(4 * H * H));
        }),
      ),
    );
    expect(e).toMatchObject({ code: 'ERR_MODEL_TENSOR', where: 'lstm0.R' });
    expect(e.message).toMatch(/is int16, expected int8/);
  });

  test('shape-inconsistent weights', () => {
    const e = errorOf(() =>
      loadModel(
        edited((m) => {
          const i = m.graph!.initializer!.findIndex((t) => t.name === 'lstm0.R');
          m.graph!.initializer![i] = makeTensor('lstm0.R', 'int8', [4 * H, H - 1], new Int8Array(4 * H * (H - 1)));
        }),
      ),
    );
    expect(e).toMatchObject({ code: 'ERR_MODEL_TENSOR', where: 'lstm0.R' });
  });

  test('raw data shorter than the dims', () => {
    const e = errorOf(() =>
      loadModel(
        edited((m) => {
          const t = m.graph!.initializer!.find((x) => x.name === 'output.B')!;
          t.rawData = t.rawData!.subarray(0, 8);
        }),
      ),
    );
    expect(e).toMatchObject({ code: 'ERR_MODEL_TENSOR', where: 'initializer output.B' });
  });

  test('a PWL table with knots out of order', () => {
    const e = errorOf(() =>
      loadModel(
        edited((m) => {
          const t = m.graph!.initializer!.find((x) => x.name === 'lstm0.sigmoid')!;
          const d = new Int32Array(new Uint8Array(t.rawData!).buffer);
          d[2] = d[1];
          t.rawData = new Uint8Array(d.buffer);
        }),
      ),
    );
    expect(e.code).toBe('ERR_SCHEMA');
    expect(e.where).toMatch(/^lstm0\.sigmoid\.knots/);
  });

  test('an op the runtime does not know', () => {
    const e = errorOf(() => loadModel(edited((m) => (m.graph!.node![1].opType = 'IntConv'))));
    expect(e).toMatchObject({ code: 'ERR_MODEL_UNSUPPORTED' });
    expect(e.message).toMatch(/ai\.intrnn:IntConv/);
  });

  test('a node reading a value nothing produces', () => {
    const e = errorOf(() => loadModel(edited((m) => (m.graph!.node![2].input![0] = 'ghost'))));
    expect(e).toMatchObject({ code: 'ERR_MODEL_GRAPH' });
    expect(e.message).toMatch(/'ghost'/);
  });

  test('an accumulator that could overflow int32 is refused at load', () => {
    const e = errorOf(() =>
      loadModel(
        edited((m) => {
          const t = m.graph!.initializer!.find((x) => x.name === 'output.B')!;
          const d = new Int32Array(new Uint8Array(t.rawData!).buffer);
          d[0] = 2 ** 31 - 1;
          t.rawData = new Uint8Array(d.buffer);
        }),
      ),
    );
    expect(e).toMatchObject({ code: 'ERR_OVERFLOW', where: 'output.W' });
  });
});

describe('bad feeds get a typed error and the model stays usable', () => {
  test.each([
    ['a wrong element type', () => ({ ...feeds([1, 2]), tokens: { type: 'int32', dims: [1, 2], data: Int32Array.from([1, 2]) } as Tensor }), 'ERR_FEED_TYPE', "feed 'tokens'"],
    ['dims that disagree with the data', () => ({ ...feeds([1, 2]), tokens: { type: 'int64', dims: [1, 3], data: BigInt64Array.from([1n, 2n]) } as Tensor }), 'ERR_SHAPE', "feed 'tokens'"],
    [
      'a batch that differs between inputs',
      () => ({ ...feeds([1, 2, 3, 4], 2), 'lstm0.initial_h': { type: 'int8', dims: [1, H], data: new Int8Array(H) } as Tensor }),
      'ERR_SHAPE',
      "feed 'lstm0.initial_h'",
    ],
    ['a state of the wrong width', () => ({ ...feeds([1, 2]), 'lstm0.initial_c': { type: 'int16', dims: [1, H + 1], data: new Int16Array(H + 1) } as Tensor }), 'ERR_SHAPE', "feed 'lstm0.initial_c'"],
    ['a missing input', () => ({ tokens: feeds([1]).tokens }), 'ERR_FEED_MISSING', "feed 'lstm0.initial_h'"],
    ['an unknown input', () => ({ ...feeds([1]), extra: feeds([1]).tokens }), 'ERR_FEED_NAME', "feed 'extra'"],
    ['an out-of-vocabulary id', () => feeds([1, V]), 'ERR_FEED_RANGE', 'embed.indices[1]'],
    ['a negative id', () => feeds([-1]), 'ERR_FEED_RANGE', 'embed.indices[0]'],
  ])('%s', (_, make, code, where) => {
    const model = loadModel(bytes);
    expect(errorOf(() => model.run(make()))).toMatchObject({ code, where });
    expect(model.run(feeds([1, 2])).logits.dims).toEqual([1, 2, V]); // nothing lost
  });

  test('the SDK: empty text, unknown ids and the wrong task', () => {
    const lm = new LanguageModel(loadModel(bytes));
    expect(errorOf(() => lm.generate('', { tokens: 3 }))).toMatchObject({ code: 'ERR_SHAPE', where: 'prompt' });
    expect(errorOf(() => lm.forward([V + 5]))).toMatchObject({ code: 'ERR_TOKEN', where: 'ids[0]' });
    expect(errorOf(() => lm.score('w3'))).toMatchObject({ code: 'ERR_SHAPE' });
    expect(lm.encode('w3 never-seen w4')).toEqual([3, 0, 4]);
    expect(errorOf(() => new Tagger(loadModel(bytes)))).toMatchObject({ code: 'ERR_TASK' });
  });

  test('score checks the last id too (it is predicted, never fed: [2, 3, -1] used to give a perplexity)', () => {
    const lm = new LanguageModel(loadModel(bytes));
    expect(errorOf(() => lm.score([2, 3, -1]))).toMatchObject({ code: 'ERR_TOKEN', where: 'ids[2]' });
    expect(errorOf(() => lm.score([2, 3, V]))).toMatchObject({ code: 'ERR_TOKEN', where: 'ids[2]' });
    expect(errorOf(() => lm.score(null as unknown as string))).toMatchObject({ code: 'ERR_TOKEN', where: 'text' });
    expect(lm.score([2, 3, 4]).tokens).toBe(2);
  });

  test('generate: a vanishing temperature is greedy decoding (1e-320 used to give the last word every time); tokens are bounded', () => {
    const lm = new LanguageModel(loadModel(bytes));
    const greedy = lm.generate('w3 w4', { tokens: 6, temperature: 0 });
    expect(lm.generate('w3 w4', { tokens: 6, temperature: 1e-320, seed: 9 })).toEqual(greedy);
    expect(lm.generate('w3 w4', { tokens: 6, temperature: Number.MIN_VALUE, seed: 2 })).toEqual(greedy);
    expect(errorOf(() => lm.generate('w3', { tokens: 2 ** 53 }))).toMatchObject({ code: 'ERR_OPTION', where: 'tokens' });
    expect(errorOf(() => lm.generate('w3', { tokens: 2, temperature: Infinity }))).toMatchObject({ code: 'ERR_OPTION', where: 'temperature' });
  });
});

describe('fuzz: mutated valid models load and run, or fail with a typed error', () => {
  test('400 models with random byte flips (seeded)', () => {
    let seed = 12345;
    const rnd = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
    const outcomes = { ran: 0, typed: 0 };
    for (let i = 0; i < 400; i++) {
      const m = Uint8Array.from(bytes);
      const flips = 1 + Math.floor(rnd() * 8);
      for (let f = 0; f < flips; f++) m[Math.floor(rnd() * m.length)] = Math.floor(rnd() * 256);
      try {
        const model = loadModel(m);
        model.run(feeds([1, 2, 3]));
        outcomes.ran++;
      } catch (e) {
        if (!isIntrnnError(e)) throw new Error(`mutation ${i} raised an untyped ${(e as Error).name}: ${(e as Error).message}`);
        outcomes.typed++;
      }
    }
    expect(outcomes.ran + outcomes.typed).toBe(400);
    expect(outcomes.typed).toBeGreaterThan(0);
  });
});
