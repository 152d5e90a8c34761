/**
 * Writes packages/runtime-core/conformance/cases.json: conformance cases of every op the executors
 * run (IntLSTM with and without MadNorm, forward and reverse; IntGRU; IntDense; the three with int4
 * weights; IntAttention; Gather; Concat), each a node's inputs and its expected outputs. Every backend runs them
 * (runtime-core's reference and core kernels, runtime-native, runtime-wasm).
 *
 * What is exact: every expected integer is computed by packages/runtime-core/test/oracle/bigint-oracle.ts,
 * an independent BigInt implementation of docs/integer-semantics.md (not by the kernels under test).
 * What is illustrative: the parameters are random (seeded, so the file is reproducible), with the
 * edge lengths of vector code (1 … 65) and extreme values (±127 weights, -128/127 activations,
 * saturating states); the PWL tables are evenly sampled sigmoid/tanh/exp tables, not knot-searched.
 *
 * Run: `npx tsx tools/gen-conformance.ts` (npm run gen:conformance). Do not edit the output by hand.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Tensor } from '@intrnn/format';
import { gruTensors, lstmTensors, pwlTensors, weightTensor, type GruCellParams, type LstmCellParams } from '@intrnn/runtime-core';
import { oGemv, oGruStep, oLstmStep, oRequantize, oSoftmax, oSat, oShift } from '../packages/runtime-core/test/oracle/bigint-oracle.js';
import { EDGE_LENGTHS, gruParams, int8s, ints, lstmParams, sampledTable } from '../packages/runtime-core/test/fixtures.js';

type CaseTensor = Tensor & { constant: boolean };
interface Case {
  name: string;
  op: string;
  attributes: Record<string, number | string>;
  inputs: (CaseTensor | null)[];
  outputs: Tensor[];
}

const cases: Case[] = [];
const runtime = (type: Tensor['type'], dims: number[], data: Tensor['data']): CaseTensor => ({ type, dims, data, constant: false });
const constant = (t: Tensor): CaseTensor => ({ ...t, constant: true });

// ---- IntDense: K the edge lengths, random and extreme ----
for (const K of EDGE_LENGTHS) {
  for (const extreme of [false, true]) {
    if (extreme && ![1, 16, 17, 64, 65].includes(K)) continue;
    const N = extreme ? 17 : 3;
    const R = 2;
    const seed = 1000 + K * 2 + (extreme ? 1 : 0);
    const w = extreme ? Int8Array.from({ length: N * K }, (_, i) => (i % 2 ? 127 : -127)) : int8s(N * K, seed, -127, 127);
    const x = extreme ? Int8Array.from({ length: R * K }, (_, i) => (i % 3 ? -128 : 127)) : int8s(R * K, seed + 1);
    const bias = Int32Array.from(ints(N, -(2 ** 24), 2 ** 24, seed + 2));
    const y = new Int32Array(R * N);
    for (let r = 0; r < R; r++) oGemv(w, N, K, x.subarray(r * K, (r + 1) * K), bias).forEach((v, n) => (y[r * N + n] = Number(v)));
    cases.push({
      name: `IntDense K=${K} N=${N}${extreme ? ' extreme' : ''}`,
      op: 'IntDense',
      attributes: {},
      inputs: [runtime('int8', [1, R, K], x), constant({ type: 'int8', dims: [N, K], data: w }), constant({ type: 'int32', dims: [N], data: bias })],
      outputs: [{ type: 'int32', dims: [1, R, N], data: y }],
    });
  }
}

/** An IntLSTM case: the oracle run step by step over each batch row (time reversed for `reverse`). */
function lstmCase(name: string, p: LstmCellParams, B: number, T: number, reverse: boolean, x: Int8Array, h0: Int8Array, c0: Int16Array): void {
  const [D, H] = [p.inputSize, p.hiddenSize];
  const y = new Int8Array(B * T * H);
  const hT = new Int8Array(B * H);
  const cT = new Int16Array(B * H);
  for (let b = 0; b < B; b++) {
    let h = Array.from(h0.subarray(b * H, (b + 1) * H));
    let c = Array.from(c0.subarray(b * H, (b + 1) * H));
    for (let s = 0; s < T; s++) {
      const t = reverse ? T - 1 - s : s;
      const step = oLstmStep(p, x.subarray((b * T + t) * D, (b * T + t + 1) * D), h, c);
      h = step.h.map(Number);
      c = step.c.map(Number);
      y.set(h, (b * T + t) * H);
    }
    hT.set(h, b * H);
    cT.set(c, b * H);
  }
  const t = lstmTensors(p);
  const names = ['W', 'R', 'B', 'multipliers', 'shifts', 'out_rescale', 'sigmoid', 'sigmoid_params', 'tanh_gate', 'tanh_gate_params', 'tanh_cell', 'tanh_cell_params'];
  const inputs: (CaseTensor | null)[] = [runtime('int8', [B, T, D], x), ...names.map((n) => constant(t[n])), runtime('int8', [B, H], h0), runtime('int16', [B, H], c0)];
  if (p.norm) inputs.push(constant(t.norm_gamma), constant(t.norm_beta), constant(t.norm_params));
  cases.push({
    name,
    op: 'IntLSTM',
    attributes: { direction: reverse ? 'reverse' : 'forward' },
    inputs,
    outputs: [
      { type: 'int8', dims: [B, T, H], data: y },
      { type: 'int8', dims: [B, H], data: hT },
      { type: 'int16', dims: [B, H], data: cT },
    ],
  });
}

