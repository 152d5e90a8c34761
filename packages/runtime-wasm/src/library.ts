import type { HandleKernelLibrary } from '@intrnn/runtime-core';

/** The functions crate/src/wasm_api.rs exports: pointers into `memory`, -1 on error. */
interface Exports {
  memory: WebAssembly.Memory;
  intrnn_alloc(bytes: number): number;
  intrnn_free(ptr: number, bytes: number): void;
  intrnn_error_ptr(): number;
  intrnn_error_len(): number;
  intrnn_force_path(i: number): number;
  intrnn_path(): number;
  intrnn_release(handle: number): number;
  intrnn_narrow_weights(handle: number): number;
  intrnn_dense_rescale(handle: number, mults: number, shifts: number, n: number): number;
  intrnn_gemv(w: number, rows: number, cols: number, x: number, bias: number, out: number): number;
  intrnn_lstm_create(
    wx: number,
    wh: number,
    bias: number,
    mults: number,
    shifts: number,
    out: number,
    d: number,
    h: number,
    sig: number,
    sigLen: number,
    tg: number,
    tgLen: number,
    tc: number,
    tcLen: number,
    norm: number,
    normLen: number,
  ): number;
  intrnn_lstm_run(handle: number, x: number, b: number, t: number, reverse: number, h0: number, c0: number, y: number, hT: number, cT: number): number;
  intrnn_gru_create(wx: number, wh: number, biases: number, mults: number, shifts: number, out: number, d: number, h: number, sig: number, sigLen: number, tg: number, tgLen: number): number;
  intrnn_gru_run(handle: number, x: number, b: number, t: number, reverse: number, h0: number, y: number, hT: number): number;
  intrnn_dense_create(w: number, n: number, k: number, bias: number): number;
  intrnn_dense_run(handle: number, x: number, rows: number, out: number): number;
  intrnn_attention_create(multiplier: number, shift: number, exp: number, expLen: number): number;
  intrnn_attention_run(handle: number, q: number, k: number, b: number, t: number, s: number, d: number, out: number): number;
  intrnn_dot_peak(rounds: number): number;
}

type Int = Int8Array | Int16Array | Int32Array;
type IntCtor = Int8ArrayConstructor | Int16ArrayConstructor | Int32ArrayConstructor;

/** Instruction paths by the crate's index (handles.rs). */
export const WASM_PATHS = ['scalar', 'avx2', 'avx512-vnni', 'neon', 'wasm-simd128'] as const;

/** What a handle was created as: the shapes its runs must match. */
type Shape = { kind: 'lstm'; d: number; h: number } | { kind: 'gru'; d: number; h: number } | { kind: 'dense'; rows: number; cols: number } | { kind: 'attention' };
const KIND_NAMES: Record<Shape['kind'], string> = { lstm: 'an LSTM', gru: 'a GRU', dense: 'a dense layer', attention: 'an attention' };

const MAX_WASM_BYTES = 2 ** 31; // the module's pointers are 32-bit; stay clear of sign trouble

/**
 * The wasm kernels behind the interface runtime-native's addon has ({@link HandleKernelLibrary}).
 * Arrays are copied into the module's memory and results copied out: one copy of a few KB per
 * LSTM step, small beside the step. Every length is checked here against the handle's shapes,
 * because the module trusts its pointers; a trap (a bug) retires the instance and every later call
 * says so, rather than running on a memory it may have left half written.
 */
export class WasmKernelLibrary implements HandleKernelLibrary {
  private readonly shapes = new Map<number, Shape>();
  private scratch = { ptr: 0, bytes: 0 };
  private broken: string | null = null;

  constructor(private readonly x: Exports) {}

  /** The instruction path in use and the module's memory size. */
  info(): string {
    return `intrnn-kernels wasm ${WASM_PATHS[this.x.intrnn_path()] ?? 'unknown'}, memory ${(this.x.memory.buffer.byteLength / 2 ** 20).toFixed(1)} MiB`;
  }

  /** Force a path by index (0 scalar, 4 wasm-simd128; -1: the best again); returns its name. */
  forcePath(i: number): string {
    return WASM_PATHS[this.call(() => this.x.intrnn_force_path(i))];
  }

  /**
   * The peak rate of the instruction the GEMV is built on (i32x4.dot_i16x8 on registers, no loads):
   * the best of `trials` runs of `rounds` × 12 dots, in multiply-adds per second.
   */
  dotPeak(rounds = 2_000_000, trials = 20): number {
    let best = 0;
    for (let i = 0; i < trials; i++) {
      const t0 = performance.now();
      this.x.intrnn_dot_peak(rounds);
      best = Math.max(best, (rounds * 12 * 8) / ((performance.now() - t0) / 1000));
    }
    return best;
  }

