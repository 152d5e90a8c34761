import onnxProto from 'onnx-proto';
import protobuf from 'protobufjs/minimal.js';
import { IntrnnError } from './errors.js';
import { DataType, dataTypeCode, type ElementTypeName } from './op-signatures.js';

/** The generated ONNX protobuf classes (onnx-proto, ONNX 1.10 schema: IR 8 with model-local functions). */
export const onnx = onnxProto.onnx;
export type ModelProto = onnxProto.onnx.ModelProto;
export type TensorProto = onnxProto.onnx.ITensorProto;

// String fields through the platform's UTF-8 decoder. protobufjs's own decoder (the one a bundle
// without Node's Buffer gets) builds an array of char codes per string, 8192 at a time: loading the
// POS tagger made about 2.5 MB of such garbage for its 260 KB of metadata and node names, and in a
// load-and-drop loop that garbage is what grows V8's young generation (docs/reliability.md).
// Invalid UTF-8 becomes U+FFFD, as the Encoding standard says.
const utf8 = new TextDecoder();
protobuf.Reader.prototype.string = function readString(this: protobuf.Reader): string {
  return utf8.decode(this.bytes());
};

/** A typed array of one of the element types intrnn reads from initializers and feeds. */
export type TensorData = Float32Array | Int8Array | Uint8Array | Int16Array | Int32Array | BigInt64Array;

/** A decoded tensor: element type name, dimensions and row-major data (int4: the packed bytes, {@link packInt4}). */
export interface Tensor {
  type: ElementTypeName;
  dims: number[];
  data: TensorData;
}

const BY_CODE: Record<number, { type: Tensor['type']; bytes: number; make: (b: ArrayBuffer, o: number, n: number) => TensorData }> = {
  [DataType.FLOAT]: { type: 'float32', bytes: 4, make: (b, o, n) => new Float32Array(b, o, n) },
  [DataType.INT8]: { type: 'int8', bytes: 1, make: (b, o, n) => new Int8Array(b, o, n) },
  [DataType.UINT8]: { type: 'uint8', bytes: 1, make: (b, o, n) => new Uint8Array(b, o, n) },
  [DataType.INT16]: { type: 'int16', bytes: 2, make: (b, o, n) => new Int16Array(b, o, n) },
  [DataType.INT32]: { type: 'int32', bytes: 4, make: (b, o, n) => new Int32Array(b, o, n) },
  [DataType.INT64]: { type: 'int64', bytes: 8, make: (b, o, n) => new BigInt64Array(b, o, n) },
  [DataType.INT4]: { type: 'int4', bytes: 1, make: (b, o, n) => new Uint8Array(b, o, n) },
};

/**
 * An INT4 initializer: raw data only (ONNX also allows packed int32_data; the converter never
 * writes it, so a file using it is refused rather than read a second way), exactly the packed
 * byte count, and a zero pad nibble for an odd count, so every engine reads one meaning.
 */
function readInt4(t: TensorProto, where: string, dims: number[], count: number, borrow: boolean): Tensor {
  const raw = t.rawData;
  if (!raw || raw.length === 0) {
    if (count === 0) return { type: 'int4', dims, data: new Uint8Array(0) };
    throw new IntrnnError('ERR_MODEL_TENSOR', where, 'is int4 without raw_data; intrnn reads int4 tensors from raw_data only');
  }
  if (raw.length !== int4Bytes(count)) throw new IntrnnError('ERR_MODEL_TENSOR', where, `holds ${raw.length} bytes; dims ${JSON.stringify(dims)} of int4 need ${int4Bytes(count)}`);
  if (count % 2 === 1 && raw[raw.length - 1] >> 4 !== 0) throw new IntrnnError('ERR_MODEL_TENSOR', where, 'has a nonzero pad nibble after its last int4 value');
  return { type: 'int4', dims, data: borrow ? raw : raw.slice() };
}

/** protobufjs gives int64 fields as numbers or Long objects; both become numbers here. */
export function toNumber(v: unknown): number {
  if (typeof v === 'number') return v;
  if (v !== null && typeof v === 'object' && 'toNumber' in v) return (v as { toNumber(): number }).toNumber();
  return Number(v);
}

