import { decodePwl, encodePwl, inputCounts, inputIndex, int8Values, IntrnnError, packInt4, type PwlTable, type Tensor } from '@intrnn/format';
import { accumulatorBound } from '../kernels/gemv-int8.js';
import { validatePwlTable } from '../kernels/pwl-eval.js';
import type { GruCellParams } from '../kernels/gru-step.js';
import type { LstmCellParams } from '../kernels/lstm-step.js';
import type { MadNormParams } from '../kernels/mad-norm.js';

/** Require a tensor of a type and exact dims (-1: any); errors name the tensor. */
export function expectTensor(t: Tensor | null | undefined, where: string, type: Tensor['type'], dims: number[]): Tensor {
  if (!t) throw new IntrnnError('ERR_MODEL_GRAPH', where, 'must be a constant initializer');
  if (t.type !== type) throw new IntrnnError('ERR_MODEL_TENSOR', where, `is ${t.type}, expected ${type}`);
  if (t.dims.length !== dims.length || dims.some((d, i) => d >= 0 && t.dims[i] !== d)) {
    throw new IntrnnError('ERR_MODEL_TENSOR', where, `has dims ${JSON.stringify(t.dims)}, expected ${JSON.stringify(dims.map((d) => (d < 0 ? '?' : d)))}`);
  }
  return t;
}

/**
 * A weight matrix of an input whose signature allows int4: int8, or int4 (op set 3) read as its int8
 * values, so every kernel computes the same products from either (docs/integer-semantics.md §6a).
 */
export function expectWeights(t: Tensor | null | undefined, where: string, dims: number[]): { tensor: Tensor; values: Int8Array; bits: 4 | 8 } {
  if (t?.type === 'int4') {
    const tensor = expectTensor(t, where, 'int4', dims);
    return { tensor, values: int8Values(tensor).data as Int8Array, bits: 4 };
  }
  if (t && t.type !== 'int8') throw new IntrnnError('ERR_MODEL_TENSOR', where, `is ${t.type}, expected int8 or int4`);
  const tensor = expectTensor(t, where, 'int8', dims);
  return { tensor, values: tensor.data as Int8Array, bits: 8 };
}

/** A weight matrix's tensor in a file: int8, or int4 packed when `bits` is 4 (the inverse of {@link expectWeights}). */
export function weightTensor(values: Int8Array, dims: number[], bits: 4 | 8 = 8): Tensor {
  return bits === 4 ? { type: 'int4', dims, data: packInt4(values) } : { type: 'int8', dims, data: values };
}

/** The one weight width of a layer's two matrices; a file mixing them is refused (one width per layer keeps every kernel one code path). */
function layerBits(a: 4 | 8, b: 4 | 8, where: string): 4 | 8 {
  if (a !== b) throw new IntrnnError('ERR_MODEL_TENSOR', `${where}.R`, `is int${b} but W is int${a}; a layer's weights share one width`);
  return a;
}

/**
 * A PWL table from its two tensors ([3, K] and params [4], encodePwl's layout); validated like any
 * untrusted table. `maxOutBits` is the widest output the op's arithmetic is defined for
 * (docs/integer-semantics.md: 16 for the LSTM's and attention's tables, whose outputs are int16).
 */
export function pwlFromTensors(table: Tensor | null, params: Tensor | null, where: string, maxOutBits = 16): PwlTable {
  const t = expectTensor(table, where, 'int32', [3, -1]);
  const p = expectTensor(params, `${where}_params`, 'int32', [4]);
  if (t.dims[1] < 1) throw new IntrnnError('ERR_MODEL_TENSOR', where, 'has no knots');
  const pwl = validatePwlTable(decodePwl(t.data as Int32Array, p.data as Int32Array, t.dims[1], where), where);
  if (pwl.outBits > maxOutBits) throw new IntrnnError('ERR_MODEL_TENSOR', `${where}_params`, `output width ${pwl.outBits} exceeds ${maxOutBits} bits, the widest this op is defined for`);
  return pwl;
}

const INT32_MAX = 2 ** 31 - 1;

