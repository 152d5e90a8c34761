import { availableParallelism } from 'node:os';
import { loadAddon, type NativeAddon } from '@intrnn/runtime-native';
import type { PwlLookup } from './ste-ops.js';
import { tf } from './tf-backend.js';

type T = tf.Tensor;

/**
 * Training's hot ops in runtime-native's Rust kernels (AVX-512 or AVX2 float32 matrix products
 * on every core), wrapped as TensorFlow.js ops with custom gradients: an LSTM layer over a whole
 * sequence (float, or the exact integer QAT cell with its straight-through gradient) and the
 * output layer fused with softmax cross-entropy. Where the addon is missing the tfjs ops serve,
 * and {@link trainingBackend} says why. Tests hold both to the same values and gradients.
 */

interface TrainingNative {
  addon: NativeAddon;
  threads: number;
}

let state: { native: TrainingNative | null; reason: string } | undefined;
let threads = availableParallelism();
let disabled = process.env.INTRNN_TRAIN_NATIVE === '0';

function resolve(): { native: TrainingNative | null; reason: string } {
  if (state) return state;
  if (disabled) return (state = { native: null, reason: 'native training kernels disabled (INTRNN_TRAIN_NATIVE=0 or useNativeTraining(false))' });
  const { addon, reason } = loadAddon();
  state = addon ? { native: { addon, threads }, reason: `native ${addon.trainInfo()}, ${threads} thread${threads === 1 ? '' : 's'}` } : { native: null, reason: `tfjs wasm ops (${reason})` };
  return state;
}

/** Which kernels training uses, and why. */
export function trainingBackend(): { native: boolean; reason: string } {
  const s = resolve();
  return { native: s.native !== null, reason: s.reason };
}

/** Threads of the native training kernels (default: the machine's cores). Results do not depend on it. */
export function setTrainingThreads(n: number): void {
  if (!Number.isInteger(n) || n < 1 || n > 256) throw new RangeError(`threads ${n} is not an integer in [1, 256]`);
  threads = n;
  state = undefined;
}

/** Turn the native training kernels off (tests compare both paths) or back on. */
export function useNativeTraining(on: boolean): void {
  disabled = !on;
  state = undefined;
}

function native(): TrainingNative | null {
  return resolve().native;
}

/** The integer LSTM cell's host constants, as the QAT forward uses them. */
export interface NativeQatCell {
  multX: Int32Array;
  shiftX: Int32Array;
  multH: Int32Array;
  shiftH: Int32Array;
  multOut: number;
  shiftOut: number;
  cellFracBits: number;
  sigmoid: PwlLookup;
  tanhGate: PwlLookup;
  tanhCell: PwlLookup;
}

// the six lookups change only when a layer's quantization state does: pack them once per set
const packedLuts = new WeakMap<PwlLookup, { tanhGate: PwlLookup; tanhCell: PwlLookup; luts: Float32Array }>();

function packCell(c: NativeQatCell): { ints: Int32Array; luts: Float32Array } {
  const h4 = c.multX.length;
  const ints = new Int32Array(4 * h4 + 3);
  [c.multX, c.shiftX, c.multH, c.shiftH].forEach((a, i) => ints.set(a, i * h4));
  ints.set([c.multOut, c.shiftOut, c.cellFracBits], 4 * h4);
  let p = packedLuts.get(c.sigmoid);
  if (!p || p.tanhGate !== c.tanhGate || p.tanhCell !== c.tanhCell) {
    const luts = new Float32Array(6 * 65536);
    [c.sigmoid, c.tanhGate, c.tanhCell].forEach((l, i) => {
      luts.set(l.hostValues, 2 * i * 65536);
      luts.set(l.hostSlopes, (2 * i + 1) * 65536);
    });
    p = { tanhGate: c.tanhGate, tanhCell: c.tanhCell, luts };
    packedLuts.set(c.sigmoid, p);
  }
  return { ints, luts: p.luts };
}