/** An IntGRU case, as {@link lstmCase}. */
function gruCase(name: string, p: GruCellParams, B: number, T: number, reverse: boolean, x: Int8Array, h0: Int8Array): void {
  const [D, H] = [p.inputSize, p.hiddenSize];
  const y = new Int8Array(B * T * H);
  const hT = new Int8Array(B * H);
  for (let b = 0; b < B; b++) {
    let h = Array.from(h0.subarray(b * H, (b + 1) * H));
    for (let s = 0; s < T; s++) {
      const t = reverse ? T - 1 - s : s;
      h = oGruStep(p, x.subarray((b * T + t) * D, (b * T + t + 1) * D), h).map(Number);
      y.set(h, (b * T + t) * H);
    }
    hT.set(h, b * H);
  }
  const t = gruTensors(p);
  const names = ['W', 'R', 'B', 'multipliers', 'shifts', 'out_rescale', 'sigmoid', 'sigmoid_params', 'tanh_gate', 'tanh_gate_params'];
  cases.push({
    name,
    op: 'IntGRU',
    attributes: { direction: reverse ? 'reverse' : 'forward' },
    inputs: [runtime('int8', [B, T, D], x), ...names.map((n) => constant(t[n])), runtime('int8', [B, H], h0)],
    outputs: [
      { type: 'int8', dims: [B, T, H], data: y },
      { type: 'int8', dims: [B, H], data: hT },
    ],
  });
}

// ---- IntLSTM: shapes over the edge lengths, MadNorm, reverse, extremes ----
const lstmShapes: [number, number, number, number, boolean, boolean, boolean][] = [
  // D, H, B, T, MadNorm, reverse, extreme
  [1, 1, 1, 1, false, false, false],
  [2, 3, 2, 3, false, false, false],
  [5, 7, 1, 4, false, true, false],
  [8, 8, 2, 2, true, false, false],
  [16, 15, 1, 3, false, false, true],
  [17, 16, 1, 3, true, true, false],
  [31, 5, 2, 2, false, false, false],
  [33, 17, 1, 2, false, true, true],
  [3, 31, 1, 3, true, false, false],
  [7, 33, 2, 2, false, false, false],
  [64, 63, 1, 2, false, false, false],
  [65, 64, 1, 2, true, false, false],
  [2, 65, 1, 3, false, true, false],
];
for (const [D, H, B, T, norm, reverse, extreme] of lstmShapes) {
  const seed = 5000 + D * 131 + H;
  const base = lstmParams(D, H, seed, { norm });
  // extreme: ±127 weights everywhere drive gates and the cell into saturation
  const p: LstmCellParams = extreme
    ? { ...base, wx: Int8Array.from(base.wx, (v) => (v >= 0 ? 127 : -127)), wh: Int8Array.from(base.wh, (v) => (v >= 0 ? 127 : -127)), bias: new Int32Array(4 * H) }
    : base;
  const x = extreme ? Int8Array.from({ length: B * T * D }, (_, i) => (i % 2 ? 127 : -128)) : int8s(B * T * D, seed + 50);
  const c0 = Int16Array.from(ints(B * H, extreme ? -32768 : -20000, extreme ? 32767 : 20000, seed + 52));
  lstmCase(`IntLSTM D=${D} H=${H} B=${B} T=${T}${norm ? ' MadNorm' : ''}${reverse ? ' reverse' : ''}${extreme ? ' extreme' : ''}`, p, B, T, reverse, x, int8s(B * H, seed + 51), c0);
}