/**
 * The overflow proof, checked at load for every engine alike: the worst-case accumulator of a
 * weight matrix over every int8 input (docs/integer-semantics.md §6) must fit int32, so no kernel
 * ever meets an overflow at run time.
 */
export function requireAccumulatorBound(w: Int8Array, rows: number, cols: number, bias: Int32Array | undefined, where: string): void {
  const bound = accumulatorBound(w, rows, cols, bias);
  if (bound > INT32_MAX) throw new IntrnnError('ERR_OVERFLOW', where, `worst-case accumulator ${bound} exceeds int32`);
}

/**
 * A rescale of §4: multiplier within [0, 2^21), shift within [0, 63], or a typed error naming the
 * tensor each lives in (`at` says which entry). One check for every op's multipliers and shifts.
 */
export function checkRescale(m: number, s: number, where: { multiplier: string; shift: string }, at: string): void {
  if (!(m >= 0 && m < 2 ** 21)) throw new IntrnnError('ERR_MODEL_TENSOR', where.multiplier, `${at}: multiplier ${m} is outside [0, 2^21)`);
  if (!(s >= 0 && s <= 63)) throw new IntrnnError('ERR_MODEL_TENSOR', where.shift, `${at}: shift ${s} is outside [0, 63]`);
}

/**
 * {@link checkRescale} on every entry of a table of rescales; `at(k)` names entry k and is called
 * only for a bad one (a label per entry made up front was most of a load's garbage).
 */
export function checkRescales(m: ArrayLike<number>, s: ArrayLike<number>, where: { multiplier: string; shift: string }, at: (k: number) => string): void {
  for (let k = 0; k < m.length; k++) if (!(m[k] >= 0 && m[k] < 2 ** 21 && s[k] >= 0 && s[k] <= 63)) checkRescale(m[k], s[k], where, at(k));
}

/** A MadNorm gate's parameters within the ranges of docs/integer-semantics.md §8 (γ int16 by its tensor type); `where` is the node. */
function checkMadNorm(p: MadNormParams, where: string, gate: number): MadNormParams {
  const fail = (tensor: string, field: string, v: number, range: string) => {
    throw new IntrnnError('ERR_MODEL_TENSOR', `${where}.${tensor}`, `gate ${gate}: ${field} ${v} is outside ${range}`);
  };
  if (!(p.normFracBits >= 0 && p.normFracBits <= 23)) fail('norm_params', 'normFracBits', p.normFracBits, '[0, 23]');
  checkRescale(p.multiplier, p.shift, { multiplier: `${where}.norm_params`, shift: `${where}.norm_params` }, `gate ${gate}`);
  // the output feeds the int16 PWL input
  if (!(p.outBits >= 2 && p.outBits <= 16)) fail('norm_params', 'width', p.outBits, '[2, 16]');
  p.beta.forEach((b, j) => {
    if (b < -(2 ** 23) || b >= 2 ** 23) fail('norm_beta', `β[${j}]`, b, 'int24');
  });
  return p;
}

/** Input positions of ai.intrnn:IntLSTM, from its signature (@intrnn/format OP_SIGNATURES). */
export const LSTM_INPUT = {
  X: inputIndex('IntLSTM', 'X'),
  W: inputIndex('IntLSTM', 'W'),
  R: inputIndex('IntLSTM', 'R'),
  B: inputIndex('IntLSTM', 'B'),
  multipliers: inputIndex('IntLSTM', 'multipliers'),
  shifts: inputIndex('IntLSTM', 'shifts'),
  outRescale: inputIndex('IntLSTM', 'out_rescale'),
  sigmoid: inputIndex('IntLSTM', 'sigmoid'),
  tanhGate: inputIndex('IntLSTM', 'tanh_gate'),
  tanhCell: inputIndex('IntLSTM', 'tanh_cell'),
  h0: inputIndex('IntLSTM', 'initial_h'),
  c0: inputIndex('IntLSTM', 'initial_c'),
  gamma: inputIndex('IntLSTM', 'norm_gamma'),
  beta: inputIndex('IntLSTM', 'norm_beta'),
  normParams: inputIndex('IntLSTM', 'norm_params'),
} as const;