/** Decode an ONNX file. A buffer that is not a valid ModelProto gets ERR_MODEL_DECODE. */
export function decodeModel(bytes: Uint8Array): ModelProto {
  if (!(bytes instanceof Uint8Array) || bytes.length === 0) throw new IntrnnError('ERR_MODEL_DECODE', 'model', 'is empty: no bytes to decode');
  try {
    // a plain Uint8Array view, never a Node Buffer: the bundled protobufjs (no Node `require`, as in
    // a browser) would make an empty bytes field with `new Buffer(0)`, which Node warns is deprecated
    return onnx.ModelProto.decode(bytes.constructor === Uint8Array ? bytes : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch (e) {
    throw new IntrnnError('ERR_MODEL_DECODE', 'model', `is not a valid ONNX ModelProto (${(e as Error).message})`);
  }
}

/**
 * int4 values (each -8…7) packed two per byte as ONNX stores INT4 tensors: element 2i in the low
 * nibble of byte i, element 2i+1 in the high one, an odd count's last high nibble 0.
 */
export function packInt4(values: ArrayLike<number>, where = 'int4 tensor'): Uint8Array {
  const out = new Uint8Array((values.length + 1) >> 1);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!(Number.isInteger(v) && v >= -8 && v <= 7)) throw new IntrnnError('ERR_MODEL_TENSOR', where, `value ${i} is ${v}, outside int4 (-8…7)`);
    out[i >> 1] |= (v & 15) << ((i & 1) << 2);
  }
  return out;
}

/** The `count` int4 values of packed bytes ({@link packInt4}'s layout) as int8. */
export function unpackInt4(packed: Uint8Array, count: number): Int8Array {
  const out = new Int8Array(count);
  for (let i = 0; i < count; i++) out[i] = (((packed[i >> 1] >> ((i & 1) << 2)) & 15) << 28) >> 28; // sign-extend the nibble
  return out;
}

/** An int4 tensor as the int8 tensor of its values (any other tensor as it is). */
export function int8Values(t: Tensor): Tensor {
  return t.type === 'int4'
    ? {
        type: 'int8',
        dims: t.dims,
        data: unpackInt4(
          t.data as Uint8Array,
          t.dims.reduce((a, b) => a * b, 1),
        ),
      }
    : t;
}

/** Bytes an int4 tensor of `count` elements takes. */
export const int4Bytes = (count: number): number => (count + 1) >> 1;

/** Encode a model to bytes. */
export function encodeModel(model: onnxProto.onnx.IModelProto): Uint8Array {
  return onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish();
}

/**
 * Build an initializer from a typed array (stored as raw little-endian data). An int4 tensor's data
 * is its packed bytes ({@link packInt4}).
 */
