import { DataType, INTRNN_DOMAIN, inputNames, outputNames, type IFunctionProto, type IGraphProto } from '@intrnn/format';
import { GraphBuilder, valueInfo } from './graph-builder.js';
import { IntOps, pwl, pwlConstants, type PwlConstants } from './int-ops.js';

/** Standard-domain opset the functions are written against. */
export const ONNX_OPSET = 21;

/**
 * A weight matrix transposed for MatMulInteger. int4 weights (op set 3) are cast to int8 first: ONNX
 * defines Cast on int4 but not Transpose or MatMulInteger, and the values are the same (§6a).
 */
function transposedWeights(f: GraphBuilder, w: string, int4: boolean): string {
  return f.node('Transpose', [int4 ? f.node('Cast', [w], { to: DataType.INT8 }) : w], { perm: [1, 0] });
}

/** MatMulInteger of int8 x [.., K] by an int8 matrix W stored [N, K], as int64 [.., N]. */
function matmulInt8(ops: IntOps, x: string, wT: string): string {
  return ops.toInt64(ops.b.node('MatMulInteger', [x, wT]));
}

/** MadNorm (§8) of each gate's H values: z int64 [B, 4H] → int64 [B, 4H]. */
function madNorm(ops: IntOps, z: string, gamma: string, beta: string, k: { fracBits: string; mult: string; shift: string; lo: string; hi: string }): string {
  const b = ops.b;
  const z3 = b.node('Reshape', [z, b.constant([0, 4, -1])]);
  const n = b.node('Gather', [b.node('Shape', [z3]), b.constant(2)], { axis: 0 });
  const axis = b.constant([2]);
  const mu = ops.roundingDivide(b.node('ReduceSum', [z3, axis], { keepdims: 1 }), n);
  const d = b.node('Sub', [z3, mu]);
  const mad = b.node('Max', [ops.roundingDivide(b.node('ReduceSum', [b.node('Abs', [d]), axis], { keepdims: 1 }), n), ops.int64One()]);
  const inv = ops.roundingDivide(b.constant(2 ** 23), mad);
  const normalized = ops.saturate(ops.roundingShiftRight(b.node('Mul', [d, inv]), b.node('Sub', [b.constant(23), k.fracBits])), 16);
  const scaled = ops.saturate(ops.applyMultiplier(ops.roundingShiftRight(b.node('Mul', [gamma, normalized]), k.fracBits), k.mult, k.shift), 24);
  const out = b.node('Min', [b.node('Max', [b.node('Add', [scaled, beta]), k.lo]), k.hi]); // per-gate bounds: Clip takes scalars only
  return b.node('Reshape', [out, b.constant([0, -1])]);
}

/**
 * The model-local function of `ai.intrnn:IntLSTM` (§10): a Scan over time whose body is one
 * integer LSTM step. Attribute `direction` ('forward' | 'reverse') reverses time on the way in and
 * out. Inputs and outputs as the op's signature (@intrnn/format OP_SIGNATURES): X int8 [B, T, D], initial_h int8 [B, H],
 * initial_c int16 [B, H] → Y int8 [B, T, H], Y_h int8 [B, H], Y_c int16 [B, H].
 */