  /** One int8 GEMV (weights packed per call): for tests. */
  gemvInt8(w: Int8Array, rows: number, cols: number, x: Int8Array, bias: Int32Array | undefined, out: Int32Array): void {
    this.sizes([w, rows * cols, 'w'], [x, cols, 'x'], [out, rows, 'out']);
    if (bias) this.sizes([bias, rows, 'bias']);
    const [pw, px, pb, po] = this.stage([w, x, bias ?? new Int32Array(0), out]);
    this.call(() => this.x.intrnn_gemv(pw, rows, cols, px, bias ? pb : 0, po));
    this.unstage(po, out);
  }

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
  ): number {
    const [d, h] = [inputSize, hiddenSize];
    this.sizes([wx, 4 * h * d, 'wx'], [wh, 4 * h * h, 'wh'], [bias, 4 * h, 'bias'], [mults, 8 * h, 'multipliers'], [shifts, 8 * h, 'shifts'], [out, 3, 'outRescale']);
    const arrays = [wx, wh, bias, mults, shifts, out, sigmoid, tanhGate, tanhCell, norm ?? new Int32Array(0)];
    const handle = this.temporary(arrays, ([pwx, pwh, pb, pm, ps, po, p1, p2, p3, pn]) =>
      this.x.intrnn_lstm_create(pwx, pwh, pb, pm, ps, po, d, h, p1, sigmoid.length, p2, tanhGate.length, p3, tanhCell.length, norm ? pn : 0, norm?.length ?? 0),
    );
    this.shapes.set(handle, { kind: 'lstm', d, h });
    return handle;
  }

  lstmRun(handle: number, x: Int8Array, batch: number, time: number, reverse: number, h0: Int8Array, c0: Int16Array, y: Int8Array, hT: Int8Array, cT: Int16Array): void {
    const s = this.shape(handle, 'lstm');
    const bh = batch * s.h;
    this.sizes([x, batch * time * s.d, 'x'], [h0, bh, 'h0'], [c0, bh, 'c0'], [y, batch * time * s.h, 'y'], [hT, bh, 'hT'], [cT, bh, 'cT']);
    const [px, ph, pc, py, phT, pcT] = this.stage([x, h0, c0, y, hT, cT]);
    this.call(() => this.x.intrnn_lstm_run(handle, px, batch, time, reverse, ph, pc, py, phT, pcT));
    this.unstage(py, y);
    this.unstage(phT, hT);
    this.unstage(pcT, cT);
  }

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
  ): number {
    const [d, h] = [inputSize, hiddenSize];
    this.sizes([wx, 3 * h * d, 'wx'], [wh, 3 * h * h, 'wh'], [biases, 6 * h, 'biases'], [mults, 6 * h, 'multipliers'], [shifts, 6 * h, 'shifts'], [out, 4, 'outRescale']);
    const handle = this.temporary([wx, wh, biases, mults, shifts, out, sigmoid, tanhGate], ([pwx, pwh, pb, pm, ps, po, p1, p2]) =>
      this.x.intrnn_gru_create(pwx, pwh, pb, pm, ps, po, d, h, p1, sigmoid.length, p2, tanhGate.length),
    );
    this.shapes.set(handle, { kind: 'gru', d, h });
    return handle;
  }

  gruRun(handle: number, x: Int8Array, batch: number, time: number, reverse: number, h0: Int8Array, y: Int8Array, hT: Int8Array): void {
    const s = this.shape(handle, 'gru');
    const bh = batch * s.h;
    this.sizes([x, batch * time * s.d, 'x'], [h0, bh, 'h0'], [y, batch * time * s.h, 'y'], [hT, bh, 'hT']);
    const [px, ph, py, phT] = this.stage([x, h0, y, hT]);
    this.call(() => this.x.intrnn_gru_run(handle, px, batch, time, reverse, ph, py, phT));
    this.unstage(py, y);
    this.unstage(phT, hT);
  }

  denseCreate(w: Int8Array, rows: number, cols: number, bias: Int32Array): number {
    this.sizes([w, rows * cols, 'w'], [bias, rows, 'bias']);
    const handle = this.temporary([w, bias], ([pw, pb]) => this.x.intrnn_dense_create(pw, rows, cols, pb));
    this.shapes.set(handle, { kind: 'dense', rows, cols });
    return handle;
  }

  denseRun(handle: number, x: Int8Array, rows: number, out: Int32Array): void {
    const s = this.shape(handle, 'dense');
    this.sizes([x, rows * s.cols, 'x'], [out, rows * s.rows, 'out']);
    const [px, po] = this.stage([x, out]);
    this.call(() => this.x.intrnn_dense_run(handle, px, rows, po));
    this.unstage(po, out);
  }

  attentionCreate(multiplier: number, shift: number, exp: Int32Array): number {
    const handle = this.temporary([exp], ([pe]) => this.x.intrnn_attention_create(multiplier, shift, pe, exp.length));
    this.shapes.set(handle, { kind: 'attention' });
    return handle;
  }

  attentionRun(handle: number, q: Int8Array, k: Int8Array, batch: number, queries: number, keys: number, dim: number, out: Int8Array): void {
    this.shape(handle, 'attention');
    this.sizes([q, batch * queries * dim, 'q'], [k, batch * keys * dim, 'k'], [out, batch * queries * dim, 'out']);
    const [pq, pk, po] = this.stage([q, k, out]);
    this.call(() => this.x.intrnn_attention_run(handle, pq, pk, batch, queries, keys, dim, po));
    this.unstage(po, out);
  }

  denseRescale(handle: number, mults: Int32Array, shifts: Int32Array): void {
    const s = this.shape(handle, 'dense');
    this.sizes([mults, s.rows, 'mults'], [shifts, s.rows, 'shifts']);
    this.temporary([mults, shifts], ([pm, ps]) => this.x.intrnn_dense_rescale(handle, pm, ps, s.rows));
  }

  narrowWeights(handle: number): void {
    this.call(() => this.x.intrnn_narrow_weights(handle));
  }

  release(handle: number): void {
    this.call(() => this.x.intrnn_release(handle));
    this.shapes.delete(handle);
  }

  private shape<K extends Shape['kind']>(handle: number, kind: K): Extract<Shape, { kind: K }> {
    const s = this.shapes.get(handle);
    if (!s) throw new Error(`kernel handle ${handle} is not live`);
    if (s.kind !== kind) throw new Error(`handle is not ${KIND_NAMES[kind]}`);
    return s as Extract<Shape, { kind: K }>;
  }

  private sizes(...checks: [Int, number, string][]): void {
    for (const [a, n, what] of checks) {
      if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${what}: size ${n} is not a count`);
      if (a.length !== n) throw new Error(`${what} holds ${a.length} values, expected ${n}`);
    }
  }

  /** Run a module call: a negative status raises the module's message; a trap retires the instance. */
  private call(f: () => number): number {
    if (this.broken) throw new Error(`the wasm kernels stopped after an earlier fault: ${this.broken}`);
    let status: number;
    try {
      status = f();
    } catch (e) {
      this.broken = (e as Error).message;
      throw new Error(`the wasm kernels faulted: ${this.broken}`);
    }
    if (status < 0) {
      const bytes = new Uint8Array(this.x.memory.buffer, this.x.intrnn_error_ptr(), this.x.intrnn_error_len());
      throw new Error(new TextDecoder().decode(bytes));
    }
    return status;
  }

  /** Byte offsets of each array in a layout of 16-byte aligned slots, and the total. */
  private layout(arrays: Int[]): { offsets: number[]; bytes: number } {
    let bytes = 0;
    const offsets = arrays.map((a) => {
      const at = bytes;
      bytes += Math.ceil(a.byteLength / 16) * 16;
      return at;
    });
    if (bytes > MAX_WASM_BYTES) throw new Error(`${bytes} bytes do not fit the wasm memory`);
    return { offsets, bytes };
  }

  private copyIn(base: number, offsets: number[], arrays: Int[]): number[] {
    const mem = new Uint8Array(this.x.memory.buffer);
    return arrays.map((a, i) => {
      mem.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), base + offsets[i]);
      return base + offsets[i];
    });
  }

  /** Copy arrays into the reusable scratch region (grown as needed); returns their pointers. */
  private stage(arrays: Int[]): number[] {
    const { offsets, bytes } = this.layout(arrays);
    if (bytes > this.scratch.bytes) {
      if (this.scratch.bytes > 0) this.x.intrnn_free(this.scratch.ptr, this.scratch.bytes);
      const size = Math.max(bytes, 2 * this.scratch.bytes);
      const ptr = this.x.intrnn_alloc(size);
      if (ptr === 0) throw new Error(`the wasm memory cannot hold ${size} more bytes`);
      this.scratch = { ptr, bytes: size };
    }
    return this.copyIn(this.scratch.ptr, offsets, arrays);
  }

  /** Copy arrays into a buffer freed after `f` (weights at create: not kept in scratch). */
  private temporary(arrays: Int[], f: (ptrs: number[]) => number): number {
    const { offsets, bytes } = this.layout(arrays);
    const base = this.x.intrnn_alloc(bytes);
    if (base === 0) throw new Error(`the wasm memory cannot hold ${bytes} more bytes`);
    try {
      return this.call(() => f(this.copyIn(base, offsets, arrays)));
    } finally {
      if (!this.broken) this.x.intrnn_free(base, bytes);
    }
  }

  private unstage(ptr: number, into: Int): void {
    // a fresh view: the call may have grown the memory, detaching earlier views
    into.set(new (into.constructor as IntCtor)(this.x.memory.buffer, ptr, into.length));
  }
}

/** Instantiate the module from its bytes (or a compiled module). */
export async function instantiateKernels(source: BufferSource | WebAssembly.Module): Promise<WasmKernelLibrary> {
  const instance = source instanceof WebAssembly.Module ? await WebAssembly.instantiate(source, {}) : (await WebAssembly.instantiate(source, {})).instance;
  return new WasmKernelLibrary(instance.exports as unknown as Exports);
}