/** LstmCellParams from an IntLSTM node's constant inputs, every shape and range checked. */
export function lstmParamsFromTensors(c: (Tensor | null)[], where: string): LstmCellParams {
  const counts = inputCounts('IntLSTM');
  if (!counts.includes(c.length)) throw new IntrnnError('ERR_MODEL_GRAPH', where, `has ${c.length} inputs; IntLSTM takes ${counts.join(', or with MadNorm ')}`);
  const W = expectWeights(c[LSTM_INPUT.W], `${where}.W`, [-1, -1]);
  const H4 = W.tensor.dims[0];
  if (H4 % 4 !== 0 || H4 === 0) throw new IntrnnError('ERR_MODEL_TENSOR', `${where}.W`, `has ${H4} rows, not a positive multiple of 4`);
  const H = H4 / 4;
  const D = W.tensor.dims[1];
  const R = expectWeights(c[LSTM_INPUT.R], `${where}.R`, [H4, H]);
  const weightBits = layerBits(W.bits, R.bits, where);
  const B = expectTensor(c[LSTM_INPUT.B], `${where}.B`, 'int32', [H4]);
  const mults = expectTensor(c[LSTM_INPUT.multipliers], `${where}.multipliers`, 'int32', [2, H4]).data as Int32Array;
  const shifts = Int32Array.from(expectTensor(c[LSTM_INPUT.shifts], `${where}.shifts`, 'int8', [2, H4]).data as Int8Array);
  const out = expectTensor(c[LSTM_INPUT.outRescale], `${where}.out_rescale`, 'int32', [3]).data as Int32Array;
  const rows = { multiplier: `${where}.multipliers`, shift: `${where}.shifts` };
  checkRescales(mults, shifts, rows, (k) => `[${Math.floor(k / H4)}, ${k % H4}]`);
  checkRescale(out[0], out[1], { multiplier: `${where}.out_rescale`, shift: `${where}.out_rescale` }, 'output');
  if (out[2] < 0 || out[2] > 15) throw new IntrnnError('ERR_MODEL_TENSOR', `${where}.out_rescale`, `cellFracBits ${out[2]} is outside [0, 15]`);
  let norm: LstmCellParams['norm'];
  if (c.length === counts[counts.length - 1] && counts.length > 1) {
    const gamma = expectTensor(c[LSTM_INPUT.gamma], `${where}.norm_gamma`, 'int16', [4, H]).data as Int16Array;
    const beta = expectTensor(c[LSTM_INPUT.beta], `${where}.norm_beta`, 'int32', [4, H]).data as Int32Array;
    const np = expectTensor(c[LSTM_INPUT.normParams], `${where}.norm_params`, 'int32', [4, 4]).data as Int32Array;
    const gate = (g: number): MadNormParams => {
      const [normFracBits, multiplier, shift, outBits] = np.subarray(4 * g, 4 * g + 4);
      return checkMadNorm({ gamma: gamma.subarray(g * H, (g + 1) * H), beta: beta.subarray(g * H, (g + 1) * H), normFracBits, multiplier, shift, outBits }, where, g);
    };
    norm = [gate(0), gate(1), gate(2), gate(3)];
  }
  requireAccumulatorBound(W.values, H4, D, B.data as Int32Array, `${where}.W`);
  requireAccumulatorBound(R.values, H4, H, undefined, `${where}.R`);
  return {
    inputSize: D,
    hiddenSize: H,
    wx: W.values,
    wh: R.values,
    ...(weightBits === 4 ? { weightBits } : {}),
    bias: B.data as Int32Array,
    multX: mults.subarray(0, H4),
    shiftX: shifts.subarray(0, H4),
    multH: mults.subarray(H4, 2 * H4),
    shiftH: shifts.subarray(H4, 2 * H4),
    norm,
    sigmoid: pwlFromTensors(c[LSTM_INPUT.sigmoid], c[LSTM_INPUT.sigmoid + 1], `${where}.sigmoid`),
    tanhGate: pwlFromTensors(c[LSTM_INPUT.tanhGate], c[LSTM_INPUT.tanhGate + 1], `${where}.tanh_gate`),
    tanhCell: pwlFromTensors(c[LSTM_INPUT.tanhCell], c[LSTM_INPUT.tanhCell + 1], `${where}.tanh_cell`),
    cellFracBits: out[2],
    multOut: out[0],
    shiftOut: out[1],
  };
}

