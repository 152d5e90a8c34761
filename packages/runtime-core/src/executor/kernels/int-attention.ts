import { IntrnnError, type Tensor } from '@intrnn/format';
import { attentionReference, type AttentionParams } from '../../kernels/attention.js';
import { pwlEval, pwlMinimum } from '../../kernels/pwl-eval.js';
import type { KernelEntry } from '../registry.js';
import { HEAP_ALLOCATOR } from '../arena.js';
import { checkRescale, expectTensor, pwlFromTensors } from '../tensor-checks.js';
import { checkCost } from '../limits.js';

/** Attention parameters from an IntAttention node's constant inputs (2: score rescale, 3-4: the exp table). */
export function attentionParamsFromTensors(c: (Tensor | null)[], where: string): AttentionParams {
  if (c.length !== 5) throw new IntrnnError('ERR_MODEL_GRAPH', where, `has ${c.length} inputs; IntAttention takes 5`);
  const r = expectTensor(c[2], `${where}.score_rescale`, 'int32', [2]).data as Int32Array;
  checkRescale(r[0], r[1], { multiplier: `${where}.score_rescale`, shift: `${where}.score_rescale` }, 'score');
  const expTable = pwlFromTensors(c[3], c[4], `${where}.exp`);
  // The softmax reads the table at d = x - max(x) ∈ [-65535, 0] (x int16, docs/integer-semantics.md
  // §9): checked there once, so no engine meets a negative weight or a zero sum at run time.
  if (pwlEval(expTable, 0) <= 0) throw new IntrnnError('ERR_MODEL_TENSOR', `${where}.exp`, 'an exp table must be > 0 at input 0');
  const low = pwlMinimum(expTable, -65535, 0);
  if (low.value < 0) throw new IntrnnError('ERR_MODEL_TENSOR', `${where}.exp`, `an exp table must be ≥ 0 on [-65535, 0]; it gives ${low.value} at ${low.at}`);
  return { scoreMultiplier: r[0], scoreShift: r[1], expTable };
}

/** Check IntAttention's queries [B, T, D] and keys [B, S, D] (int8, S ≥ 1). */
export function checkAttentionInputs(q: Tensor, k: Tensor, name: string): { B: number; T: number; S: number; D: number } {
  for (const [t, n] of [
    [q, 'Q'],
    [k, 'K'],
  ] as const) {
    if (t.type !== 'int8' || t.dims.length !== 3) throw new IntrnnError('ERR_SHAPE', `${name}.${n}`, `is ${t.type} ${JSON.stringify(t.dims)}, expected int8 [batch, length, dim]`);
  }
  const [B, T, D] = q.dims;
  const S = k.dims[1];
  if (k.dims[0] !== B || k.dims[2] !== D) throw new IntrnnError('ERR_SHAPE', `${name}.K`, `dims ${JSON.stringify(k.dims)} do not match queries ${JSON.stringify(q.dims)}`);
  if (S < 1) throw new IntrnnError('ERR_SHAPE', `${name}.K`, 'has no keys');
  // the score sums (D · 2^14) and the softmax length (docs/integer-semantics.md §9, §9a) stay in their widths
  if (D > 2 ** 16) throw new IntrnnError('ERR_SHAPE', `${name}.Q`, `dim ${D} exceeds 65536`);
  if (S > 2 ** 16) throw new IntrnnError('ERR_SHAPE', `${name}.K`, `${S} keys exceed 65536`);
  checkCost(name, B * T * D, 2 * B * T * S * D);
  return { B, T, S, D };
}

/** ai.intrnn:IntAttention: each query [B, T, D] attends over keys (= values) [B, S, D] (docs/integer-semantics.md §9a). */
export const intAttentionReference: KernelEntry = {
  op: 'IntAttention',
  backend: 'reference',
  priority: 0,
  create(node) {
    const p = attentionParamsFromTensors(node.constants, node.name);
    return {
      run([q, k], alloc = HEAP_ALLOCATOR) {
        const { B, T, S, D } = checkAttentionInputs(q, k, node.name);
        const out = alloc.alloc(Int8Array, B * T * D);
        const qd = q.data as Int8Array;
        const kd = k.data as Int8Array;
        for (let b = 0; b < B; b++) {
          const keys = kd.subarray(b * S * D, (b + 1) * S * D);
          for (let t = 0; t < T; t++) out.set(attentionReference(qd.subarray((b * T + t) * D, (b * T + t + 1) * D), keys, S, D, p), (b * T + t) * D);
        }
        return [{ type: 'int8', dims: [B, T, D], data: out }];
      },
    };
  },
};