// ---- IntGRU: shapes over the edge lengths, reverse, extremes (§10b) ----
for (const [D, H, B, T, reverse, extreme] of [
  [1, 1, 1, 1, false, false],
  [3, 2, 2, 3, false, false],
  [8, 7, 1, 3, true, false],
  [17, 16, 2, 2, false, true],
  [33, 31, 1, 2, true, false],
  [65, 64, 1, 2, false, false],
] as const) {
  const seed = 7000 + D * 131 + H;
  const base = gruParams(D, H, seed);
  const p: GruCellParams = extreme ? { ...base, wx: Int8Array.from(base.wx, (v) => (v >= 0 ? 127 : -127)), wh: Int8Array.from(base.wh, (v) => (v >= 0 ? 127 : -127)) } : base;
  const x = extreme ? Int8Array.from({ length: B * T * D }, (_, i) => (i % 2 ? 127 : -128)) : int8s(B * T * D, seed + 50);
  gruCase(`IntGRU D=${D} H=${H} B=${B} T=${T}${reverse ? ' reverse' : ''}${extreme ? ' extreme' : ''}`, p, B, T, reverse, x, int8s(B * H, seed + 51));
}

// ---- int4 weights (§6a): the same ops with W (and R) stored int4, values -8…7, odd and even row lengths ----
const int4s = (n: number, seed: number) => int8s(n, seed, -8, 7);
const extreme4 = (n: number) => Int8Array.from({ length: n }, (_, i) => (i % 2 ? 7 : -8));
for (const [K, N, extreme] of [
  [1, 3, false],
  [2, 3, false],
  [15, 5, false],
  [16, 17, true],
  [17, 17, true],
  [33, 4, false],
  [64, 3, false],
  [65, 17, true],
] as const) {
  const R = 2;
  const seed = 3000 + K * 2 + (extreme ? 1 : 0);
  const w = extreme ? extreme4(N * K) : int4s(N * K, seed);
  const x = extreme ? Int8Array.from({ length: R * K }, (_, i) => (i % 3 ? -128 : 127)) : int8s(R * K, seed + 1);
  const bias = Int32Array.from(ints(N, -(2 ** 24), 2 ** 24, seed + 2));
  const y = new Int32Array(R * N);
  for (let r = 0; r < R; r++) oGemv(w, N, K, x.subarray(r * K, (r + 1) * K), bias).forEach((v, n) => (y[r * N + n] = Number(v)));
  cases.push({
    name: `IntDense int4 K=${K} N=${N}${extreme ? ' extreme' : ''}`,
    op: 'IntDense',
    attributes: {},
    inputs: [runtime('int8', [1, R, K], x), constant(weightTensor(w, [N, K], 4)), constant({ type: 'int32', dims: [N], data: bias })],
    outputs: [{ type: 'int32', dims: [1, R, N], data: y }],
  });
}
// IntDense with its per-row requantization (§6b), int8 and int4 weights, multipliers from 2^-10 to 16
for (const [K, N, bits, extreme] of [
  [1, 3, 8, false],
  [17, 5, 4, false],
  [64, 17, 4, true],
  [65, 4, 8, true],
] as const) {
  const R = 2;
  const seed = 3500 + K * 2 + bits;
  const w = bits === 4 ? (extreme ? extreme4(N * K) : int4s(N * K, seed)) : extreme ? Int8Array.from({ length: N * K }, (_, i) => (i % 2 ? 127 : -127)) : int8s(N * K, seed, -127, 127);
  const x = extreme ? Int8Array.from({ length: R * K }, (_, i) => (i % 3 ? -128 : 127)) : int8s(R * K, seed + 1);
  const bias = Int32Array.from(ints(N, -(2 ** 20), 2 ** 20, seed + 2));
  const mults = Int32Array.from(ints(N, 2 ** 20, 2 ** 21 - 1, seed + 3));
  const shifts = Int8Array.from(ints(N, 16, 30, seed + 4));
  const y = new Int32Array(R * N);
  for (let r = 0; r < R; r++) oGemv(w, N, K, x.subarray(r * K, (r + 1) * K), bias).forEach((v, n) => (y[r * N + n] = Number(oRequantize(v, BigInt(mults[n]), shifts[n], 24))));
  cases.push({
    name: `IntDense requantized int${bits} K=${K} N=${N}${extreme ? ' extreme' : ''}`,
    op: 'IntDense',
    attributes: {},
    inputs: [
      runtime('int8', [1, R, K], x),
      constant(weightTensor(w, [N, K], bits)),
      constant({ type: 'int32', dims: [N], data: bias }),
      constant({ type: 'int32', dims: [N], data: mults }),
      constant({ type: 'int8', dims: [N], data: shifts }),
    ],
    outputs: [{ type: 'int32', dims: [1, R, N], data: y }],
  });
}
for (const [D, H, B, T, norm, reverse, extreme] of [
  [1, 1, 1, 2, false, false, false],
  [3, 5, 2, 3, false, true, false],
  [17, 16, 1, 3, true, false, false],
  [33, 17, 1, 2, false, false, true],
  [65, 64, 1, 2, false, true, false],
] as const) {
  const seed = 6000 + D * 131 + H;
  const base = lstmParams(D, H, seed, { norm });
  const p: LstmCellParams = {
    ...base,
    wx: extreme ? extreme4(4 * H * D) : int4s(4 * H * D, seed + 1),
    wh: extreme ? extreme4(4 * H * H) : int4s(4 * H * H, seed + 2),
    weightBits: 4,
  };
  const x = extreme ? Int8Array.from({ length: B * T * D }, (_, i) => (i % 2 ? 127 : -128)) : int8s(B * T * D, seed + 50);
  const c0 = Int16Array.from(ints(B * H, -20000, 20000, seed + 52));
  lstmCase(`IntLSTM int4 D=${D} H=${H} B=${B} T=${T}${norm ? ' MadNorm' : ''}${reverse ? ' reverse' : ''}${extreme ? ' extreme' : ''}`, p, B, T, reverse, x, int8s(B * H, seed + 51), c0);
}
for (const [D, H, B, T, extreme] of [
  [1, 1, 1, 2, false],
  [5, 3, 2, 3, false],
  [17, 16, 1, 2, true],
  [65, 33, 1, 2, false],
] as const) {
  const seed = 8000 + D * 131 + H;
  const base = gruParams(D, H, seed);
  const p: GruCellParams = { ...base, wx: extreme ? extreme4(3 * H * D) : int4s(3 * H * D, seed + 1), wh: extreme ? extreme4(3 * H * H) : int4s(3 * H * H, seed + 2), weightBits: 4 };
  const x = extreme ? Int8Array.from({ length: B * T * D }, (_, i) => (i % 2 ? 127 : -128)) : int8s(B * T * D, seed + 50);
  gruCase(`IntGRU int4 D=${D} H=${H} B=${B} T=${T}${extreme ? ' extreme' : ''}`, p, B, T, false, x, int8s(B * H, seed + 51));
}

