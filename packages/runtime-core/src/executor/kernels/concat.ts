import { IntrnnError } from '@intrnn/format';
import type { KernelEntry } from '../registry.js';
import { HEAP_ALLOCATOR } from '../arena.js';
import { checkCost } from '../limits.js';

/** ONNX Concat of runtime tensors of one type along an axis. */
export const concatKernel: KernelEntry = {
  op: 'Concat',
  backend: 'reference',
  priority: 0,
  create(node) {
    if (node.constants.length === 0) throw new IntrnnError('ERR_MODEL_GRAPH', node.name, 'Concat takes at least 1 input, not 0');
    const axisAttr = node.attributes.axis;
    if (typeof axisAttr !== 'number') throw new IntrnnError('ERR_MODEL_GRAPH', node.name, 'Concat needs an integer axis attribute');
    return {
      run(inputs, alloc = HEAP_ALLOCATOR) {
        const rank = inputs[0].dims.length;
        const axis = axisAttr < 0 ? axisAttr + rank : axisAttr;
        if (axis < 0 || axis >= rank) throw new IntrnnError('ERR_SHAPE', node.name, `axis ${axisAttr} is outside rank ${rank}`);
        for (const t of inputs) {
          if (t.type !== inputs[0].type || t.dims.length !== rank || t.dims.some((d, i) => i !== axis && d !== inputs[0].dims[i])) {
            throw new IntrnnError('ERR_SHAPE', node.name, `inputs ${JSON.stringify(inputs.map((x) => x.dims))} cannot be concatenated on axis ${axis}`);
          }
        }
        const outer = inputs[0].dims.slice(0, axis).reduce((a, b) => a * b, 1);
        const inner = inputs[0].dims.slice(axis + 1).reduce((a, b) => a * b, 1);
        const dims = [...inputs[0].dims];
        dims[axis] = inputs.reduce((s, t) => s + t.dims[axis], 0);
        checkCost(
          node.name,
          dims.reduce((a, b) => a * b, 1),
        );
        const out = alloc.alloc(
          inputs[0].data.constructor as Int8ArrayConstructor,
          dims.reduce((a, b) => a * b, 1),
        );
        let offset = 0;
        for (let o = 0; o < outer; o++) {
          for (const t of inputs) {
            const chunk = t.dims[axis] * inner;
            (out as Int8Array).set((t.data as Int8Array).subarray(o * chunk, (o + 1) * chunk), offset);
            offset += chunk;
          }
        }
        return [{ type: inputs[0].type, dims, data: out }];
      },
    };
  },
};
