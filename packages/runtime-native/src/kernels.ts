import { IntrnnError, pwlSymmetryCode, type PwlTable, type Tensor } from '@intrnn/format';
import {
  HEAP_ALLOCATOR,
  attentionParamsFromTensors,
  checkAttentionInputs,
  checkDenseInput,
  checkLstmInputs,
  denseParams,
  lstmDirection,
  lstmParamsFromTensors,
  LSTM_INPUT,
  type KernelEntry,
  type KernelInstance,
} from '@intrnn/runtime-core';
import type { NativeAddon } from './addon.js';

/** A PWL table as the addon takes it: [K, fracBits, outBits, symmetry, center, knots…, values…, slopes…]. */
export function packPwl(t: PwlTable): Int32Array {
  return Int32Array.from([t.knots.length, t.fracBits, t.outBits, pwlSymmetryCode(t.symmetry), t.center, ...t.knots, ...t.values, ...t.slopes]);
}

/** Native calls throw plain Errors with code ERR_NATIVE; the executor speaks IntrnnError. */
function native<T>(where: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    throw new IntrnnError('ERR_NATIVE', where, (e as Error).message);
  }
}

// Kernel handles live in the addon's table; free them when the kernel instance is collected.
const handles = new FinalizationRegistry<{ addon: NativeAddon; handle: number }>(({ addon, handle }) => {
  try {
    addon.release(handle);
  } catch {
    // a finalizer must not throw (it would crash the process); the handle is gone either way
  }
});

function owned(addon: NativeAddon, handle: number, instance: KernelInstance): KernelInstance {
  handles.register(instance, { addon, handle });
  return instance;
}

/** The native kernels (backend `native`, priority 20: above runtime-core's `core` twins). */
export function nativeKernels(addon: NativeAddon): KernelEntry[] {
  return [
    {
      op: 'IntLSTM',
      backend: 'native',
      priority: 20,
      create(node) {
        const p = lstmParamsFromTensors(node.constants, node.name);
        const reverse = lstmDirection(node) === 'reverse' ? 1 : 0;
        const H = p.hiddenSize;
        const D = p.inputSize;
        const mults = new Int32Array(8 * H);
        mults.set(p.multX, 0);
        mults.set(p.multH, 4 * H);
        const shifts = new Int32Array(8 * H);
        shifts.set(p.shiftX, 0);
        shifts.set(p.shiftH, 4 * H);
        let norm: Int32Array | undefined;
        if (p.norm) {
          norm = new Int32Array(16 + 8 * H);
          p.norm.forEach((g, i) => {
            norm!.set([g.normFracBits, g.multiplier, g.shift, g.outBits], 4 * i);
            norm!.set(g.gamma, 16 + i * H);
            norm!.set(g.beta, 16 + 4 * H + i * H);
          });
        }
        const handle = native(node.name, () =>
          addon.lstmCreate(p.wx, p.wh, p.bias, mults, shifts, Int32Array.from([p.multOut, p.shiftOut, p.cellFracBits]), D, H, packPwl(p.sigmoid), packPwl(p.tanhGate), packPwl(p.tanhCell), norm),
        );
        return owned(addon, handle, {
          run(inputs: Tensor[], alloc = HEAP_ALLOCATOR) {
            const { B, T } = checkLstmInputs(inputs, node.name, D, H);
            const y = alloc.alloc(Int8Array, B * T * H);
            const hT = alloc.alloc(Int8Array, B * H);
            const cT = alloc.alloc(Int16Array, B * H);
            native(node.name, () =>
              addon.lstmRun(handle, inputs[LSTM_INPUT.X].data as Int8Array, B, T, reverse, inputs[LSTM_INPUT.h0].data as Int8Array, inputs[LSTM_INPUT.c0].data as Int16Array, y, hT, cT),
            );
            return [
              { type: 'int8', dims: [B, T, H], data: y },
              { type: 'int8', dims: [B, H], data: hT },
              { type: 'int16', dims: [B, H], data: cT },
            ];
          },
        });
      },
    },
    {
      op: 'IntDense',
      backend: 'native',
      priority: 20,
      create(node) {
        const { w, bias, N, K } = denseParams(node);
        const handle = native(node.name, () => addon.denseCreate(w, N, K, bias));
        return owned(addon, handle, {
          run([x], alloc = HEAP_ALLOCATOR) {
            const rows = checkDenseInput(x, `${node.name}.X`, K);
            const out = alloc.alloc(Int32Array, rows * N);
            native(node.name, () => addon.denseRun(handle, x.data as Int8Array, rows, out));
            return [{ type: 'int32', dims: [...x.dims.slice(0, -1), N], data: out }];
          },
        });
      },
    },
    {
      op: 'IntAttention',
      backend: 'native',
      priority: 20,
      create(node) {
        const p = attentionParamsFromTensors(node.constants, node.name);
        const handle = native(node.name, () => addon.attentionCreate(p.scoreMultiplier, p.scoreShift, packPwl(p.expTable)));
        return owned(addon, handle, {
          run([q, k], alloc = HEAP_ALLOCATOR) {
            const { B, T, S, D } = checkAttentionInputs(q, k, node.name);
            const out = alloc.alloc(Int8Array, B * T * D);
            native(node.name, () => addon.attentionRun(handle, q.data as Int8Array, k.data as Int8Array, B, T, S, D, out));
            return [{ type: 'int8', dims: [B, T, D], data: out }];
          },
        });
      },
    },
  ];
}
