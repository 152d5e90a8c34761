import { IntrnnError } from './errors.js';
import type { PwlTable } from './pwl-table.js';

/**
 * The typed signatures of the `ai.intrnn` ops (docs/onnx-format.md): every input in order with its
 * element type, shape rule and role, the outputs, the attributes, and how PWL tables are stored.
 * The converter writes files by these, the executors read them by these, the CLI shows them: one
 * place, so adding or changing an op cannot drift between packages.
 */

/** ONNX AttributeProto.AttributeType codes intrnn uses. */
export const AttributeType = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, GRAPH: 5, INTS: 7 } as const;

/** Element type names intrnn tensors use. */
export type ElementTypeName = 'float32' | 'uint8' | 'int8' | 'int16' | 'int32' | 'int64' | 'int4';

/** ONNX TensorProto.DataType codes of the element types intrnn reads and writes. */
export const DataType = { FLOAT: 1, UINT8: 2, INT8: 3, INT16: 5, INT32: 6, INT64: 7, STRING: 8, BOOL: 9, UINT64: 13, INT4: 22 } as const;

const CODES: Record<ElementTypeName, number> = {
  float32: DataType.FLOAT,
  uint8: DataType.UINT8,
  int8: DataType.INT8,
  int16: DataType.INT16,
  int32: DataType.INT32,
  int64: DataType.INT64,
  int4: DataType.INT4,
};
const NAMES = new Map<number, ElementTypeName>(Object.entries(CODES).map(([name, code]) => [code, name as ElementTypeName]));

/** The DataType code of an element type name. */
export function dataTypeCode(type: ElementTypeName): number {
  return CODES[type];
}

/** The element type name of a DataType code, or null if intrnn does not read that type. */
export function elementTypeName(code: number | null | undefined): ElementTypeName | null {
  return NAMES.get(code ?? 0) ?? null;
}

/** The real function a PWL table input approximates. */
export type PwlFunction = 'sigmoid' | 'tanh' | 'exp';

/**
 * One input of an op. `dims` are numbers or size symbols shared across the op's inputs (e.g. '4H'
 * means four times the symbol H; '?' any size). `role` says whether the file must give a constant
 * (an initializer: weights, tables) or a value computed at run time (an activation), so that an
 * executor never treats a weight as an activation or the reverse.
 */
export interface InputSignature {
  name: string;
  type: ElementTypeName;
  dims: readonly (number | string)[];
  role: 'constant' | 'runtime';
  /** A PWL table's knots/values/slopes tensor: the function it approximates; its params tensor is the next input. */
  pwl?: PwlFunction;
  /** Part of the op's optional trailing group (all of the group or none). */
  optional?: boolean;
  /** A weight matrix that may also be int4 (values -8…7, two per byte; op set version 3 on): the same arithmetic as int8. */
  int4?: boolean;
  /** The op set version that added this input, when later than its op's. */
  since?: number;
}

export interface OutputSignature {
  name: string;
  type: ElementTypeName;
  dims: readonly (number | string)[];
}

export interface AttributeSignature {
  name: string;
  type: 'int' | 'string';
  values?: readonly string[];
  default?: string | number;
}

export interface OpSignature {
  domain: string;
  /** The ai.intrnn op set version that introduced the op: a file using it imports at least this version. */
  since: number;
  inputs: readonly InputSignature[];
  outputs: readonly OutputSignature[];
  attributes: readonly AttributeSignature[];
}

/** The ONNX domain of intrnn's fused integer operators. */
export const INTRNN_DOMAIN = 'ai.intrnn';

const pwlPair = (name: string, fn: PwlFunction): InputSignature[] => [
  { name, type: 'int32', dims: [3, '?'], role: 'constant', pwl: fn },
  { name: `${name}_params`, type: 'int32', dims: [4], role: 'constant' },
];

