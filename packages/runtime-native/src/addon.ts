import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { HandleKernelLibrary } from '@intrnn/runtime-core';

/** The functions the Rust addon exports (crate/src/lib.rs); typed arrays are checked natively too. */
export interface NativeAddon extends HandleKernelLibrary {
  info(): string;
  /** Force an instruction path (0 scalar, 1 avx2, 2 avx512-vnni, 3 neon, 4 wasm-simd128; -1: detect again); returns its name. */
  forcePath(path: number): string;
  gemvInt8(w: Int8Array, rows: number, cols: number, x: Int8Array, bias: Int32Array | undefined, out: Int32Array): void;
  /** Training kernels (float32): the matrix-product instruction set in use. */
  trainInfo(): string;
  /** One LSTM layer over a sequence (packages/qat native-ops.ts); dims [B, T, D, H, threads]; QAT constants absent for the float cell. */
  lstmTrainForward(
    dims: Int32Array,
    x: Float32Array,
    wx: Float32Array,
    wh: Float32Array,
    bias: Float32Array,
    h0: Float32Array,
    c0: Float32Array,
    ys: Float32Array,
    hT: Float32Array,
    cT: Float32Array,
    cache: Float32Array,
    qatInts: Int32Array | undefined,
    qatLuts: Float32Array | undefined,
    normGamma?: Float32Array,
    normBeta?: Float32Array,
    normFloats?: Float32Array,
    normInts?: Int32Array,
  ): void;
  lstmTrainBackward(
    dims: Int32Array,
    x: Float32Array,
    wx: Float32Array,
    wh: Float32Array,
    h0: Float32Array,
    ys: Float32Array,
    cache: Float32Array,
    dys: Float32Array,
    dx: Float32Array,
    dwx: Float32Array,
    dwh: Float32Array,
    dbias: Float32Array,
    dh0: Float32Array,
    dc0: Float32Array,
    qatInts: Int32Array | undefined,
    qatLuts: Float32Array | undefined,
    normGamma?: Float32Array,
    normBeta?: Float32Array,
    normFloats?: Float32Array,
    normInts?: Int32Array,
    dGamma?: Float32Array,
    dBeta?: Float32Array,
  ): void;
  /** Mean softmax cross-entropy of scale · (x · wᵀ + b) and, given the arrays, its gradients; dims [N, K, V, threads]. */
  denseXentTrain(dims: Int32Array, x: Float32Array, w: Float32Array, bias: Float32Array, targets: Int32Array, scale: number, dx?: Float32Array, dw?: Float32Array, db?: Float32Array): number;
}

/** Where `napi build --platform` puts the addon: ../native/intrnn-native.<platform>-<arch>[-abi].node. */
const NATIVE_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'native');

let cached: { addon: NativeAddon | null; reason: string } | undefined;

/** Load the addon once; without it, `reason` says why (not built, wrong platform, load error). */
export function loadAddon(): { addon: NativeAddon | null; reason: string } {
  if (cached) return cached;
  const prefix = `intrnn-native.${process.platform}-${process.arch}`;
  const files = existsSync(NATIVE_DIR) ? readdirSync(NATIVE_DIR).filter((f) => f.startsWith(prefix) && f.endsWith('.node')) : [];
  if (files.length === 0) {
    cached = { addon: null, reason: `no ${prefix}*.node in ${NATIVE_DIR} (built where cargo exists: pnpm --filter @intrnn/runtime-native build)` };
    return cached;
  }
  try {
    const addon = createRequire(import.meta.url)(join(NATIVE_DIR, files[0])) as NativeAddon;
    cached = { addon, reason: addon.info() };
  } catch (e) {
    cached = { addon: null, reason: `${files[0]} failed to load: ${(e as Error).message}` };
  }
  return cached;
}