/**
 * Zero-copy access to tensors in TensorFlow.js's wasm heap (the backend's own typedArrayFromHeap and
 * makeOutput, as its kernels use them): reading a 10 MB weight matrix with dataSync() copies it into
 * a fresh buffer, and on this VM the page faults of a fresh buffer cost about 10 µs per 4 KB. Views
 * are valid until the next heap allocation, so every output is allocated before any view is taken.
 */
interface HeapBackend {
  typedArrayFromHeap(info: { dataId: object; shape: number[]; dtype: string }): Float32Array | Int32Array;
  makeOutput(shape: number[], dtype: 'float32'): { dataId: object; shape: number[]; dtype: 'float32' };
}

function heapBackend(): HeapBackend | null {
  const b = tf.backend() as unknown as Partial<HeapBackend>;
  return typeof b.typedArrayFromHeap === 'function' && typeof b.makeOutput === 'function' ? (b as HeapBackend) : null;
}

type Info = { dataId: object; shape: number[]; dtype: 'float32' };

/** Output tensors to be written in place, then handed to tfjs with {@link wrap}. */
function outputs(shapes: number[][]): Info[] | null {
  const b = heapBackend();
  return b ? shapes.map((s) => b.makeOutput(s, 'float32')) : null;
}

function view(t: T | Info): Float32Array {
  const b = heapBackend();
  if (!b) return (t as T).dataSync() as Float32Array;
  return b.typedArrayFromHeap(t as unknown as Info) as Float32Array;
}

function wrap(info: Info): T {
  return (tf.engine() as unknown as { makeTensorFromTensorInfo(i: Info): T }).makeTensorFromTensorInfo(info);
}

/** Float32Arrays reused between steps (the forward cache lives until its backward pass). */
const pool = new Map<number, Float32Array[]>();
function take(length: number): Float32Array {
  return pool.get(length)?.pop() ?? new Float32Array(length);
}
function give(a: Float32Array): void {
  const list = pool.get(a.length) ?? [];
  if (list.length < 8) list.push(a);
  pool.set(a.length, list);
}

/** Whether a gradient tape records (inside customGrad's forward the engine's own isTapeOn() is false). */
function recording(): boolean {
  return ((tf.engine() as unknown as { state: { gradientDepth: number } }).state.gradientDepth ?? 1) > 0;
}

/**
 * MadNorm of the gate pre-activations: γ and β [4, H] (float, or the QAT integers), the real
 * scale of the integer input and s_γ/s_out (1 and 1 in float mode), and in QAT the integer
 * parameters (normFracBits, multiplier, shift).
 */
export interface NativeNorm {
  gamma: T;
  beta: T;
  inScale: number;
  ratio: number;
  ints?: [number, number, number];
}

/** The float MadNorm's ε (qat/mad-norm.ts madNormFloat). */
const MAD_EPS = 1e-6;

/**
 * One LSTM layer over x [B, T, D] with tfjs's layouts (Wx [D, 4H], Wh [H, 4H], gates i, f, g, o),
 * optionally with MadNorm, or null when the native kernels are not in use. Gradients flow to x, the
 * weights and γ, β; the final states are plain values (training carries them between batches
 * without gradient).
 */