/** Input positions of ai.intrnn:IntGRU, from its signature. */
export const GRU_INPUT = {
  X: inputIndex('IntGRU', 'X'),
  W: inputIndex('IntGRU', 'W'),
  R: inputIndex('IntGRU', 'R'),
  B: inputIndex('IntGRU', 'B'),
  multipliers: inputIndex('IntGRU', 'multipliers'),
  shifts: inputIndex('IntGRU', 'shifts'),
  outRescale: inputIndex('IntGRU', 'out_rescale'),
  sigmoid: inputIndex('IntGRU', 'sigmoid'),
  tanhGate: inputIndex('IntGRU', 'tanh_gate'),
  h0: inputIndex('IntGRU', 'initial_h'),
} as const;

/** GruCellParams from an IntGRU node's constant inputs (docs/integer-semantics.md §10b), every shape and range checked. */
export function gruParamsFromTensors(c: (Tensor | null)[], where: string): GruCellParams {
  const counts = inputCounts('IntGRU');
  if (!counts.includes(c.length)) throw new IntrnnError('ERR_MODEL_GRAPH', where, `has ${c.length} inputs; IntGRU takes ${counts.join(' or ')}`);
  const W = expectWeights(c[GRU_INPUT.W], `${where}.W`, [-1, -1]);
  const H3 = W.tensor.dims[0];
  if (H3 % 3 !== 0 || H3 === 0) throw new IntrnnError('ERR_MODEL_TENSOR', `${where}.W`, `has ${H3} rows, not a positive multiple of 3`);
  const H = H3 / 3;
  const D = W.tensor.dims[1];
  const R = expectWeights(c[GRU_INPUT.R], `${where}.R`, [H3, H]);
  const weightBits = layerBits(W.bits, R.bits, where);
  const B = expectTensor(c[GRU_INPUT.B], `${where}.B`, 'int32', [2, H3]).data as Int32Array;
  const mults = expectTensor(c[GRU_INPUT.multipliers], `${where}.multipliers`, 'int32', [2, H3]).data as Int32Array;
  const shifts = Int32Array.from(expectTensor(c[GRU_INPUT.shifts], `${where}.shifts`, 'int8', [2, H3]).data as Int8Array);
  const rows = { multiplier: `${where}.multipliers`, shift: `${where}.shifts` };
  checkRescales(mults, shifts, rows, (k) => `[${Math.floor(k / H3)}, ${k % H3}]`);
  const out = expectTensor(c[GRU_INPUT.outRescale], `${where}.out_rescale`, 'int32', [4]).data as Int32Array;
  const rescale = { multiplier: `${where}.out_rescale`, shift: `${where}.out_rescale` };
  checkRescale(out[0], out[1], rescale, 'previous state');
  checkRescale(out[2], out[3], rescale, 'output');
  const biasX = B.subarray(0, H3);
  const biasH = B.subarray(H3, 2 * H3);
  requireAccumulatorBound(W.values, H3, D, biasX, `${where}.W`);
  requireAccumulatorBound(R.values, H3, H, biasH, `${where}.R`);
  return {
    inputSize: D,
    hiddenSize: H,
    wx: W.values,
    wh: R.values,
    ...(weightBits === 4 ? { weightBits } : {}),
    biasX,
    biasH,
    multX: mults.subarray(0, H3),
    shiftX: shifts.subarray(0, H3),
    multH: mults.subarray(H3, 2 * H3),
    shiftH: shifts.subarray(H3, 2 * H3),
    sigmoid: pwlFromTensors(c[GRU_INPUT.sigmoid], c[GRU_INPUT.sigmoid + 1], `${where}.sigmoid`),
    tanhGate: pwlFromTensors(c[GRU_INPUT.tanhGate], c[GRU_INPUT.tanhGate + 1], `${where}.tanh_gate`),
    multPrev: out[0],
    shiftPrev: out[1],
    multOut: out[2],
    shiftOut: out[3],
  };
}

