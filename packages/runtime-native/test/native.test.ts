import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import fc from 'fast-check';
import { gemvInt8 } from '@intrnn/runtime-core';
import { loadAddon, registerNativeKernels } from '../src/index.js';

const hasCargo = spawnSync('cargo', ['--version']).status === 0;
const CRATE = join(__dirname, '..', 'crate', 'Cargo.toml');

describe('the native addon', () => {
  test('is built and loads wherever cargo exists (npm test builds it), and says which path it uses', () => {
    const { addon, reason } = loadAddon();
    if (hasCargo) {
      expect(addon).not.toBeNull();
      expect(reason).toMatch(/^intrnn-native 0\.1\.0 (avx512-vnni|avx2|neon|scalar)$/);
    } else {
      // without cargo the runtime must fall back, and say why
      expect(addon).toBeNull();
      expect(registerNativeKernels()).toEqual({ ok: false, reason: expect.stringMatching(/\.node/) });
    }
  });
});

const describeNative = loadAddon().addon ? describe : describe.skip;

describeNative('native kernels against runtime-core references', () => {
  const addon = loadAddon().addon!;
  const paths = [0, 1, 2].filter((p) => {
    try {
      addon.forcePath(p);
      return true;
    } catch {
      return false;
    }
  });
  afterAll(() => addon.forcePath(-1));

  test('cargo test: every SIMD path equals the scalar one on edge lengths and extremes', () => {
    const r = spawnSync('cargo', ['test', '--release', '--manifest-path', CRATE], { encoding: 'utf8', timeout: 300_000 });
    expect(r.stdout + r.stderr).toMatch(/test tests::simd_paths_match_scalar \.\.\. ok/);
    expect(r.status).toBe(0);
  }, 300_000);

  test.each([1, 2, 3, 5, 7, 8, 15, 16, 17, 31, 33, 63, 64, 65, 127, 129, 255, 513])('gemvInt8, %i columns: bit-exact with the reference on every path, random and extreme values', (cols) => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 9 }), fc.boolean(), fc.integer(), (rows, extreme, seed) => {
        let s = seed >>> 0;
        const next = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) >>> 24) - 128;
        const w = Int8Array.from({ length: rows * cols }, (_, i) => (extreme ? (i % 2 ? 127 : -128) : next()));
        const x = Int8Array.from({ length: cols }, (_, i) => (extreme ? (i % 3 ? -128 : 127) : next()));
        const bias = Int32Array.from({ length: rows }, () => next() * 1000);
        const want = gemvInt8(w, rows, cols, x, bias);
        for (const p of paths) {
          addon.forcePath(p);
          const out = new Int32Array(rows);
          addon.gemvInt8(w, rows, cols, x, bias, out);
          expect(Array.from(out)).toEqual(Array.from(want));
        }
      }),
      { numRuns: 20 },
    );
  });

  test('bad arguments are JS errors, never a crash: wrong type, wrong length, aliasing output, dead handle', () => {
    const w = new Int8Array(6);
    const out = new Int32Array(2);
    expect(() => addon.gemvInt8(w, 2, 3, new Int8Array(2), undefined, out)).toThrow(/x has 2 elements, expected 3/);
    expect(() => addon.gemvInt8(w, 2, 3, new Uint8Array(3) as unknown as Int8Array, undefined, out)).toThrow(/x has the wrong element type/);
    expect(() => addon.gemvInt8(w, 2, 3, new Int8Array(3), undefined, new Int32Array(w.buffer, 0, 1) as Int32Array)).toThrow(/elements|overlaps/);
    const shared = new Int8Array(new ArrayBuffer(16));
    expect(() => addon.denseRun(12345, shared, 1, new Int32Array(shared.buffer, 0, 2))).toThrow(/not live|overlaps/);
    expect(() => addon.gemvInt8(w, -1, 3, new Int8Array(3), undefined, out)).toThrow(/negative/);
  });

  test('the addon re-checks what it relies on: tables, multipliers and widths from the JS side are not trusted', () => {
    // [K, fracBits, outBits, symmetry, center, knots…, values…, slopes…]
    const table = (outBits: number, symmetry = 0, slope = 9000) => Int32Array.from([2, 12, outBits, symmetry, 0, -100, 0, 0, 32767, slope]);
    expect(addon.release(addon.attentionCreate(1 << 20, 24, table(16)))).toBeUndefined();
    expect(() => addon.attentionCreate(1 << 20, 24, table(24))).toThrow(/outBits out of range/);
    expect(() => addon.attentionCreate(1 << 20, 24, table(16, 3))).toThrow(/symmetry code 3/);
    expect(() => addon.attentionCreate(1 << 20, 24, Int32Array.from([2, 0, 8, 0, 0, 0, 1, 0, 300, 1]))).toThrow(/outside its width/);
    expect(() => addon.attentionCreate(2 ** 21, 24, table(16))).toThrow(/score multiplier 2097152 is outside/);
  });

  test('a handle that is not live is refused, -1 included (it used to free handle 0)', () => {
    const w = new Int8Array(6);
    const live = addon.denseCreate(w, 2, 3, new Int32Array(2));
    expect(() => addon.release(-1)).toThrow(/kernel handle -1 is not live/);
    expect(() => addon.release(2 ** 20)).toThrow(/not live/);
    addon.release(live);
    expect(() => addon.release(live)).toThrow(/not live/);
    expect(() => addon.denseRun(live, new Int8Array(3), 1, new Int32Array(2))).toThrow(/not live/);
  });

  test('sizes beyond int32 are refused, not truncated; size products that overflow are errors, not aborts', () => {
    const out = new Int32Array(2);
    // 2^32 + 2 used to read as 2 (the low 32 bits)
    expect(() => addon.gemvInt8(new Int8Array(6), 2 ** 32 + 2, 3, new Int8Array(3), undefined, out)).toThrow(/rows is not an integer within int32/);
    expect(() => addon.gemvInt8(new Int8Array(6), 2.5, 3, new Int8Array(3), undefined, out)).toThrow(/not an integer/);
    const handle = addon.attentionCreate(1 << 20, 24, Int32Array.from([2, 12, 16, 0, 0, -100, 0, 0, 32767, 9000]));
    expect(() => addon.attentionRun(handle, new Int8Array(1), new Int8Array(1), 2 ** 31 - 1, 2 ** 31 - 1, 1, 2 ** 31 - 1, new Int8Array(1))).toThrow(/overflows/);
    addon.release(handle);
  });
});
