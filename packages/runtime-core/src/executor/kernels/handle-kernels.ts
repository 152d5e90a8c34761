import { IntrnnError, pwlSymmetryCode, type PwlTable, type Tensor } from '@intrnn/format';
import { HEAP_ALLOCATOR } from '../arena.js';
import type { KernelEntry, KernelInstance } from '../registry.js';
import { GRU_INPUT, gruParamsFromTensors, LSTM_INPUT, lstmParamsFromTensors } from '../tensor-checks.js';
import { checkGruInputs } from './int-gru.js';
import { attentionParamsFromTensors, checkAttentionInputs } from './int-attention.js';
import { checkDenseInput, denseParams } from './int-dense.js';
import { checkLstmInputs, lstmDirection } from './int-lstm.js';

/** A PWL table as the libraries take it: [K, fracBits, outBits, symmetry, center, knots…, values…, slopes…]. */
export function packPwl(t: PwlTable): Int32Array {
  return Int32Array.from([t.knots.length, t.fracBits, t.outBits, pwlSymmetryCode(t.symmetry), t.center, ...t.knots, ...t.values, ...t.slopes]);
}

/**
 * A kernel library that keeps kernels behind integer handles: the Rust crate's two bindings,
 * Node-API (runtime-native) and WebAssembly (runtime-wasm). Arrays are checked by the library too.
 */
export interface HandleKernelLibrary {
  lstmCreate(
    wx: Int8Array,
    wh: Int8Array,
    bias: Int32Array,
    mults: Int32Array,
    shifts: Int32Array,
    out: Int32Array,
    inputSize: number,
    hiddenSize: number,
    sigmoid: Int32Array,
    tanhGate: Int32Array,
    tanhCell: Int32Array,
    norm: Int32Array | undefined,
  ): number;
  lstmRun(handle: number, x: Int8Array, batch: number, time: number, reverse: number, h0: Int8Array, c0: Int16Array, y: Int8Array, hT: Int8Array, cT: Int16Array): void;
  /** A GRU (§10b): biases, multipliers and shifts [input 3H; recurrent 3H], out [multPrev, shiftPrev, multOut, shiftOut]. */
  gruCreate(
    wx: Int8Array,
    wh: Int8Array,
    biases: Int32Array,
    mults: Int32Array,
    shifts: Int32Array,
    out: Int32Array,
    inputSize: number,
    hiddenSize: number,
    sigmoid: Int32Array,
    tanhGate: Int32Array,
  ): number;
  gruRun(handle: number, x: Int8Array, batch: number, time: number, reverse: number, h0: Int8Array, y: Int8Array, hT: Int8Array): void;
  denseCreate(w: Int8Array, rows: number, cols: number, bias: Int32Array): number;
  denseRun(handle: number, x: Int8Array, rows: number, out: Int32Array): void;
  attentionCreate(multiplier: number, shift: number, exp: Int32Array): number;
  attentionRun(handle: number, q: Int8Array, k: Int8Array, batch: number, queries: number, keys: number, dim: number, out: Int8Array): void;
  /** Keep a recurrent or dense kernel's weights as int4 from here on (every value within -8…7; §6a). */
  narrowWeights(handle: number): void;
  /** Give a dense kernel its per-row requantization, requantize(acc, M[n], s[n], 24) (§6b). */
  denseRescale(handle: number, mults: Int32Array, shifts: Int32Array): void;
  release(handle: number): void;
}

/** How a handle library's kernels enter the registry. */
export interface HandleKernelOptions {
  /** The registry backend name, e.g. `native`, `wasm`. */
  backend: string;
  priority: number;
  /** The IntrnnError code for the library's own failures (one the executor falls back on). */
  errorCode: 'ERR_NATIVE' | 'ERR_BACKEND';
}

// Kernel handles live in the library's table; free them when the kernel instance is collected.
const handles = new FinalizationRegistry<{ lib: HandleKernelLibrary; handle: number }>(({ lib, handle }) => {
  try {
    lib.release(handle);
  } catch {
    // a finalizer must not throw (it would crash the process); the handle is gone either way
  }
});

