import fc from 'fast-check';
import {
  dataTypeCode,
  decodeModel,
  decodePwl,
  elementTypeName,
  encodeMetadata,
  encodeModel,
  encodePwl,
  inputCounts,
  inputIndex,
  inputNames,
  IntrnnError,
  makeTensor,
  modelKind,
  OP_SIGNATURES,
  parseMetadata,
  PWL_SYMMETRY,
  readTensor,
  stateNames,
  type ModelMetadata,
  type PwlTable,
} from '../src/index.js';

const meta: ModelMetadata = {
  format: 'intrnn',
  formatVersion: 1,
  opsetVersion: 1,
  task: 'lm-brown',
  kind: 'language-model',
  numerics: 'integer',
  vocabularies: { input: ['<unk>', 'the', 'jury'], unknown: '<unk>', sentenceEnd: '</s>' },
  scales: { embedding: 0.01, logits: 0.001 },
  layers: [],
  pwlTables: {},
  overflowProof: [],
  source: { producer: 'test', preset: 'tiny', checkpointStep: 1, dataFingerprint: 'x' },
};

describe('op signatures', () => {
  test('IntLSTM inputs in order, the optional MadNorm group last', () => {
    expect(inputNames('IntLSTM')).toEqual([
      'X',
      'W',
      'R',
      'B',
      'multipliers',
      'shifts',
      'out_rescale',
      'sigmoid',
      'sigmoid_params',
      'tanh_gate',
      'tanh_gate_params',
      'tanh_cell',
      'tanh_cell_params',
      'initial_h',
      'initial_c',
    ]);
    expect(inputNames('IntLSTM', true).slice(15)).toEqual(['norm_gamma', 'norm_beta', 'norm_params']);
    expect(inputCounts('IntLSTM')).toEqual([15, 18]);
    expect(inputCounts('IntDense')).toEqual([3, 5]); // op set 3: the per-row requantization
    expect(inputIndex('IntLSTM', 'W')).toBe(1);
    expect(inputIndex('IntAttention', 'exp')).toBe(3);
  });

  test('every PWL table input is a constant int32 [3, ?] followed by its params', () => {
    for (const sig of Object.values(OP_SIGNATURES)) {
      sig.inputs.forEach((input, i) => {
        if (!('pwl' in input)) return;
        expect(input).toMatchObject({ type: 'int32', role: 'constant' });
        expect(sig.inputs[i + 1]).toMatchObject({ name: `${input.name}_params`, type: 'int32', dims: [4] });
      });
    }
  });

  test('names of layer states', () => {
    expect(stateNames('lstm0')).toEqual({ h0: 'lstm0.initial_h', c0: 'lstm0.initial_c', hT: 'lstm0.final_h', cT: 'lstm0.final_c' });
  });

  test('element type codes round-trip; unknown codes are null', () => {
    for (const t of ['float32', 'uint8', 'int8', 'int16', 'int32', 'int64'] as const) expect(elementTypeName(dataTypeCode(t))).toBe(t);
    expect(elementTypeName(13)).toBeNull();
    expect(elementTypeName(undefined)).toBeNull();
  });
});

describe('PWL tensors', () => {
  const table = (symmetry: PwlTable['symmetry']): PwlTable => ({
    inMin: symmetry === 'none' ? -9 : -40,
    inMax: 40,
    knots: symmetry === 'none' ? [-9, 0, 7, 40] : [0, 7, 40],
    values: symmetry === 'none' ? [-50, 0, 30, 32] : [0, 30, 32],
    slopes: symmetry === 'none' ? [711, 4389, 8] : [4389, 8],
    fracBits: 12,
    outBits: 16,
    symmetry,
    center: symmetry === 'point' ? 64 : 0,
    inScale: 1,
    outScale: 1,
  });

  test.each(PWL_SYMMETRY.map((s) => [s]))('encode then decode gives the table back (%s)', (symmetry) => {
    const t = table(symmetry);
    const e = encodePwl(t);
    expect(e.table[3 * e.knots - 1]).toBe(0); // the slope row's padding
    expect(decodePwl(e.table, e.params, e.knots, 'lstm0.sigmoid')).toEqual(t);
  });

  test('bad encodings are typed errors naming the tensor', () => {
    const e = encodePwl(table('none'));
    const padded = e.table.slice();
    padded[padded.length - 1] = 3;
    expect(() => decodePwl(padded, e.params, e.knots, 't')).toThrow(/t: slope padding/);
    expect(() => decodePwl(e.table, Int32Array.from([12, 16, 7, 0]), e.knots, 't')).toThrow(/t_params: symmetry code 7/);
    expect(() => decodePwl(e.table, e.params, e.knots + 1, 't')).toThrow(/3 per knot/);
  });
});