/** A PWL table as its two tensors (encodePwl's layout), named by the input and `${input}_params`. */
export function pwlTensors(input: string, t: PwlTable): Record<string, Tensor> {
  const e = encodePwl(t);
  return { [input]: { type: 'int32', dims: [3, e.knots], data: e.table }, [`${input}_params`]: { type: 'int32', dims: [4], data: e.params } };
}

/**
 * The constant inputs of an IntLSTM node for a cell, by input name (the inverse of
 * {@link lstmParamsFromTensors}): what the converter writes and the conformance cases hold.
 */
export function lstmTensors(p: LstmCellParams): Record<string, Tensor> {
  const H = p.hiddenSize;
  const H4 = 4 * H;
  const multipliers = new Int32Array(2 * H4);
  multipliers.set(p.multX, 0);
  multipliers.set(p.multH, H4);
  const shifts = new Int8Array(2 * H4); // shifts are at most 63: int8 keeps the file small
  shifts.set(p.shiftX, 0);
  shifts.set(p.shiftH, H4);
  const out: Record<string, Tensor> = {
    W: weightTensor(p.wx, [H4, p.inputSize], p.weightBits),
    R: weightTensor(p.wh, [H4, H], p.weightBits),
    B: { type: 'int32', dims: [H4], data: p.bias },
    multipliers: { type: 'int32', dims: [2, H4], data: multipliers },
    shifts: { type: 'int8', dims: [2, H4], data: shifts },
    out_rescale: { type: 'int32', dims: [3], data: Int32Array.from([p.multOut, p.shiftOut, p.cellFracBits]) },
    ...pwlTensors('sigmoid', p.sigmoid),
    ...pwlTensors('tanh_gate', p.tanhGate),
    ...pwlTensors('tanh_cell', p.tanhCell),
  };
  if (p.norm) {
    const gamma = new Int16Array(H4);
    const beta = new Int32Array(H4);
    const params = new Int32Array(16);
    p.norm.forEach((g, i) => {
      gamma.set(g.gamma, i * H);
      beta.set(g.beta, i * H);
      params.set([g.normFracBits, g.multiplier, g.shift, g.outBits], i * 4);
    });
    out.norm_gamma = { type: 'int16', dims: [4, H], data: gamma };
    out.norm_beta = { type: 'int32', dims: [4, H], data: beta };
    out.norm_params = { type: 'int32', dims: [4, 4], data: params };
  }
  return out;
}

/** The constant inputs of an IntGRU node for a cell, by input name (the inverse of {@link gruParamsFromTensors}). */
export function gruTensors(p: GruCellParams): Record<string, Tensor> {
  const H3 = 3 * p.hiddenSize;
  const rows = (a: ArrayLike<number>, b: ArrayLike<number>) => {
    const out = new Int32Array(2 * H3);
    out.set(a, 0);
    out.set(b, H3);
    return out;
  };
  return {
    W: weightTensor(p.wx, [H3, p.inputSize], p.weightBits),
    R: weightTensor(p.wh, [H3, p.hiddenSize], p.weightBits),
    B: { type: 'int32', dims: [2, H3], data: rows(p.biasX, p.biasH) },
    multipliers: { type: 'int32', dims: [2, H3], data: rows(p.multX, p.multH) },
    shifts: { type: 'int8', dims: [2, H3], data: Int8Array.from(rows(p.shiftX, p.shiftH)) }, // shifts are at most 63
    out_rescale: { type: 'int32', dims: [4], data: Int32Array.from([p.multPrev, p.shiftPrev, p.multOut, p.shiftOut]) },
    ...pwlTensors('sigmoid', p.sigmoid),
    ...pwlTensors('tanh_gate', p.tanhGate),
  };
}