/** The IntLSTM, IntGRU, IntDense and IntAttention kernels of a handle library, with the built-in kernels' parsing and checks. */
export function handleKernels(lib: HandleKernelLibrary, { backend, priority, errorCode }: HandleKernelOptions): KernelEntry[] {
  // the library throws plain Errors; the executor speaks IntrnnError
  const call = <T>(where: string, f: () => T): T => {
    try {
      return f();
    } catch (e) {
      throw new IntrnnError(errorCode, where, (e as Error).message);
    }
  };
  // a created kernel's further set-up (each step skipped when null); a failed step frees the handle
  const setUp = (handle: number, where: string, ...steps: ((() => void) | null)[]): number => {
    try {
      for (const step of steps) if (step) call(where, step);
    } catch (e) {
      call('release', () => lib.release(handle));
      throw e;
    }
    return handle;
  };
  // int4 weights reach the library as their int8 values (checked at load) and are narrowed there:
  // the library then keeps them two per byte
  const narrowed = (handle: number, bits: 4 | 8 | undefined, where: string): number => setUp(handle, where, bits === 4 ? () => lib.narrowWeights(handle) : null);
  // the handle is freed by dispose() or, as the backstop, when the instance is collected
  const owned = (handle: number, instance: KernelInstance): KernelInstance => {
    let live = true;
    instance.dispose = () => {
      if (!live) return;
      live = false;
      handles.unregister(instance);
      call('release', () => lib.release(handle));
    };
    handles.register(instance, { lib, handle }, instance);
    return instance;
  };
  return [
    {
      op: 'IntLSTM',
      backend,
      priority,
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
        const handle = narrowed(
          call(node.name, () =>
            lib.lstmCreate(p.wx, p.wh, p.bias, mults, shifts, Int32Array.from([p.multOut, p.shiftOut, p.cellFracBits]), D, H, packPwl(p.sigmoid), packPwl(p.tanhGate), packPwl(p.tanhCell), norm),
          ),
          p.weightBits,
          node.name,
        );
        return owned(handle, {
          run(inputs: Tensor[], alloc = HEAP_ALLOCATOR) {
            const { B, T } = checkLstmInputs(inputs, node.name, D, H);
            const y = alloc.alloc(Int8Array, B * T * H);
            const hT = alloc.alloc(Int8Array, B * H);
            const cT = alloc.alloc(Int16Array, B * H);
            call(node.name, () =>
              lib.lstmRun(handle, inputs[LSTM_INPUT.X].data as Int8Array, B, T, reverse, inputs[LSTM_INPUT.h0].data as Int8Array, inputs[LSTM_INPUT.c0].data as Int16Array, y, hT, cT),
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
      op: 'IntGRU',
      backend,
      priority,
      create(node) {
        const p = gruParamsFromTensors(node.constants, node.name);
        const reverse = lstmDirection(node) === 'reverse' ? 1 : 0;
        const [D, H] = [p.inputSize, p.hiddenSize];
        // the file's [input; recurrent] rows are the library's layout: the checked tensors as they are
        const rows = (i: number) => node.constants[i]!.data;
        const handle = narrowed(
          call(node.name, () =>
            lib.gruCreate(
              p.wx,
              p.wh,
              rows(GRU_INPUT.B) as Int32Array,
              rows(GRU_INPUT.multipliers) as Int32Array,
              Int32Array.from(rows(GRU_INPUT.shifts) as Int8Array),
              Int32Array.from([p.multPrev, p.shiftPrev, p.multOut, p.shiftOut]),
              D,
              H,
              packPwl(p.sigmoid),
              packPwl(p.tanhGate),
            ),
          ),
          p.weightBits,
          node.name,
        );
        return owned(handle, {
          run(inputs: Tensor[], alloc = HEAP_ALLOCATOR) {
            const { B, T } = checkGruInputs(inputs, node.name, D, H);
            const y = alloc.alloc(Int8Array, B * T * H);
            const hT = alloc.alloc(Int8Array, B * H);
            call(node.name, () => lib.gruRun(handle, inputs[GRU_INPUT.X].data as Int8Array, B, T, reverse, inputs[GRU_INPUT.h0].data as Int8Array, y, hT));
            return [
              { type: 'int8', dims: [B, T, H], data: y },
              { type: 'int8', dims: [B, H], data: hT },
            ];
          },
        });
      },
    },
    {
      op: 'IntDense',
      backend,
      priority,
      create(node) {
        const { w, bits, bias, N, K, rescale } = denseParams(node);
        const created = call(node.name, () => lib.denseCreate(w, N, K, bias));
        const handle = setUp(created, node.name, bits === 4 ? () => lib.narrowWeights(created) : null, rescale ? () => lib.denseRescale(created, rescale.multipliers, rescale.shifts) : null);
        return owned(handle, {
          run([x], alloc = HEAP_ALLOCATOR) {
            const rows = checkDenseInput(x, `${node.name}.X`, K, N);
            const out = alloc.alloc(Int32Array, rows * N);
            call(node.name, () => lib.denseRun(handle, x.data as Int8Array, rows, out));
            return [{ type: 'int32', dims: [...x.dims.slice(0, -1), N], data: out }];
          },
        });
      },
    },
    {
      op: 'IntAttention',
      backend,
      priority,
      create(node) {
        const p = attentionParamsFromTensors(node.constants, node.name);
        const handle = call(node.name, () => lib.attentionCreate(p.scoreMultiplier, p.scoreShift, packPwl(p.expTable)));
        return owned(handle, {
          run([q, k], alloc = HEAP_ALLOCATOR) {
            const { B, T, S, D } = checkAttentionInputs(q, k, node.name);
            const out = alloc.alloc(Int8Array, B * T * D);
            call(node.name, () => lib.attentionRun(handle, q.data as Int8Array, k.data as Int8Array, B, T, S, D, out));
            return [{ type: 'int8', dims: [B, T, D], data: out }];
          },
        });
      },
    },
  ];
}