describe('metadata', () => {
  test('encodes, parses back, and names the bad field', () => {
    const json = encodeMetadata(meta);
    expect(parseMetadata(json)).toEqual(meta);
    expect(() => parseMetadata(json.replace('"integer"', '"int4"'))).toThrow(IntrnnError);
    expect(() => parseMetadata(JSON.stringify({ ...JSON.parse(json), scales: { embedding: -1, logits: 1 } }))).toThrow(/metadata\.scales\.embedding/);
    expect(() => parseMetadata('{')).toThrow(/is not JSON/);
    expect(() => parseMetadata(undefined)).toThrow(/not an intrnn model/);
    expect(() => encodeMetadata({ ...meta, vocabularies: { ...meta.vocabularies, input: ['a\nb'] } })).toThrow(/vocabularies\.input\[0\]: a token may not contain a newline/);
  });

  test('the kind of a model: its own, or for older files the kind of its task', () => {
    expect(modelKind(meta)).toBe('language-model');
    expect(modelKind({ task: 'pos-brown' })).toBe('tagger');
    expect(modelKind({ task: 'g2p-cmudict' })).toBe('transducer');
    expect(modelKind({ task: 'ner-conll', kind: 'tagger' })).toBe('tagger');
    expect(() => modelKind({ task: 'ner-conll' })).toThrow(/metadata\.kind: is missing/);
    // a task name that is an Object.prototype property is not a kind
    expect(() => modelKind({ task: 'constructor' })).toThrow(/metadata\.kind/);
  });
});

describe('tensors and models', () => {
  test('a tensor round-trips through raw data; wrong sizes are typed errors', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -128, max: 127 }), { minLength: 1, maxLength: 40 }), (values) => {
        const t = makeTensor('w', 'int8', [values.length], Int8Array.from(values));
        expect(Array.from(readTensor(t).data as Int8Array)).toEqual(values);
      }),
    );
    expect(() => makeTensor('w', 'int8', [2, 3], new Int8Array(5))).toThrow(/w: has 5 values/);
    expect(() => readTensor({ name: 'w', dataType: 3, dims: [4], rawData: new Uint8Array(3) })).toThrow(/holds 3 bytes/);
    expect(() => readTensor({ name: 'w', dataType: 13, dims: [1], rawData: new Uint8Array(8) })).toThrow(/element type code 13/);
    expect(() => readTensor({ name: 'w', dataType: 3, dims: [-1] })).toThrow(/invalid dims/);
  });

  test('borrowing views raw data where it is aligned and copies it where not; the default copies', () => {
    const file = new Uint8Array(16).map((_, i) => i);
    const at = (offset: number, dataType: number, n: number) => ({ name: 'w', dataType, dims: [n], rawData: file.subarray(offset, offset + n * (dataType === 6 ? 4 : 1)) });
    const int8 = readTensor(at(3, 3, 4), 'w', true).data as Int8Array;
    expect(int8.buffer).toBe(file.buffer);
    expect(Array.from(int8)).toEqual([3, 4, 5, 6]);
    expect(readTensor(at(3, 3, 4)).data.buffer).not.toBe(file.buffer);
    const aligned = readTensor(at(4, 6, 2), 'w', true).data as Int32Array;
    expect(aligned.buffer).toBe(file.buffer);
    const misaligned = readTensor(at(1, 6, 2), 'w', true).data as Int32Array;
    expect(misaligned.buffer).not.toBe(file.buffer);
    expect(Array.from(misaligned)).toEqual([0x04030201, 0x08070605]);
    expect(Array.from(aligned)).toEqual([0x07060504, 0x0b0a0908]);
  });

  test('int32_data values must fit the element type: 300 in an int8 tensor is an error, not 44', () => {
    expect(Array.from(readTensor({ name: 'w', dataType: 3, dims: [3], int32Data: [-128, 0, 127] }).data as Int8Array)).toEqual([-128, 0, 127]);
    expect(Array.from(readTensor({ name: 's', dataType: 5, dims: [2], int32Data: [-32768, 32767] }).data as Int16Array)).toEqual([-32768, 32767]);
    for (const [dataType, bad] of [
      [3, 300],
      [3, -129],
      [2, -1],
      [5, 32768],
      [6, 2 ** 31],
    ]) {
      expect(() => readTensor({ name: 'w', dataType, dims: [2], int32Data: [0, bad] })).toThrow(new RegExp(`w: value 1 is ${bad}, outside`));
    }
  });

  test('strings decode as UTF-8 (any script); invalid UTF-8 becomes U+FFFD, not bytes read past', () => {
    const words = ['café', 'naïve', '日本語', 'a\u{1F600}b', '', 'x'.repeat(20_000)];
    const model = decodeModel(encodeModel({ irVersion: 10, metadataProps: words.map((w, i) => ({ key: `k${i}`, value: w })) }));
    expect(model.metadataProps!.map((p) => p.value)).toEqual(words);
    // docString of a graph with the lone bytes 0xff and 0xc3 (a two-byte lead with no continuation)
    const bad = encodeModel({ irVersion: 10, graph: { name: 'g', docString: 'ok' } });
    const at = bad.lastIndexOf(0x6f); // the 'o' of 'ok'
    bad[at] = 0xff;
    bad[at + 1] = 0xc3;
    expect(decodeModel(bad).graph!.docString).toBe('\uFFFD\uFFFD');
  });

  test('a model encodes and decodes; bytes that are not a model are a typed error', () => {
    const bytes = encodeModel({ irVersion: 10, graph: { name: 'g', initializer: [makeTensor('w', 'int32', [2], Int32Array.from([7, -9]))] } });
    expect(Array.from(readTensor(decodeModel(bytes).graph!.initializer![0]).data as Int32Array)).toEqual([7, -9]);
    expect(() => decodeModel(new Uint8Array())).toThrow(/is empty/);
    expect(() => decodeModel(Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0x0f]))).toThrow(/ERR_MODEL_DECODE|not a valid ONNX/);
  });
});