/** The ai.intrnn ops, each with the op set version that introduced it (docs/onnx-format.md, semantics in docs/integer-semantics.md). */
export const OP_SIGNATURES = {
  IntLSTM: {
    domain: INTRNN_DOMAIN,
    since: 1,
    inputs: [
      { name: 'X', type: 'int8', dims: ['B', 'T', 'D'], role: 'runtime' },
      { name: 'W', type: 'int8', dims: ['4H', 'D'], role: 'constant', int4: true },
      { name: 'R', type: 'int8', dims: ['4H', 'H'], role: 'constant', int4: true },
      { name: 'B', type: 'int32', dims: ['4H'], role: 'constant' },
      { name: 'multipliers', type: 'int32', dims: [2, '4H'], role: 'constant' },
      { name: 'shifts', type: 'int8', dims: [2, '4H'], role: 'constant' },
      { name: 'out_rescale', type: 'int32', dims: [3], role: 'constant' },
      ...pwlPair('sigmoid', 'sigmoid'),
      ...pwlPair('tanh_gate', 'tanh'),
      ...pwlPair('tanh_cell', 'tanh'),
      // the initial state may be fed (a streaming language model) or constant (zeros in the file)
      { name: 'initial_h', type: 'int8', dims: ['B', 'H'], role: 'runtime' },
      { name: 'initial_c', type: 'int16', dims: ['B', 'H'], role: 'runtime' },
      { name: 'norm_gamma', type: 'int16', dims: [4, 'H'], role: 'constant', optional: true },
      { name: 'norm_beta', type: 'int32', dims: [4, 'H'], role: 'constant', optional: true },
      { name: 'norm_params', type: 'int32', dims: [4, 4], role: 'constant', optional: true },
    ],
    outputs: [
      { name: 'Y', type: 'int8', dims: ['B', 'T', 'H'] },
      { name: 'Y_h', type: 'int8', dims: ['B', 'H'] },
      { name: 'Y_c', type: 'int16', dims: ['B', 'H'] },
    ],
    attributes: [{ name: 'direction', type: 'string', values: ['forward', 'reverse'], default: 'forward' }],
  },
  // docs/integer-semantics.md §10b
  IntGRU: {
    domain: INTRNN_DOMAIN,
    since: 2,
    inputs: [
      { name: 'X', type: 'int8', dims: ['B', 'T', 'D'], role: 'runtime' },
      { name: 'W', type: 'int8', dims: ['3H', 'D'], role: 'constant', int4: true },
      { name: 'R', type: 'int8', dims: ['3H', 'H'], role: 'constant', int4: true },
      // [input bias; recurrent bias]: the recurrent one feeds the reset-gated candidate
      { name: 'B', type: 'int32', dims: [2, '3H'], role: 'constant' },
      { name: 'multipliers', type: 'int32', dims: [2, '3H'], role: 'constant' },
      { name: 'shifts', type: 'int8', dims: [2, '3H'], role: 'constant' },
      // [multPrev, shiftPrev, multOut, shiftOut]
      { name: 'out_rescale', type: 'int32', dims: [4], role: 'constant' },
      ...pwlPair('sigmoid', 'sigmoid'),
      ...pwlPair('tanh_gate', 'tanh'),
      { name: 'initial_h', type: 'int8', dims: ['B', 'H'], role: 'runtime' },
    ],
    outputs: [
      { name: 'Y', type: 'int8', dims: ['B', 'T', 'H'] },
      { name: 'Y_h', type: 'int8', dims: ['B', 'H'] },
    ],
    attributes: [{ name: 'direction', type: 'string', values: ['forward', 'reverse'], default: 'forward' }],
  },
  IntDense: {
    domain: INTRNN_DOMAIN,
    since: 1,
    inputs: [
      { name: 'X', type: 'int8', dims: ['...', 'K'], role: 'runtime' },
      { name: 'W', type: 'int8', dims: ['N', 'K'], role: 'constant', int4: true },
      { name: 'B', type: 'int32', dims: ['N'], role: 'constant' },
      // op set 3: per-row requantization to one output scale (rows of int4 weights with their own scales)
      { name: 'multipliers', type: 'int32', dims: ['N'], role: 'constant', optional: true, since: 3 },
      { name: 'shifts', type: 'int8', dims: ['N'], role: 'constant', optional: true, since: 3 },
    ],
    outputs: [{ name: 'Y', type: 'int32', dims: ['...', 'N'] }],
    attributes: [],
  },
  IntAttention: {
    domain: INTRNN_DOMAIN,
    since: 1,
    inputs: [
      { name: 'Q', type: 'int8', dims: ['B', 'T', 'D'], role: 'runtime' },
      { name: 'K', type: 'int8', dims: ['B', 'S', 'D'], role: 'runtime' },
      { name: 'score_rescale', type: 'int32', dims: [2], role: 'constant' },
      ...pwlPair('exp', 'exp'),
    ],
    outputs: [{ name: 'Y', type: 'int8', dims: ['B', 'T', 'D'] }],
    attributes: [],
  },
} as const satisfies Record<string, OpSignature>;

/** Names of the ops in the `ai.intrnn` domain. */
export type IntrnnOpName = keyof typeof OP_SIGNATURES;

/**
 * Standard ONNX ops the executors also run: embedding lookups, joining features and directions, and
 * `Cast` of an int4 table to int8 (ONNX's Gather takes no int4, so an int4 embedding is cast first).
 */
export const STANDARD_OPS = ['Gather', 'Concat', 'Cast'] as const;

