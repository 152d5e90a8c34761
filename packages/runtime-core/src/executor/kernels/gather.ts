import { IntrnnError } from '@intrnn/format';
import type { KernelEntry } from '../registry.js';
import { HEAP_ALLOCATOR } from '../arena.js';
import { checkCost } from '../limits.js';

/** ONNX Gather along axis 0 of a constant table (the embedding): ids outside the table are a typed error. */
export const gatherKernel: KernelEntry = {
  op: 'Gather',
  backend: 'reference',
  priority: 0,
  create(node) {
    // checked here, at load: a missing input would otherwise be a TypeError at the first run
    if (node.constants.length !== 2) throw new IntrnnError('ERR_MODEL_GRAPH', node.name, `Gather takes 2 inputs (data, indices), not ${node.constants.length}`);
    if ((node.attributes.axis ?? 0) !== 0) throw new IntrnnError('ERR_MODEL_UNSUPPORTED', node.name, 'Gather is supported along axis 0 only');
    const table = node.constants[0];
    if (!table || table.dims.length < 1) throw new IntrnnError('ERR_MODEL_GRAPH', `${node.name}.data`, 'must be a constant tensor of rank ≥ 1');
    // as in ONNX, whose Gather takes no int4 data: an int4 table is Cast to int8 first
    if (table.type === 'int4') throw new IntrnnError('ERR_MODEL_UNSUPPORTED', `${node.name}.data`, 'is int4; Gather takes int4 tables only through a Cast to int8');
    const rows = table.dims[0];
    const width = table.dims.slice(1).reduce((a, b) => a * b, 1);
    return {
      run([, indices], alloc = HEAP_ALLOCATOR) {
        if (indices.type !== 'int64' && indices.type !== 'int32') throw new IntrnnError('ERR_FEED_TYPE', `${node.name}.indices`, `is ${indices.type}, expected int64`);
        const n = indices.data.length;
        checkCost(node.name, n * width);
        const out = alloc.alloc(table.data.constructor as Int8ArrayConstructor, n * width);
        for (let i = 0; i < n; i++) {
          const id = Number(indices.data[i]);
          if (!(id >= 0 && id < rows)) throw new IntrnnError('ERR_FEED_RANGE', `${node.name}.indices[${i}]`, `id ${id} is outside the vocabulary [0, ${rows})`);
          (out as Int8Array).set((table.data as Int8Array).subarray(id * width, (id + 1) * width), i * width);
        }
        return [{ type: table.type, dims: [...indices.dims, ...table.dims.slice(1)], data: out }];
      },
    };
  },
};