export function intLstmFunction(withNorm: boolean, int4 = false): IFunctionProto {
  const f = new GraphBuilder('f_');
  const ops = new IntOps(f);
  const inputs = inputNames('IntLSTM', withNorm);
  const int64 = (x: string) => ops.toInt64(x);
  const wT = transposedWeights(f, 'W', int4);
  const rT = transposedWeights(f, 'R', int4);
  const bias = int64('B');
  const row = (t: string, i: number) => f.node('Gather', [t, f.constant(i)], { axis: 0 });
  const multipliers = int64('multipliers');
  const shifts = int64('shifts');
  const [multX, multH, shiftX, shiftH] = [row(multipliers, 0), row(multipliers, 1), row(shifts, 0), row(shifts, 1)];
  const outRescale = int64('out_rescale');
  const outParam = (i: number) => f.node('Gather', [outRescale, f.constant(i)], { axis: 0 });
  const [multOut, shiftOut, cellFracBits] = [0, 1, 2].map(outParam);
  const cellShift = f.node('Sub', [f.constant(30), cellFracBits]);
  const sigmoid = pwlConstants(ops, 'sigmoid', 'sigmoid_params');
  const tanhGate = pwlConstants(ops, 'tanh_gate', 'tanh_gate_params');
  const tanhCell = pwlConstants(ops, 'tanh_cell', 'tanh_cell_params');
  let norm: (Parameters<typeof madNorm>[4] & { gamma: string; beta: string }) | undefined;
  if (withNorm) {
    const p = int64('norm_params');
    const col = (i: number) => f.node('Unsqueeze', [f.node('Gather', [p, f.constant(i)], { axis: 1 }), f.constant([-1])]); // [4, 1]
    const [lo, hi] = ops.range(col(3));
    norm = { gamma: int64('norm_gamma'), beta: int64('norm_beta'), fracBits: col(0), mult: col(1), shift: col(2), lo, hi };
  }

  const order = timeOrder(f, ops);
  const xs = f.node('Gather', ['X', order], { axis: 1 });

  // the Scan body: one step, reading the loop-invariant constants above from the outer scope
  const s = new GraphBuilder('s_');
  const sops = new IntOps(s);
  const gates = (x: string, w: string, mult: string, shift: string) => sops.saturate(sops.applyMultiplier(matmulInt8(sops, x, w), mult, shift), 24);
  const ax = s.node('Add', [matmulInt8(sops, 'x_t', wT), bias]);
  const termX = sops.saturate(sops.applyMultiplier(ax, multX, shiftX), 24);
  const termH = gates('h_prev', rT, multH, shiftH);
  let z = sops.saturate(s.node('Add', [termX, termH]), 16);
  if (norm) z = madNorm(sops, z, norm.gamma, norm.beta, norm);
  const z3 = s.node('Reshape', [z, s.constant([0, 4, -1])]);
  const gate = (g: number, table: PwlConstants) => pwl(sops, table, s.node('Gather', [z3, s.constant(g)], { axis: 1 }));
  const [i, fg, g, o] = [gate(0, sigmoid), gate(1, sigmoid), gate(2, tanhGate), gate(3, sigmoid)];
  const fifteen = s.constant(15);
  const cNew = sops.saturate(s.node('Add', [sops.roundingShiftRight(s.node('Mul', [fg, 'c_prev']), fifteen), sops.roundingShiftRight(s.node('Mul', [i, g]), cellShift)]), 16);
  const tau = pwl(sops, tanhCell, cNew);
  const h8 = sops.saturate(sops.applyMultiplier(sops.roundingShiftRight(s.node('Mul', [o, tau]), fifteen), multOut, shiftOut), 8);
  s.nodes.push({ opType: 'Cast', domain: '', input: [h8], output: ['h_next'], attribute: [{ name: 'to', type: 2, i: DataType.INT8 }] });
  s.nodes.push({ opType: 'Identity', domain: '', input: [cNew], output: ['c_next'] });
  s.nodes.push({ opType: 'Identity', domain: '', input: ['h_next'], output: ['y_t'] });
  const body: IGraphProto = {
    name: 'int_lstm_step',
    node: s.nodes,
    input: [valueInfo('h_prev', 'int8', null), valueInfo('c_prev', 'int64', null), valueInfo('x_t', 'int8', null)],
    output: [valueInfo('h_next', 'int8', null), valueInfo('c_next', 'int64', null), valueInfo('y_t', 'int8', null)],
  };
  const [hT, cT, ys] = f.nodeN('Scan', ['initial_h', int64('initial_c'), xs], 3, { num_scan_inputs: 1, scan_input_axes: [1], scan_output_axes: [1], body: { graph: body } });
  f.nodes.push({ opType: 'Gather', domain: '', input: [ys, order], output: ['Y'], attribute: [{ name: 'axis', type: 2, i: 1 }] });
  f.nodes.push({ opType: 'Identity', domain: '', input: [hT], output: ['Y_h'] });
  f.nodes.push({ opType: 'Cast', domain: '', input: [cT], output: ['Y_c'], attribute: [{ name: 'to', type: 2, i: DataType.INT16 }] });
  return {
    name: 'IntLSTM',
    domain: INTRNN_DOMAIN,
    input: inputs,
    output: outputNames('IntLSTM'),
    attribute: ['direction'],
    node: f.nodes,
    opsetImport: [{ domain: '', version: ONNX_OPSET }],
    docString: `ai.intrnn IntLSTM${withNorm ? ' with MadNorm' : ''} in standard integer ops (docs/integer-semantics.md §10)`,
  };
}