export function makeTensor(name: string, type: Tensor['type'], dims: number[], data: TensorData): TensorProto {
  const count = dims.reduce((a, b) => a * b, 1);
  if (type === 'int4') {
    if (!(data instanceof Uint8Array) || data.length !== int4Bytes(count))
      throw new IntrnnError('ERR_SHAPE', name, `int4 dims ${JSON.stringify(dims)} take ${int4Bytes(count)} packed bytes, got ${data.length}`);
    return { name, dataType: dataTypeCode(type), dims, rawData: data.slice() };
  }
  if (data.length !== count) throw new IntrnnError('ERR_SHAPE', name, `has ${data.length} values, dims ${JSON.stringify(dims)} hold ${count}`);
  const raw = new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice(); // own copy: little-endian hosts only (checked in readTensor)
  return { name, dataType: dataTypeCode(type), dims, rawData: raw };
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

const INT_RANGES: Partial<Record<Tensor['type'], [number, number]>> = { int8: [-128, 127], uint8: [0, 255], int16: [-32768, 32767], int32: [-(2 ** 31), 2 ** 31 - 1] };

/**
 * Decode an initializer into a typed array, checking its type, that its data holds exactly dims'
 * product of elements, and that int32_data values fit the element type. Errors name the tensor.
 * `borrow`: raw data comes back as a view into the decoded bytes where its offset is aligned for
 * the element type (always for int8), not a copy; the caller keeps those bytes unchanged.
 */
export function readTensor(t: TensorProto, where = `initializer ${t.name ?? '?'}`, borrow = false): Tensor {
  if (!LITTLE_ENDIAN) throw new IntrnnError('ERR_PLATFORM', where, 'big-endian hosts are not supported');
  const spec = BY_CODE[t.dataType ?? 0];
  if (!spec) throw new IntrnnError('ERR_MODEL_TENSOR', where, `has element type code ${t.dataType}, which intrnn does not read`);
  const dims = (t.dims ?? []).map(toNumber);
  if (dims.some((d) => !Number.isInteger(d) || d < 0 || d > 2 ** 31)) throw new IntrnnError('ERR_MODEL_TENSOR', where, `has invalid dims ${JSON.stringify(dims)}`);
  const count = dims.reduce((a, b) => a * b, 1);
  if (spec.type === 'int4') return readInt4(t, where, dims, count, borrow);
  if (t.rawData && t.rawData.length > 0) {
    if (t.rawData.length !== count * spec.bytes) {
      throw new IntrnnError('ERR_MODEL_TENSOR', where, `holds ${t.rawData.length} bytes; dims ${JSON.stringify(dims)} of ${spec.type} need ${count * spec.bytes}`);
    }
    const raw = t.rawData;
    if (borrow && raw.byteOffset % spec.bytes === 0) return { type: spec.type, dims, data: spec.make(raw.buffer as ArrayBuffer, raw.byteOffset, count) };
    const copy = new ArrayBuffer(t.rawData.length); // aligned copy: rawData may sit at any offset
    new Uint8Array(copy).set(t.rawData);
    return { type: spec.type, dims, data: spec.make(copy, 0, count) };
  }
  const fields: Record<Tensor['type'], unknown[] | null | undefined> = {
    float32: t.floatData,
    int8: t.int32Data,
    uint8: t.int32Data,
    int16: t.int32Data,
    int32: t.int32Data,
    int64: t.int64Data,
    int4: null, // read by readInt4
  };
  const values = fields[spec.type] ?? [];
  if (values.length !== count) throw new IntrnnError('ERR_MODEL_TENSOR', where, `holds ${values.length} values; dims ${JSON.stringify(dims)} need ${count}`);
  const out = spec.make(new ArrayBuffer(count * spec.bytes), 0, count);
  if (out instanceof BigInt64Array) values.forEach((v, i) => (out[i] = BigInt(toNumber(v))));
  else {
    // int32_data holds int8/int16/uint8 values widened: one outside the type would wrap when stored
    const range = INT_RANGES[spec.type];
    values.forEach((v, i) => {
      const x = toNumber(v);
      if (range && !(Number.isInteger(x) && x >= range[0] && x <= range[1])) throw new IntrnnError('ERR_MODEL_TENSOR', where, `value ${i} is ${x}, outside ${spec.type}`);
      out[i] = x;
    });
  }
  return { type: spec.type, dims, data: out };
}

/** The ONNX message shapes the converter builds (onnx-proto's generated interfaces). */
export type IModelProto = onnxProto.onnx.IModelProto;
export type IGraphProto = onnxProto.onnx.IGraphProto;
export type INodeProto = onnxProto.onnx.INodeProto;
export type IAttributeProto = onnxProto.onnx.IAttributeProto;
export type IValueInfoProto = onnxProto.onnx.IValueInfoProto;
export type IFunctionProto = onnxProto.onnx.IFunctionProto;

/** A graph input that is fed at run time (not an initializer): its name and declared dims (symbolic as strings). */
export interface GraphInput {
  name: string;
  dims: (number | string)[];
}

/** The graph inputs of a model that are not initializers, as engines and benchmarks feed them. */
export function graphInputs(model: ModelProto): GraphInput[] {
  const g = model.graph;
  const constants = new Set((g?.initializer ?? []).map((t) => t.name));
  return (g?.input ?? [])
    .filter((v) => !constants.has(v.name))
    .map((v) => ({ name: v.name ?? '', dims: (v.type?.tensorType?.shape?.dim ?? []).map((d) => (d.dimParam ? d.dimParam : toNumber(d.dimValue ?? 0))) }));
}
