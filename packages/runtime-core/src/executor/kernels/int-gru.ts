import { IntrnnError, type Tensor } from '@intrnn/format';
import { gruStepReference } from '../../kernels/gru-step.js';
import type { KernelEntry } from '../registry.js';
import { HEAP_ALLOCATOR } from '../arena.js';
import { checkCost } from '../limits.js';
import { GRU_INPUT, gruParamsFromTensors } from '../tensor-checks.js';
import { lstmDirection } from './int-lstm.js';

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

/**
 * ai.intrnn:IntGRU by runtime-core's reference step (docs/integer-semantics.md §10b, line by line):
 * batch rows one after another, time forward or reversed. Issue 17: no fast twin or native kernel yet.
 */
export const intGruReference: KernelEntry = {
  op: 'IntGRU',
  backend: 'reference',
  priority: 0,
  create(node) {
    const p = gruParamsFromTensors(node.constants, node.name);
    const direction = lstmDirection(node);
    const { inputSize: D, hiddenSize: H } = p;
    return {
      run(inputs, alloc = HEAP_ALLOCATOR) {
        const { B, T } = checkGruInputs(inputs, node.name, D, H);
        const X = inputs[GRU_INPUT.X].data as Int8Array;
        const y = alloc.alloc(Int8Array, B * T * H);
        const hT = alloc.alloc(Int8Array, B * H);
        for (let b = 0; b < B; b++) {
          let h: Int8Array = (inputs[GRU_INPUT.h0].data as Int8Array).slice(b * H, (b + 1) * H);
          for (let s = 0; s < T; s++) {
            const t = direction === 'forward' ? s : T - 1 - s;
            h = gruStepReference(p, X.subarray((b * T + t) * D, (b * T + t + 1) * D), h);
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
  },
};