/**
 * The ai.intrnn op set version from which weight inputs marked `int4` may be int4 tensors, and
 * IntDense may take its optional per-row requantization.
 */
export const INT4_WEIGHTS_SINCE = 3;

type InputName<Op extends IntrnnOpName> = (typeof OP_SIGNATURES)[Op]['inputs'][number]['name'];

/** Position of an input of an op: `inputIndex('IntLSTM', 'W')` is 1. */
export function inputIndex<Op extends IntrnnOpName>(op: Op, name: InputName<Op>): number {
  return OP_SIGNATURES[op].inputs.findIndex((i) => i.name === name);
}

/** Input names of an op in order: the required ones, then the optional group when `withOptional`. */
export function inputNames(op: IntrnnOpName, withOptional = false): string[] {
  return (OP_SIGNATURES[op].inputs as readonly InputSignature[]).filter((i) => withOptional || !i.optional).map((i) => i.name);
}

/** Output names of an op in order. */
export function outputNames(op: IntrnnOpName): string[] {
  return OP_SIGNATURES[op].outputs.map((o) => o.name);
}

/** How many inputs a node of this op may have: without or with its optional group. */
export function inputCounts(op: IntrnnOpName): number[] {
  const all = OP_SIGNATURES[op].inputs as readonly InputSignature[];
  const required = all.filter((i) => !i.optional).length;
  return required === all.length ? [required] : [required, all.length];
}

// ---- PWL tables in files ----

/** PWL symmetry modes by their code in a table's params tensor. */
export const PWL_SYMMETRY = ['none', 'odd', 'point'] as const;

/** The code of a symmetry mode. */
export function pwlSymmetryCode(s: PwlTable['symmetry']): number {
  return PWL_SYMMETRY.indexOf(s);
}

/**
 * A PWL table as its two tensors: int32 [3, K] (knots; values; slopes padded with a trailing 0)
 * and params int32 [4] (fracBits, outBits, symmetry code, center).
 */
export function encodePwl(t: PwlTable): { table: Int32Array; params: Int32Array; knots: number } {
  const K = t.knots.length;
  const table = new Int32Array(3 * K);
  table.set(t.knots, 0);
  table.set(t.values, K);
  table.set(t.slopes, 2 * K);
  return { table, params: Int32Array.from([t.fracBits, t.outBits, pwlSymmetryCode(t.symmetry), t.center]), knots: K };
}

/**
 * A PWL table from its two tensors' data (the inverse of {@link encodePwl}), not yet validated
 * (runtime-core's validatePwlTable checks every value). The domain is the knots' span.
 */
export function decodePwl(table: Int32Array, params: Int32Array, knots: number, where: string): PwlTable {
  const K = knots;
  if (K < 1 || table.length !== 3 * K) throw new IntrnnError('ERR_MODEL_TENSOR', where, `holds ${table.length} values for ${K} knots; a PWL table holds 3 per knot`);
  if (params.length !== 4) throw new IntrnnError('ERR_MODEL_TENSOR', `${where}_params`, `has ${params.length} values, expected 4`);
  if (table[3 * K - 1] !== 0) throw new IntrnnError('ERR_MODEL_TENSOR', where, 'slope padding (last entry of row 2) must be 0');
  const symmetry = PWL_SYMMETRY[params[2]];
  if (!symmetry) throw new IntrnnError('ERR_MODEL_TENSOR', `${where}_params`, `symmetry code ${params[2]} is not 0, 1 or 2`);
  const k = Array.from(table.subarray(0, K));
  return {
    inMin: symmetry === 'none' ? k[0] : -k[K - 1],
    inMax: k[K - 1],
    knots: k,
    values: Array.from(table.subarray(K, 2 * K)),
    slopes: Array.from(table.subarray(2 * K, 3 * K - 1)),
    fracBits: params[0],
    outBits: params[1],
    symmetry,
    center: params[3],
    inScale: 1,
    outScale: 1,
  };
}

// ---- names of tensors and values in files ----

/** The name of a layer's tensor or value: `${layer}.${input}` (e.g. `lstm0.W`, `lstm0.sigmoid_params`). */
export function layerTensorName(layer: string, input: string): string {
  return `${layer}.${input}`;
}

/** A recurrent layer's state values: fed as initial_h/initial_c, returned as final_h/final_c. */
export function stateNames(layer: string): { h0: string; c0: string; hT: string; cT: string } {
  return { h0: layerTensorName(layer, 'initial_h'), c0: layerTensorName(layer, 'initial_c'), hT: layerTensorName(layer, 'final_h'), cT: layerTensorName(layer, 'final_c') };
}
