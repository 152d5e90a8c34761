import { inputCounts, IntrnnError, type Tensor } from '@intrnn/format';
import { requantize } from '../../arithmetic/requantize.js';
import { gemvInt8 } from '../../kernels/gemv-int8.js';
import type { KernelEntry, KernelInstance, NodeSpec } from '../registry.js';
import { HEAP_ALLOCATOR } from '../arena.js';
import { checkRescales, expectTensor, expectWeights, requireAccumulatorBound } from '../tensor-checks.js';
import { rshr, sat } from './fast-arith.js';
import { checkCost } from '../limits.js';
import { rowDot } from './row-dot.js';

/**
 * An IntDense node's weights and bias, checked (shapes and the overflow proof), and its optional
 * per-row requantization (op set 3): multipliers and shifts in §4's ranges.
 */
export function denseParams(node: NodeSpec) {
  const counts = inputCounts('IntDense');
  if (!counts.includes(node.constants.length)) throw new IntrnnError('ERR_MODEL_GRAPH', node.name, `has ${node.constants.length} inputs; IntDense takes ${counts.join(' or ')}`);
  const W = expectWeights(node.constants[1], `${node.name}.W`, [-1, -1]);
  const [N, K] = W.tensor.dims;
  const B = expectTensor(node.constants[2], `${node.name}.B`, 'int32', [N]);
  requireAccumulatorBound(W.values, N, K, B.data as Int32Array, `${node.name}.W`);
  let rescale: { multipliers: Int32Array; shifts: Int32Array } | undefined;
  if (node.constants.length === 5) {
    const multipliers = expectTensor(node.constants[3], `${node.name}.multipliers`, 'int32', [N]).data as Int32Array;
    const shifts = Int32Array.from(expectTensor(node.constants[4], `${node.name}.shifts`, 'int8', [N]).data as Int8Array);
    const where = { multiplier: `${node.name}.multipliers`, shift: `${node.name}.shifts` };
    checkRescales(multipliers, shifts, where, (n) => `row ${n}`);
    rescale = { multipliers, shifts };
  }
  return { w: W.values, bits: W.bits, bias: B.data as Int32Array, N, K, rescale };
}

/** Output n of a requantizing IntDense: requantize(acc, M[n], n[n], 24) (docs/integer-semantics.md §6b). */
function requantizeRows(out: Int32Array, N: number, r: { multipliers: Int32Array; shifts: Int32Array }): void {
  for (let i = 0; i < out.length; i++) out[i] = requantize(out[i], r.multipliers[i % N], r.shifts[i % N], 24);
}

/** Check an IntDense call (input int8 with last dim K, N outputs per row, within the cost limits); returns the number of rows. */
export function checkDenseInput(x: Tensor, where: string, K: number, N: number): number {
  if (x.type !== 'int8') throw new IntrnnError('ERR_FEED_TYPE', where, `is ${x.type}, expected int8`);
  if (x.dims[x.dims.length - 1] !== K) throw new IntrnnError('ERR_SHAPE', where, `last dim ${x.dims[x.dims.length - 1]} is not ${K}`);
  const rows = x.data.length / K;
  checkCost(where, rows * N, rows * N * K);
  return rows;
}

/** ai.intrnn:IntDense by the reference GEMV, row by row. */
export const intDenseReference: KernelEntry = {
  op: 'IntDense',
  backend: 'reference',
  priority: 0,
  create(node): KernelInstance {
    const { w, bias, N, K, rescale } = denseParams(node);
    return {
      run([x], alloc = HEAP_ALLOCATOR) {
        const rows = checkDenseInput(x, `${node.name}.X`, K, N);
        const out = alloc.alloc(Int32Array, rows * N);
        for (let r = 0; r < rows; r++) out.set(gemvInt8(w, N, K, (x.data as Int8Array).subarray(r * K, (r + 1) * K), bias), r * N);
        if (rescale) requantizeRows(out, N, rescale);
        return [{ type: 'int32', dims: [...x.dims.slice(0, -1), N], data: out }];
      },
    };
  },
};

/**
 * ai.intrnn:IntDense, the fast twin: the accumulator bound is proven once at load (|b| + 128·Σ|w|
 * ≤ 2^31 - 1 per row), so the inner loop needs no overflow checks.
 */
export const intDenseCore: KernelEntry = {
  op: 'IntDense',
  backend: 'core',
  priority: 10,
  create(node): KernelInstance {
    const { bias, N, K, rescale, ...p } = denseParams(node);
    const dot = rowDot(p.w, N, K, p.bits);
    const pow = rescale && Float64Array.from(rescale.shifts, (v) => 2 ** v);
    let xs: Int32Array[] = [];
    return {
      run([x], alloc = HEAP_ALLOCATOR) {
        const rows = checkDenseInput(x, `${node.name}.X`, K, N);
        const out = alloc.alloc(Int32Array, rows * N);
        if (xs.length < rows) xs = Array.from({ length: rows }, () => new Int32Array(K)); // reused across calls
        for (let r = 0; r < rows; r++) xs[r].set((x.data as Int8Array).subarray(r * K, (r + 1) * K));
        // weight row outermost: each row is read once per call and dotted with every input row,
        // instead of streaming the whole matrix from memory once per input row
        for (let n = 0; n < N; n++) {
          const b = bias[n];
          if (rescale) {
            // requantize(acc, M, s, 24) with the twins' rounding shift: acc · M < 2^52 is exact in float64
            const m = rescale.multipliers[n];
            for (let r = 0; r < rows; r++) out[r * N + n] = sat(rshr((b + dot(n, xs[r])) * m, pow![n]), -8388608, 8388607);
          } else {
            for (let r = 0; r < rows; r++) out[r * N + n] = b + dot(n, xs[r]);
          }
        }
        return [{ type: 'int32', dims: [...x.dims.slice(0, -1), N], data: out }];
      },
    };
  },
};
