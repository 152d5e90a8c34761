/**
 * Structure-aware mutations of an ONNX model: the ways a hostile or broken file can differ from a
 * converted one. Each mutant is the seed decoded, changed in one to three places (tensor dims,
 * element types, raw lengths, values, int32_data fields; node domains, op types, inputs, outputs,
 * attributes, order; graph inputs and outputs; metadata; functions; opsets), encoded again, and
 * sometimes cut or bit-flipped as bytes. Deterministic for a seed (pure-rand).
 */
import { AttributeType, DataType, decodeModel, encodeModel, METADATA_KEY, type IModelProto, type INodeProto, type TensorProto } from '@intrnn/format';
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';

/** A seeded source of choices. */
export class Choices {
  private readonly rng;
  constructor(seed: number) {
    this.rng = xoroshiro128plus(seed);
  }
  /** An integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return uniformInt(this.rng, lo, hi);
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(0, items.length - 1)];
  }
  chance(p: number): boolean {
    return this.int(0, 9999) < p * 10000;
  }
}

const ELEMENT_BYTES: Record<number, number> = { [DataType.FLOAT]: 4, [DataType.UINT8]: 1, [DataType.INT8]: 1, [DataType.INT16]: 2, [DataType.INT32]: 4, [DataType.INT64]: 8 };

/** Values at the edges of each width and of the fields kernels read (shifts, multipliers, PWL widths and knots). */
const EXTREMES: Record<number, number[]> = {
  [DataType.INT8]: [-128, -127, -1, 0, 1, 63, 64, 127],
  [DataType.UINT8]: [0, 1, 127, 128, 255],
  [DataType.INT16]: [-32768, -32767, -1, 0, 1, 32767],
  [DataType.INT32]: [
    -(2 ** 31),
    -(2 ** 31) + 1,
    -(2 ** 23) - 1,
    -1,
    0,
    1,
    2,
    3,
    4,
    15,
    16,
    17,
    23,
    24,
    25,
    30,
    31,
    32,
    63,
    64,
    2 ** 15,
    2 ** 16,
    2 ** 20,
    2 ** 21,
    2 ** 23,
    2 ** 24,
    2 ** 30,
    2 ** 31 - 1,
  ],
};

const DOMAINS = ['', 'ai.intrnn', 'com.microsoft', '__proto__', 'constructor', 'toString', 'ai.intrnn.x'];
const OP_TYPES = ['IntLSTM', 'IntDense', 'IntAttention', 'Gather', 'Concat', 'LSTM', 'MatMul', '__proto__', 'constructor', 'hasOwnProperty', ''];

type Mutation = (m: IModelProto, c: Choices) => void;

function initializers(m: IModelProto): TensorProto[] {
  return m.graph?.initializer ?? [];
}

function nodes(m: IModelProto): INodeProto[] {
  return m.graph?.node ?? [];
}

/** Names a node input may be rewired to: initializers, graph inputs, other nodes' outputs, and nonsense. */
function valueNames(m: IModelProto): string[] {
  const g = m.graph ?? {};
  return [...(g.initializer ?? []).map((t) => t.name ?? ''), ...(g.input ?? []).map((v) => v.name ?? ''), ...(g.node ?? []).flatMap((n) => n.output ?? []), '', 'nowhere', '__proto__'];
}

/** PWL parameters, multipliers, shifts and norm parameters: small tensors where one value changes a kernel's arithmetic. */
function isParameter(t: TensorProto): boolean {
  return /params|multipliers|shifts|rescale|norm|exp|sigmoid|tanh/.test(t.name ?? '');
}

function rawValue(t: TensorProto, c: Choices): number {
  const type = t.dataType ?? 0;
  return c.chance(0.7) ? c.pick(EXTREMES[type] ?? [0]) : c.int(-(2 ** 31), 2 ** 31 - 1);
}

/** Write one element of a raw tensor (little-endian, as ONNX stores it). */
function setElement(t: TensorProto, index: number, v: number): void {
  const raw = t.rawData!;
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  switch (t.dataType) {
    case DataType.INT8:
      view.setInt8(index, v);
      break;
    case DataType.UINT8:
      view.setUint8(index, v);
      break;
    case DataType.INT16:
      view.setInt16(index * 2, v, true);
      break;
    case DataType.INT32:
      view.setInt32(index * 4, v, true);
      break;
    case DataType.FLOAT:
      view.setFloat32(index * 4, v, true);
      break;
    case DataType.INT64:
      view.setBigInt64(index * 8, BigInt(v), true);
      break;
  }
}

function withRaw(m: IModelProto, c: Choices, preferParameters: boolean): TensorProto | null {
  const all = initializers(m).filter((t) => t.rawData && t.rawData.length > 0 && ELEMENT_BYTES[t.dataType ?? 0]);
  const params = all.filter(isParameter);
  const pool = preferParameters && params.length && c.chance(0.7) ? params : all;
  if (!pool.length) return null;
  const t = c.pick(pool);
  t.rawData = Uint8Array.from(t.rawData!); // own copy: the decoded seed may share one buffer between tensors
  return t;
}

const MUTATIONS: Record<string, Mutation> = {
  tensorValues(m, c) {
    const t = withRaw(m, c, true);
    if (!t) return;
    const n = Math.floor(t.rawData!.length / ELEMENT_BYTES[t.dataType!]);
    if (n < 1) return;
    for (let k = c.int(1, 3); k > 0; k--) setElement(t, c.int(0, n - 1), rawValue(t, c));
  },
  tensorFill(m, c) {
    const t = withRaw(m, c, false);
    if (!t) return;
    const n = Math.floor(t.rawData!.length / ELEMENT_BYTES[t.dataType!]);
    const v = rawValue(t, c);
    for (let i = 0; i < n; i++) setElement(t, i, v);
  },
  tensorDims(m, c) {
    const t = c.pick(initializers(m));
    if (!t) return;
    const dims = (t.dims ?? []).map(Number);
    const i = c.int(0, Math.max(0, dims.length - 1));
    const choice = c.int(0, 5);
    if (choice === 0) dims[i] = 0;
    else if (choice === 1) dims[i] = (dims[i] ?? 1) + c.pick([-1, 1]);
    else if (choice === 2) dims[i] = c.pick([2 ** 31, 2 ** 31 - 1, 2 ** 40, -1, 65536]);
    else if (choice === 3) dims.splice(i, 1);
    else if (choice === 4) dims.push(c.int(1, 3));
    else if (dims.length > 1) dims.reverse();
    t.dims = dims;
  },
  tensorType(m, c) {
    const t = c.pick(initializers(m));
    if (t) t.dataType = c.pick([0, 1, 2, 3, 5, 6, 7, 8, 9, 10, 16]);
  },
  rawLength(m, c) {
    const t = c.pick(initializers(m).filter((x) => x.rawData?.length));
    if (!t) return;
    const raw = t.rawData!;
    t.rawData = c.chance(0.5) ? raw.slice(0, c.int(0, raw.length - 1)) : Uint8Array.from([...raw, ...new Uint8Array(c.int(1, 8))]);
  },
  int32Data(m, c) {
    // the same tensor in the int32_data field, as other ONNX writers store small ints, perhaps out of range
    const t = withRaw(m, c, true);
    if (!t || t.dataType === DataType.FLOAT || t.dataType === DataType.INT64) return;
    const n = Math.floor(t.rawData!.length / ELEMENT_BYTES[t.dataType!]);
    const raw = t.rawData!;
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    const read = (i: number) =>
      t.dataType === DataType.INT8 ? view.getInt8(i) : t.dataType === DataType.UINT8 ? view.getUint8(i) : t.dataType === DataType.INT16 ? view.getInt16(2 * i, true) : view.getInt32(4 * i, true);
    const values = Array.from({ length: n }, (_, i) => read(i));
    if (c.chance(0.6) && n > 0) values[c.int(0, n - 1)] = c.pick([300, -129, 128, 65536, 2 ** 31 - 1, -(2 ** 31)]);
    t.rawData = new Uint8Array(0);
    t.int32Data = values;
  },
  nodeDomain(m, c) {
    const n = c.pick(nodes(m));
    if (n) n.domain = c.pick(DOMAINS);
  },
  nodeOpType(m, c) {
    const n = c.pick(nodes(m));
    if (n) n.opType = c.pick(OP_TYPES);
  },
  nodeInputs(m, c) {
    const n = c.pick(nodes(m));
    if (!n) return;
    const inputs = [...(n.input ?? [])];
    const choice = c.int(0, 4);
    if (choice === 0) inputs.pop();
    else if (choice === 1 && inputs.length) inputs.splice(c.int(0, inputs.length - 1), 1);
    else if (choice === 2) inputs.push(c.pick(valueNames(m)));
    else if (choice === 3 && inputs.length > 1) {
      const i = c.int(0, inputs.length - 1);
      const j = c.int(0, inputs.length - 1);
      [inputs[i], inputs[j]] = [inputs[j], inputs[i]];
    } else if (inputs.length) inputs[c.int(0, inputs.length - 1)] = c.pick(valueNames(m));
    n.input = inputs;
  },
  nodeOutputs(m, c) {
    const n = c.pick(nodes(m));
    if (!n) return;
    const outputs = [...(n.output ?? [])];
    if (c.chance(0.5)) outputs.pop();
    else if (outputs.length) outputs[c.int(0, outputs.length - 1)] = c.pick(valueNames(m));
    n.output = outputs;
  },
  nodeAttribute(m, c) {
    const n = c.pick(nodes(m));
    if (!n) return;
    const attrs = [...(n.attribute ?? [])];
    const choice = c.int(0, 3);
    if (choice === 0 && attrs.length) attrs.splice(c.int(0, attrs.length - 1), 1);
    else if (choice === 1) attrs.push({ name: c.pick(['direction', 'axis', 'unknown', '__proto__']), type: AttributeType.INT, i: c.pick([-1, 0, 1, 2, 2 ** 31]) });
    else if (choice === 2) attrs.push({ name: 'direction', type: AttributeType.STRING, s: new TextEncoder().encode(c.pick(['forward', 'reverse', 'bidirectional', ''])) });
    else if (attrs.length) attrs[c.int(0, attrs.length - 1)].type = c.pick([AttributeType.FLOAT, AttributeType.INT, AttributeType.STRING, AttributeType.TENSOR, AttributeType.INTS, 0]);
    n.attribute = attrs;
  },
  nodeOrder(m, c) {
    const list = nodes(m);
    if (list.length < 2) return;
    if (c.chance(0.5)) list.splice(c.int(0, list.length - 1), 1);
    else {
      const i = c.int(0, list.length - 1);
      const j = c.int(0, list.length - 1);
      [list[i], list[j]] = [list[j], list[i]];
    }
  },
  graphInputs(m, c) {
    const g = m.graph!;
    const list = c.chance(0.5) ? (g.input ?? []) : (g.output ?? []);
    const v = c.pick(list);
    if (!v) return;
    const choice = c.int(0, 4);
    if (choice === 0) list.splice(list.indexOf(v), 1);
    else if (choice === 1 && v.type?.tensorType) v.type.tensorType.elemType = c.pick([1, 2, 3, 5, 6, 7, 9, 0]);
    else if (choice === 2) {
      const dims = v.type?.tensorType?.shape?.dim ?? [];
      const d = c.pick(dims);
      if (d) {
        if (c.chance(0.5)) {
          d.dimParam = '';
          d.dimValue = c.pick([0, 1, 3, 2 ** 20, 2 ** 31]);
        } else d.dimParam = c.pick(['time', 'batch', 'other']);
      }
    } else if (choice === 3) v.name = c.pick(valueNames(m));
    else list.push({ ...v });
  },
  metadata(m, c) {
    const prop = (m.metadataProps ?? []).find((p) => p.key === METADATA_KEY);
    if (!prop) return;
    if (c.chance(0.1)) {
      prop.value = c.pick(['', '{', 'null', '[]', '{"format":"intrnn"}']);
      return;
    }
    let meta: Record<string, unknown>;
    try {
      meta = JSON.parse(prop.value ?? '{}');
    } catch {
      return; // an earlier mutation already broke it
    }
    if (!meta || typeof meta !== 'object') return;
    // a random path into the JSON tree, then one change there
    let node: Record<string, unknown> = meta;
    for (let depth = 0; depth < 4; depth++) {
      const keys = Object.keys(node);
      if (!keys.length) break;
      const k = c.pick(keys);
      const child = node[k];
      if (child && typeof child === 'object' && c.chance(0.7)) {
        node = child as Record<string, unknown>;
        continue;
      }
      const choice = c.int(0, 4);
      if (choice === 0) delete node[k];
      else if (choice === 1) node[k] = c.pick([-1, 0, 1, 1e308, 2 ** 53, 0.5]);
      else if (choice === 2) node[k] = c.pick(['', 'x', '__proto__']);
      else if (choice === 3) node[k] = null;
      else node[k] = Array.isArray(child) ? [] : {};
      break;
    }
    prop.value = JSON.stringify(meta);
  },
  functions(m, c) {
    const fns = m.functions ?? [];
    const f = c.pick(fns);
    if (!f) return;
    if (c.chance(0.5)) fns.splice(fns.indexOf(f), 1);
    else {
      const n = c.pick(f.node ?? []);
      if (n?.input?.length) n.input[c.int(0, n.input.length - 1)] = c.pick([...(f.input ?? []), 'nowhere']);
    }
  },
  opset(m, c) {
    const o = c.pick(m.opsetImport ?? []);
    if (o) o.version = c.pick([0, 1, 2, 17, 99]);
  },
};

export const MUTATION_NAMES = Object.keys(MUTATIONS);

/** One mutant of the seed bytes, and the names of the mutations applied. */
export function mutate(seed: Uint8Array, c: Choices): { bytes: Uint8Array; applied: string[] } {
  const m = decodeModel(seed) as IModelProto;
  const applied: string[] = [];
  for (let k = c.int(1, 3); k > 0; k--) {
    const name = c.pick(MUTATION_NAMES);
    MUTATIONS[name](m, c);
    applied.push(name);
  }
  let bytes = encodeModel(m);
  const bytesChange = c.int(0, 99); // 5% cut short, 5% bit-flipped
  if (bytesChange < 5) {
    bytes = bytes.slice(0, c.int(0, bytes.length - 1));
    applied.push('truncate');
  } else if (bytesChange < 10) {
    bytes = Uint8Array.from(bytes);
    for (let k = c.int(1, 4); k > 0; k--) bytes[c.int(0, bytes.length - 1)] ^= 1 << c.int(0, 7);
    applied.push('bitflip');
  }
  return { bytes, applied };
}
