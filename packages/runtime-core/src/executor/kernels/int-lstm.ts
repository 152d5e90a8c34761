import { IntrnnError, type Tensor } from '@intrnn/format';
import { compilePwl } from '../../kernels/pwl-eval-fast.js';
import { lstmStepReference, type LstmCellParams } from '../../kernels/lstm-step.js';
import { madNormReference } from '../../kernels/mad-norm.js';
import type { KernelEntry, KernelInstance, NodeSpec } from '../registry.js';
import { HEAP_ALLOCATOR } from '../arena.js';
import { LSTM_INPUT, lstmParamsFromTensors } from '../tensor-checks.js';
import { checkCost } from '../limits.js';
import { rshr, sat } from './fast-arith.js';
import { rowDot } from './row-dot.js';

type Step = (x: Int8Array, h: Int8Array, c: Int16Array) => void;

function check(t: Tensor, where: string, type: Tensor['type'], dims: number[]): void {
  if (t.type !== type) throw new IntrnnError('ERR_FEED_TYPE', where, `is ${t.type}, expected ${type}`);
  if (t.dims.length !== dims.length || t.dims.some((d, i) => d !== dims[i])) throw new IntrnnError('ERR_SHAPE', where, `has dims ${JSON.stringify(t.dims)}, expected ${JSON.stringify(dims)}`);
}

/** An IntLSTM node's direction attribute, checked. */
export function lstmDirection(node: NodeSpec): 'forward' | 'reverse' {
  const direction = node.attributes.direction ?? 'forward';
  if (direction !== 'forward' && direction !== 'reverse') throw new IntrnnError('ERR_MODEL_GRAPH', `${node.name}.direction`, `'${String(direction)}' is not 'forward' or 'reverse'`);
  return direction;
}

/** Check an IntLSTM call's runtime inputs (X [B, T, D] int8, states [B, H]); returns B and T. */
export function checkLstmInputs(inputs: Tensor[], name: string, D: number, H: number): { B: number; T: number } {
  const X = inputs[LSTM_INPUT.X];
  if (X.dims.length !== 3) throw new IntrnnError('ERR_SHAPE', `${name}.X`, `has dims ${JSON.stringify(X.dims)}, expected [batch, time, ${D}]`);
  const [B, T] = X.dims;
  check(X, `${name}.X`, 'int8', [B, T, D]);
  check(inputs[LSTM_INPUT.h0], `${name}.initial_h`, 'int8', [B, H]);
  check(inputs[LSTM_INPUT.c0], `${name}.initial_c`, 'int16', [B, H]);
  checkCost(name, B * T * H, B * T * 4 * H * (D + H));
  return { B, T };
}

/** The time loop shared by both backends: batch rows one after another, time forward or reversed. */
function lstmKernel(node: NodeSpec, makeStep: (p: LstmCellParams) => Step): KernelInstance {
  const p = lstmParamsFromTensors(node.constants, node.name);
  const direction = lstmDirection(node);
  const step = makeStep(p);
  const { inputSize: D, hiddenSize: H } = p;
  // the running state: scratch of this instance (runs are synchronous, never re-entered)
  const h = new Int8Array(H);
  const c = new Int16Array(H);
  return {
    run(inputs, alloc = HEAP_ALLOCATOR) {
      const X = inputs[LSTM_INPUT.X];
      const { B, T } = checkLstmInputs(inputs, node.name, D, H);
      const y = alloc.alloc(Int8Array, B * T * H);
      const hT = alloc.alloc(Int8Array, B * H);
      const cT = alloc.alloc(Int16Array, B * H);
      for (let b = 0; b < B; b++) {
        h.set((inputs[LSTM_INPUT.h0].data as Int8Array).subarray(b * H, (b + 1) * H));
        c.set((inputs[LSTM_INPUT.c0].data as Int16Array).subarray(b * H, (b + 1) * H));
        for (let s = 0; s < T; s++) {
          const t = direction === 'forward' ? s : T - 1 - s;
          step((X.data as Int8Array).subarray((b * T + t) * D, (b * T + t + 1) * D), h, c);
          y.set(h, (b * T + t) * H);
        }
        hT.set(h, b * H);
        cT.set(c, b * H);
      }
      return [
        { type: 'int8', dims: [B, T, H], data: y },
        { type: 'int8', dims: [B, H], data: hT },
        { type: 'int16', dims: [B, H], data: cT },
      ];
    },
  };
}

/** ai.intrnn:IntLSTM by runtime-core's reference step (docs/integer-semantics.md §10, line by line). */
export const intLstmReference: KernelEntry = {
  op: 'IntLSTM',
  backend: 'reference',
  priority: 0,
  create: (node) =>
    lstmKernel(node, (p) => (x, h, c) => {
      const s = lstmStepReference(p, x, h, c);
      h.set(s.h);
      c.set(s.c);
    }),
};

/**
 * ai.intrnn:IntLSTM, the fast twin of the reference step: preallocated buffers, binary-search PWL
 * (compilePwl), accumulator bounds proven once at load instead of checked per row. Tested equal to
 * the reference on every output.
 */
export const intLstmCore: KernelEntry = {
  op: 'IntLSTM',
  backend: 'core',
  priority: 10,
  create: (node) =>
    lstmKernel(node, (p) => {
      const { inputSize: D, hiddenSize: H } = p;
      const H4 = 4 * H;
      const powX = Float64Array.from(p.shiftX, (s) => 2 ** s);
      const powH = Float64Array.from(p.shiftH, (s) => 2 ** s);
      const powOut = 2 ** p.shiftOut;
      const powCell = 2 ** (30 - p.cellFracBits);
      const P15 = 2 ** 15;
      const sigmoid = compilePwl(p.sigmoid);
      const tanhGate = compilePwl(p.tanhGate);
      const tanhCell = compilePwl(p.tanhCell);
      const z = new Int32Array(H4);
      const normed = new Int32Array(H4);
      // the step reads these, not p: p's int8 copies of int4 weights are then not kept
      const { bias, multX, multH, norm, multOut } = p;
      const dotX = rowDot(p.wx, H4, D, p.weightBits);
      const dotH = rowDot(p.wh, H4, H, p.weightBits);
      return (x, h, c) => {
        for (let r = 0; r < H4; r++) {
          const tx = sat(rshr((bias[r] + dotX(r, x)) * multX[r], powX[r]), -8388608, 8388607);
          const th = sat(rshr(dotH(r, h) * multH[r], powH[r]), -8388608, 8388607);
          z[r] = sat(tx + th, -32768, 32767);
        }
        let gates = z;
        if (norm) {
          for (let g = 0; g < 4; g++) normed.set(madNormReference(z.subarray(g * H, (g + 1) * H), norm[g]), g * H);
          gates = normed;
        }
        for (let u = 0; u < H; u++) {
          const i = sigmoid(gates[u]);
          const f = sigmoid(gates[H + u]);
          const g = tanhGate(gates[2 * H + u]);
          const o = sigmoid(gates[3 * H + u]);
          const cNew = sat(rshr(f * c[u], P15) + rshr(i * g, powCell), -32768, 32767);
          c[u] = cNew;
          h[u] = sat(rshr(rshr(o * tanhCell(cNew), P15) * multOut, powOut), -128, 127);
        }
      };
    }),
};