// ---- IntAttention: keys S, width D, queries T (§9a) ----
const exp = sampledTable(Math.exp, -32768, 0, 96, 2 ** -10, 2 ** -15);
for (const [S, D, T, extreme] of [
  [1, 1, 1, false],
  [2, 8, 3, false],
  [7, 17, 2, false],
  [33, 65, 1, false],
  [5, 16, 2, true],
] as const) {
  const seed = 9000 + S * 7 + D;
  const q = extreme ? new Int8Array(T * D).fill(127) : int8s(T * D, seed);
  const k = extreme ? Int8Array.from({ length: S * D }, (_, i) => (i % 2 ? -128 : 127)) : int8s(S * D, seed + 1);
  const mult = 1 << 20;
  const shift = 24;
  const y = new Int8Array(T * D);
  for (let t = 0; t < T; t++) {
    const e = oGemv(k, S, D, q.subarray(t * D, (t + 1) * D));
    const a = oSoftmax(
      e.map((v) => Number(oRequantize(v, BigInt(mult), shift, 16))),
      exp,
      8,
    );
    for (let d = 0; d < D; d++) {
      let acc = 0n;
      for (let j = 0; j < S; j++) acc += a[j] * BigInt(k[j * D + d]);
      y[t * D + d] = Number(oSat(oShift(acc, 8), 8));
    }
  }
  const e = pwlTensors('exp', exp);
  cases.push({
    name: `IntAttention S=${S} D=${D} T=${T}${extreme ? ' extreme' : ''}`,
    op: 'IntAttention',
    attributes: {},
    inputs: [runtime('int8', [1, T, D], q), runtime('int8', [1, S, D], k), constant({ type: 'int32', dims: [2], data: Int32Array.from([mult, shift]) }), constant(e.exp), constant(e.exp_params)],
    outputs: [{ type: 'int8', dims: [1, T, D], data: y }],
  });
}