/** The time order of a recurrent function's input X: reversed for direction 'reverse' (a Gather with T-1-t on the way in and out). */
function timeOrder(f: GraphBuilder, ops: IntOps): string {
  const reverse = f.node('Equal', [f.attributeConstant('direction', 'string'), f.stringConstant('reverse')]);
  const steps = f.node('Gather', [f.node('Shape', ['X']), f.constant(1)], { axis: 0 });
  const t = f.node('Range', [f.constant(0), steps, ops.int64One()]);
  return f.node('Where', [reverse, f.node('Sub', [f.node('Sub', [steps, ops.int64One()]), t]), t]);
}

/**
 * The model-local function of `ai.intrnn:IntGRU` (§10b): a Scan over time whose body is one integer
 * GRU step, the step numbers of §10b in the comments. Inputs and outputs as the op's signature:
 * X int8 [B, T, D], initial_h int8 [B, H] → Y int8 [B, T, H], Y_h int8 [B, H].
 */
export function intGruFunction(int4 = false): IFunctionProto {
  const f = new GraphBuilder('g_');
  const ops = new IntOps(f);
  const int64 = (x: string) => ops.toInt64(x);
  const wT = transposedWeights(f, 'W', int4);
  const rT = transposedWeights(f, 'R', int4);
  const row = (t: string, i: number) => f.node('Gather', [t, f.constant(i)], { axis: 0 });
  const [biases, multipliers, shifts] = [int64('B'), int64('multipliers'), int64('shifts')];
  const [biasX, biasH, multX, multH, shiftX, shiftH] = [row(biases, 0), row(biases, 1), row(multipliers, 0), row(multipliers, 1), row(shifts, 0), row(shifts, 1)];
  const outRescale = int64('out_rescale');
  const [multPrev, shiftPrev, multOut, shiftOut] = [0, 1, 2, 3].map((i) => row(outRescale, i));
  const sigmoid = pwlConstants(ops, 'sigmoid', 'sigmoid_params');
  const tanhGate = pwlConstants(ops, 'tanh_gate', 'tanh_gate_params');
  const order = timeOrder(f, ops);
  const xs = f.node('Gather', ['X', order], { axis: 1 });

  const s = new GraphBuilder('t_');
  const sops = new IntOps(s);
  const toGate = (acc: string, mult: string, shift: string) => s.node('Reshape', [sops.saturate(sops.applyMultiplier(acc, mult, shift), 24), s.constant([0, 3, -1])]);
  const gx = toGate(s.node('Add', [matmulInt8(sops, 'x_t', wT), biasX]), multX, shiftX); // steps 1, 3 and 5: [B, 3, H]
  const gh = toGate(s.node('Add', [matmulInt8(sops, 'h_prev', rT), biasH]), multH, shiftH); // step 2
  const part = (t: string, g: number) => s.node('Gather', [t, s.constant(g)], { axis: 1 });
  const fifteen = s.constant(15);
  const z = pwl(sops, sigmoid, sops.saturate(s.node('Add', [part(gx, 0), part(gh, 0)]), 16)); // step 4
  const r = pwl(sops, sigmoid, sops.saturate(s.node('Add', [part(gx, 1), part(gh, 1)]), 16));
  const n = pwl(sops, tanhGate, sops.saturate(s.node('Add', [part(gx, 2), sops.roundingShiftRight(s.node('Mul', [part(gh, 2), r]), fifteen)]), 16)); // steps 6-7
  const p = sops.saturate(sops.applyMultiplier(sops.toInt64('h_prev'), multPrev, shiftPrev), 16); // step 8
  const v = s.node('Add', [n, sops.roundingShiftRight(s.node('Mul', [z, s.node('Sub', [p, n])]), fifteen)]); // step 9
  const h8 = sops.saturate(sops.applyMultiplier(v, multOut, shiftOut), 8); // step 10
  s.nodes.push({ opType: 'Cast', domain: '', input: [h8], output: ['h_next'], attribute: [{ name: 'to', type: 2, i: DataType.INT8 }] });
  s.nodes.push({ opType: 'Identity', domain: '', input: ['h_next'], output: ['y_t'] });
  const body: IGraphProto = {
    name: 'int_gru_step',
    node: s.nodes,
    input: [valueInfo('h_prev', 'int8', null), valueInfo('x_t', 'int8', null)],
    output: [valueInfo('h_next', 'int8', null), valueInfo('y_t', 'int8', null)],
  };
  const [hT, ys] = f.nodeN('Scan', ['initial_h', xs], 2, { num_scan_inputs: 1, scan_input_axes: [1], scan_output_axes: [1], body: { graph: body } });
  f.nodes.push({ opType: 'Gather', domain: '', input: [ys, order], output: ['Y'], attribute: [{ name: 'axis', type: 2, i: 1 }] });
  f.nodes.push({ opType: 'Identity', domain: '', input: [hT], output: ['Y_h'] });
  return {
    name: 'IntGRU',
    domain: INTRNN_DOMAIN,
    input: inputNames('IntGRU'),
    output: outputNames('IntGRU'),
    attribute: ['direction'],
    node: f.nodes,
    opsetImport: [{ domain: '', version: ONNX_OPSET }],
    docString: 'ai.intrnn IntGRU in standard integer ops (docs/integer-semantics.md §10b)',
  };
}

