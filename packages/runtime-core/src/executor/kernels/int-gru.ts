import { IntrnnError, type Tensor } from '@intrnn/format';
import { gruStepReference, type GruCellParams } from '../../kernels/gru-step.js';
import { compilePwl } from '../../kernels/pwl-eval-fast.js';
import type { KernelEntry, KernelInstance, NodeSpec } from '../registry.js';
import { HEAP_ALLOCATOR } from '../arena.js';
import { checkCost } from '../limits.js';
import { GRU_INPUT, gruParamsFromTensors } from '../tensor-checks.js';
import { rshr, sat } from './fast-arith.js';
import { rowDot } from './row-dot.js';
import { lstmDirection } from './int-lstm.js';

/** One step in place: h ← GRU(x, h). */
type Step = (x: Int8Array, h: Int8Array) => void;

/** Check an IntGRU call's runtime inputs (X [B, T, D] int8, initial_h [B, H] int8); returns B and T. */
export function checkGruInputs(inputs: Tensor[], name: string, D: number, H: number): { B: number; T: number } {
  const X = inputs[GRU_INPUT.X];
  const h0 = inputs[GRU_INPUT.h0];
  if (X.type !== 'int8' || X.dims.length !== 3 || X.dims[2] !== D) throw new IntrnnError('ERR_SHAPE', `${name}.X`, `is ${X.type} ${JSON.stringify(X.dims)}, expected int8 [batch, time, ${D}]`);
  const [B, T] = X.dims;
  if (h0.type !== 'int8' || h0.dims.length !== 2 || h0.dims[0] !== B || h0.dims[1] !== H)
    throw new IntrnnError('ERR_SHAPE', `${name}.initial_h`, `is ${h0.type} ${JSON.stringify(h0.dims)}, expected int8 [${B}, ${H}]`);
  checkCost(name, B * T * H, B * T * 3 * H * (D + H));
  return { B, T };
}

/** The time loop both backends share: batch rows one after another, time forward or reversed. */
function gruKernel(node: NodeSpec, makeStep: (p: GruCellParams) => Step): KernelInstance {
  const p = gruParamsFromTensors(node.constants, node.name);
  const direction = lstmDirection(node);
  const step = makeStep(p);
  const { inputSize: D, hiddenSize: H } = p;
  const h = new Int8Array(H); // the running state: scratch of this instance (runs are synchronous)
  return {
    run(inputs, alloc = HEAP_ALLOCATOR) {
      const { B, T } = checkGruInputs(inputs, node.name, D, H);
      const X = inputs[GRU_INPUT.X].data as Int8Array;
      const y = alloc.alloc(Int8Array, B * T * H);
      const hT = alloc.alloc(Int8Array, B * H);
      for (let b = 0; b < B; b++) {
        h.set((inputs[GRU_INPUT.h0].data as Int8Array).subarray(b * H, (b + 1) * H));
        for (let s = 0; s < T; s++) {
          const t = direction === 'forward' ? s : T - 1 - s;
          step(X.subarray((b * T + t) * D, (b * T + t + 1) * D), h);
          y.set(h, (b * T + t) * H);
        }
        hT.set(h, b * H);
      }
      return [
        { type: 'int8', dims: [B, T, H], data: y },
        { type: 'int8', dims: [B, H], data: hT },
      ];
    },
  };
}

/** ai.intrnn:IntGRU by runtime-core's reference step (docs/integer-semantics.md §10b, line by line). */
export const intGruReference: KernelEntry = {
  op: 'IntGRU',
  backend: 'reference',
  priority: 0,
  create: (node) => gruKernel(node, (p) => (x, h) => h.set(gruStepReference(p, x, h))),
};

/**
 * ai.intrnn:IntGRU, the fast twin of the reference step: preallocated buffers, binary-search PWL
 * (compilePwl), accumulator bounds proven once at load instead of checked per row (§10b's step
 * numbers in the comments). Tested equal to the reference on every output.
 */
export const intGruCore: KernelEntry = {
  op: 'IntGRU',
  backend: 'core',
  priority: 10,
  create: (node) =>
    gruKernel(node, (p) => {
      const { inputSize: D, hiddenSize: H } = p;
      const H3 = 3 * H;
      const powX = Float64Array.from(p.shiftX, (s) => 2 ** s);
      const powH = Float64Array.from(p.shiftH, (s) => 2 ** s);
      const [powPrev, powOut, P15] = [2 ** p.shiftPrev, 2 ** p.shiftOut, 2 ** 15];
      const sigmoid = compilePwl(p.sigmoid);
      const tanhGate = compilePwl(p.tanhGate);
      const gx = new Int32Array(H3);
      const gh = new Int32Array(H3);
      // the step reads these, not p: p's int8 copies of int4 weights are then not kept
      const { biasX, biasH, multX, multH, multPrev, multOut } = p;
      const dotX = rowDot(p.wx, H3, D, p.weightBits);
      const dotH = rowDot(p.wh, H3, H, p.weightBits);
      return (x, h) => {
        for (let r = 0; r < H3; r++) {
          const ax = biasX[r] + dotX(r, x); // step 1
          const ah = biasH[r] + dotH(r, h); // step 2
          gx[r] = sat(rshr(ax * multX[r], powX[r]), -8388608, 8388607); // steps 3 and 5
          gh[r] = sat(rshr(ah * multH[r], powH[r]), -8388608, 8388607);
        }
        for (let u = 0; u < H; u++) {
          const z = sigmoid(sat(gx[u] + gh[u], -32768, 32767)); // step 4
          const r = sigmoid(sat(gx[H + u] + gh[H + u], -32768, 32767));
          const n = tanhGate(sat(gx[2 * H + u] + rshr(gh[2 * H + u] * r, P15), -32768, 32767)); // steps 6-7
          const prev = sat(rshr(h[u] * multPrev, powPrev), -32768, 32767); // step 8
          const v = n + rshr(z * (prev - n), P15); // step 9
          h[u] = sat(rshr(v * multOut, powOut), -128, 127); // step 10
        }
      };
    }),
};