// ---- Gather and Concat, as the graphs use them ----
{
  const table = int8s(5 * 3, 11);
  const ids = [4, 0, 2, 2];
  cases.push({
    name: 'Gather rows of an int8 table',
    op: 'Gather',
    attributes: { axis: 0 },
    inputs: [constant({ type: 'int8', dims: [5, 3], data: table }), runtime('int64', [1, 4], BigInt64Array.from(ids, BigInt))],
    outputs: [{ type: 'int8', dims: [1, 4, 3], data: Int8Array.from(ids.flatMap((i) => Array.from(table.subarray(i * 3, i * 3 + 3)))) }],
  });
  const a = int8s(2 * 3 * 2, 12);
  const b = int8s(2 * 3 * 5, 13);
  const joined = new Int8Array(2 * 3 * 7);
  for (let r = 0; r < 6; r++) {
    joined.set(a.subarray(r * 2, r * 2 + 2), r * 7);
    joined.set(b.subarray(r * 5, r * 5 + 5), r * 7 + 2);
  }
  cases.push({
    name: 'Concat on the last axis',
    op: 'Concat',
    attributes: { axis: 2 },
    inputs: [runtime('int8', [2, 3, 2], a), runtime('int8', [2, 3, 5], b)],
    outputs: [{ type: 'int8', dims: [2, 3, 7], data: joined }],
  });
}

// typed arrays as base64 of their little-endian bytes (a tenth of a JSON number list)
const encode = (t: Tensor) => ({ type: t.type, dims: t.dims, data: Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength).toString('base64') });
const out = {
  about:
    'Conformance cases of the ai.intrnn ops and the standard ops the executors run. Expected outputs computed by the BigInt oracle (packages/runtime-core/test/oracle). Generated by tools/gen-conformance.ts; do not edit.',
  cases: cases.map((c) => ({ ...c, inputs: c.inputs.map((t) => (t ? { ...encode(t), constant: t.constant } : null)), outputs: c.outputs.map(encode) })),
};
const dir = join(import.meta.dirname, '..', 'packages', 'runtime-core', 'conformance');
mkdirSync(dir, { recursive: true });
writeFileSync(join(dir, 'cases.json'), JSON.stringify(out) + '\n');
console.log(`${cases.length} cases → ${join(dir, 'cases.json')}`);