/**
 * The model-local function of `ai.intrnn:IntDense`: int32 logits = X int8 [.., K] · Wᵀ (W int8 [N, K]) + B int32 [N].
 */
export function intDenseFunction(int4 = false, requantize = false): IFunctionProto {
  const f = new GraphBuilder('d_');
  const wT = transposedWeights(f, 'W', int4);
  if (requantize) {
    // §6b: requantize(acc, M[n], s[n], 24) per output row, in int64
    const ops = new IntOps(f);
    const acc = ops.toInt64(f.node('Add', [f.node('MatMulInteger', ['X', wT]), 'B']));
    const y = ops.saturate(ops.applyMultiplier(acc, ops.toInt64('multipliers'), ops.toInt64('shifts')), 24);
    f.nodes.push({ opType: 'Cast', domain: '', input: [y], output: ['Y'], attribute: [{ name: 'to', type: 2, i: DataType.INT32 }] });
  } else {
    f.nodes.push({ opType: 'Add', domain: '', input: [f.node('MatMulInteger', ['X', wT]), 'B'], output: ['Y'] });
  }
  return {
    name: 'IntDense',
    domain: INTRNN_DOMAIN,
    input: inputNames('IntDense', requantize),
    output: outputNames('IntDense'),
    attribute: [],
    node: f.nodes,
    opsetImport: [{ domain: '', version: ONNX_OPSET }],
    docString: 'ai.intrnn IntDense: int8 × int8 → int32 with an int32 bias (§6)',
  };
}

/**
 * The model-local function of `ai.intrnn:IntAttention` (§9a): Q int8 [B, T, D] attends over K int8
 * [B, S, D]: int32 scores, requantized to int16, integer softmax through the PWL exp (weights at
 * 2^-8), int32 context sums, rounding shift by 8, int8. Inputs: Q, K, score_rescale int32 [2]
 * (multiplier, shift), exp int32 [3, K], exp_params int32 [4].
 */
export function intAttentionFunction(): IFunctionProto {
  const f = new GraphBuilder('a_');
  const ops = new IntOps(f);
  const rescale = ops.toInt64('score_rescale');
  const [mult, shift] = [0, 1].map((i) => f.node('Gather', [rescale, f.constant(i)], { axis: 0 }));
  const exp = pwlConstants(ops, 'exp', 'exp_params');
  const kT = f.node('Transpose', ['K'], { perm: [0, 2, 1] });
  const scores = ops.toInt64(f.node('MatMulInteger', ['Q', kT]));
  const x = ops.saturate(ops.applyMultiplier(scores, mult, shift), 16);
  const axis = f.constant([-1]);
  const e = pwl(ops, exp, f.node('Sub', [x, f.node('ReduceMax', [x, axis], { keepdims: 1 })]));
  const weights = ops.roundingDivide(f.node('Mul', [e, f.constant(256)]), f.node('ReduceSum', [e, axis], { keepdims: 1 }));
  const sums = ops.toInt64(f.node('MatMul', [ops.cast(weights, DataType.INT32), ops.cast('K', DataType.INT32)]));
  const context = ops.saturate(ops.roundingShiftRight(sums, f.constant(8)), 8);
  f.nodes.push({ opType: 'Cast', domain: '', input: [context], output: ['Y'], attribute: [{ name: 'to', type: 2, i: DataType.INT8 }] });
  return {
    name: 'IntAttention',
    domain: INTRNN_DOMAIN,
    input: inputNames('IntAttention'),
    output: outputNames('IntAttention'),
    attribute: [],
    node: f.nodes,
    opsetImport: [{ domain: '', version: ONNX_OPSET }],
    docString: 'ai.intrnn IntAttention: integer dot-product attention with a PWL-exp softmax (§9a)',
  };
}