export function lstmSequenceNative(x: T, wx: T, wh: T, bias: T, init: { h: T; c: T } | undefined, cell: NativeQatCell | null, norm?: NativeNorm): { ys: T; h: T; c: T } | null {
  const n = native();
  if (!n || !heapBackend()) return null;
  const [B, Tn, D] = x.shape;
  const H = wh.shape[0];
  const dims = Int32Array.from([B, Tn, D, H, n.threads]);
  const q = cell ? packCell(cell) : undefined;
  const h0 = init?.h ?? tf.zeros([B, H]);
  const c0 = init?.c ?? tf.zeros([B, H]);
  let finals: Info[] = [];
  const normFloats = norm ? Float32Array.from([norm.inScale, norm.ratio, MAD_EPS]) : undefined;
  const normInts = norm?.ints ? Int32Array.from(norm.ints) : undefined;
  const op = tf.customGrad(((...args: unknown[]) => {
    const [xT, wxT, whT, bT] = args as T[];
    const [gT, btT] = norm ? (args.slice(4, 6) as T[]) : [undefined, undefined];
    const save = args[args.length - 1] as tf.GradSaveFunc;
    const out = outputs([
      [B, Tn, H],
      [B, H],
      [B, H],
    ])!;
    finals = out.slice(1);
    const cache = take(B * Tn * (norm ? 21 : 17) * H);
    n.addon.lstmTrainForward(
      dims,
      view(xT),
      view(wxT),
      view(whT),
      view(bT),
      view(h0),
      view(c0),
      view(out[0]),
      view(out[1]),
      view(out[2]),
      cache,
      q?.ints,
      q?.luts,
      gT && view(gT),
      btT && view(btT),
      normFloats,
      normInts,
    );
    const ys = wrap(out[0]);
    if (!recording()) give(cache);
    save(gT && btT ? [xT, wxT, whT, h0, ys, gT, btT] : [xT, wxT, whT, h0, ys]);
    return {
      value: ys,
      gradFunc: (dy: T, [sx, swx, swh, sh0, sys, sg, sb]: T[]) => {
        const g = outputs(norm ? [[B, Tn, D], [D, 4 * H], [H, 4 * H], [4 * H], [4, H], [4, H]] : [[B, Tn, D], [D, 4 * H], [H, 4 * H], [4 * H]])!;
        const dh0 = take(B * H);
        const dc0 = take(B * H);
        n.addon.lstmTrainBackward(
          dims,
          view(sx),
          view(swx),
          view(swh),
          view(sh0),
          view(sys),
          cache,
          view(dy),
          view(g[0]),
          view(g[1]),
          view(g[2]),
          view(g[3]),
          dh0,
          dc0,
          q?.ints,
          q?.luts,
          sg && view(sg),
          sb && view(sb),
          normFloats,
          normInts,
          g[4] && view(g[4]),
          g[5] && view(g[5]),
        );
        [cache, dh0, dc0].forEach(give);
        return g.map(wrap);
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (...a: T[]) => T;
  const ys = norm ? op(x, wx, wh, bias, norm.gamma, norm.beta) : op(x, wx, wh, bias);
  const [hT, cT] = finals.map(wrap);
  if (!init) tf.dispose([h0, c0]);
  return { ys, h: hT, c: cT };
}

function targetsOf(targets: T): Int32Array {
  const tg = targets.dataSync();
  return tg instanceof Int32Array ? tg : Int32Array.from(tg);
}

/**
 * Mean softmax cross-entropy of logits = scale · (x [N, K] · wᵀ + b), w [V, K], against int32
 * targets [N], with the gradients of x, w and b computed in the same native call; null when the
 * native kernels are not in use.
 */
export function denseCrossEntropyNative(x: T, w: T, b: T, targets: T, scale = 1): tf.Scalar | null {
  const n = native();
  if (!n || !heapBackend()) return null;
  const [N, K] = x.shape;
  const V = w.shape[0];
  const tg = targetsOf(targets);
  const op = tf.customGrad(((xT: T, wT: T, bT: T) => {
    const dx = take(N * K);
    const dw = take(V * K);
    const db = take(V);
    const loss = n.addon.denseXentTrain(Int32Array.from([N, K, V, n.threads]), view(xT), view(wT), view(bT), tg, scale, dx, dw, db);
    return {
      value: tf.scalar(loss),
      gradFunc: (dy: T) => {
        const g = dy.dataSync()[0];
        const grads = [tf.tensor2d(dx, [N, K]), tf.tensor2d(dw, [V, K]), tf.tensor1d(db)];
        [dx, dw, db].forEach(give);
        return g === 1 ? grads : grads.map((t) => t.mul(g));
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (...a: T[]) => tf.Scalar;
  return op(x.reshape([N, K]), w, b);
}

/** The same loss without gradients (evaluation), or null when the native kernels are not in use. */
export function denseCrossEntropyValueNative(x: T, w: T, b: T, targets: T, scale = 1): number | null {
  const n = native();
  if (!n || !heapBackend()) return null;
  const [N, K] = x.shape;
  return n.addon.denseXentTrain(Int32Array.from([N, K, w.shape[0], n.threads]), view(x), view(w), view(b), targetsOf(targets), scale);
}
