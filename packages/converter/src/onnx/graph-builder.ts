import {
  AttributeType as ATTR,
  DataType,
  dataTypeCode,
  makeTensor,
  type IAttributeProto as IAttr,
  type IGraphProto as IGraph,
  type INodeProto as INode,
  type TensorProto as ITensorProto,
  type IValueInfoProto,
  type Tensor,
  type TensorData,
} from '@intrnn/format';

/** An attribute value: a number is an INT, a string a STRING, an array of numbers INTS, a graph a GRAPH. */
export type AttrValue = number | string | number[] | { graph: IGraph } | { ref: string; type: 'int' | 'string' | 'ints' };

function attribute(name: string, v: AttrValue): IAttr {
  if (typeof v === 'number') return { name, type: ATTR.INT, i: v };
  if (typeof v === 'string') return { name, type: ATTR.STRING, s: new TextEncoder().encode(v) };
  if (Array.isArray(v)) return { name, type: ATTR.INTS, ints: v };
  if ('graph' in v) return { name, type: ATTR.GRAPH, g: v.graph };
  return { name, refAttrName: v.ref, type: v.type === 'int' ? ATTR.INT : v.type === 'string' ? ATTR.STRING : ATTR.INTS };
}

/** A value-info entry (name, element type, shape with symbolic or fixed dims). */
export function valueInfo(name: string, type: Tensor['type'] | 'bool', dims: (number | string)[] | null): IValueInfoProto {
  const elemType = type === 'bool' ? DataType.BOOL : dataTypeCode(type);
  const shape = dims === null ? undefined : { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) };
  return { name, type: { tensorType: { elemType, shape } } };
}

/**
 * Emits ONNX nodes with unique value names. Written by hand because no maintained JS package builds
 * ONNX graphs (onnx-proto only encodes them); kept to what the converter needs.
 */
export class GraphBuilder {
  readonly nodes: INode[] = [];
  private count = 0;
  private readonly constants = new Map<string, string>();

  constructor(readonly prefix: string) {}

  /** A fresh value name. */
  name(): string {
    return `${this.prefix}${this.count++}`;
  }

  /** Append a node; returns its output names. */
  nodeN(opType: string, inputs: string[], outputs: number | string[], attrs: Record<string, AttrValue> = {}, domain = ''): string[] {
    const outs = typeof outputs === 'number' ? Array.from({ length: outputs }, () => this.name()) : outputs;
    this.nodes.push({ opType, domain, input: inputs, output: outs, attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)) });
    return outs;
  }

  /** Append a single-output node; returns its output name. */
  node(opType: string, inputs: string[], attrs: Record<string, AttrValue> = {}, domain = ''): string {
    return this.nodeN(opType, inputs, 1, attrs, domain)[0];
  }

  /** A constant tensor. Integers default to int64 scalars. */
  constant(value: number | number[], type: Tensor['type'] | 'uint64' = 'int64', dims?: number[]): string {
    const values = Array.isArray(value) ? value : [value];
    const shape = dims ?? (Array.isArray(value) ? [values.length] : []);
    const key = `${type}|${shape.join(',')}|${values.join(',')}`;
    const known = this.constants.get(key);
    if (known) return known; // one Constant node per distinct value keeps the functions small
    let t: ITensorProto;
    if (type === 'uint64') {
      t = { dataType: DataType.UINT64, dims: shape, rawData: new Uint8Array(BigUint64Array.from(values.map(BigInt)).buffer) };
    } else {
      const data: TensorData =
        type === 'int64'
          ? BigInt64Array.from(values.map(BigInt))
          : type === 'int32'
            ? Int32Array.from(values)
            : type === 'int8'
              ? Int8Array.from(values)
              : type === 'float32'
                ? Float32Array.from(values)
                : type === 'int16'
                  ? Int16Array.from(values)
                  : Uint8Array.from(values);
      t = makeTensor('', type, shape, data);
    }
    const out = this.name();
    this.nodes.push({ opType: 'Constant', domain: '', input: [], output: [out], attribute: [{ name: 'value', type: ATTR.TENSOR, t }] });
    this.constants.set(key, out);
    return out;
  }

  /** A scalar string constant. */
  stringConstant(value: string): string {
    const out = this.name();
    this.nodes.push({
      opType: 'Constant',
      domain: '',
      input: [],
      output: [out],
      attribute: [{ name: 'value', type: ATTR.TENSOR, t: { dataType: DataType.STRING, dims: [], stringData: [new TextEncoder().encode(value)] } }],
    });
    return out;
  }

  /** A constant taking the value of an attribute of the enclosing function (ref_attr_name). */
  attributeConstant(ref: string, type: 'int' | 'string'): string {
    return this.node('Constant', [], { [type === 'int' ? 'value_int' : 'value_string']: { ref, type } });
  }
}
