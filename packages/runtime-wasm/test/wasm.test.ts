import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { gemvInt8 } from '@intrnn/runtime-core';
import { conformanceCases, conformanceDiffs, runConformanceCase } from '@intrnn/runtime-core/conformance';
import { loadWasmKernels, registerWasmKernels, type WasmKernelLibrary } from '../src/index.js';

const WASM = join(__dirname, '..', 'wasm', 'intrnn-kernels.wasm');
// npm test installs the toolchain (tools/bootstrap.mjs) and builds the module: its absence is a failure
const SCALAR = 0;
const SIMD = 4;

let lib: WasmKernelLibrary;
beforeAll(async () => {
  expect(existsSync(WASM)).toBe(true);
  const { library, reason } = await loadWasmKernels();
  expect(reason).toMatch(/^intrnn-kernels wasm wasm-simd128, memory/);
  lib = library!;
  expect((await registerWasmKernels()).ok).toBe(true);
});
afterAll(() => lib?.forcePath(-1));

// Gather and Concat run on runtime-core's reference kernel in every engine (no wasm kernel).
const EXCLUDED = new Set(['Gather rows of an int8 table', 'Concat on the last axis']);

describe('wasm kernels on the conformance cases', () => {
  test.each(
    conformanceCases()
      .filter((c) => !EXCLUDED.has(c.name))
      .map((c) => [c.name, c] as const),
  )('%s, simd128 and scalar', (_, c) => {
    for (const p of [SIMD, SCALAR]) {
      lib.forcePath(p);
      expect([p, conformanceDiffs(c, runConformanceCase(c, 'wasm'))]).toEqual([p, []]);
    }
    lib.forcePath(-1);
  });
});

describe('wasm kernels against runtime-core references', () => {
  test.each([1, 2, 3, 5, 7, 8, 15, 16, 17, 31, 33, 63, 64, 65, 127, 129, 255, 513])('gemvInt8, %i columns: bit-exact on both paths, random and extreme values', (cols) => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 13 }), fc.boolean(), fc.integer(), (rows, extreme, seed) => {
        let s = seed >>> 0;
        const next = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) >>> 24) - 128;
        const w = Int8Array.from({ length: rows * cols }, (_, i) => (extreme ? (i % 2 ? 127 : -128) : next()));
        const x = Int8Array.from({ length: cols }, (_, i) => (extreme ? (i % 3 ? -128 : 127) : next()));
        const bias = Int32Array.from({ length: rows }, () => next() * 1000);
        const want = Array.from(gemvInt8(w, rows, cols, x, bias));
        for (const p of [SIMD, SCALAR]) {
          lib.forcePath(p);
          const out = new Int32Array(rows);
          lib.gemvInt8(w, rows, cols, x, bias, out);
          expect([p, Array.from(out)]).toEqual([p, want]);
        }
        lib.forcePath(-1);
      }),
      { numRuns: 20 },
    );
  });

  test('bad arguments are errors that name the array, never a trap: wrong length, dead handle, wrong kind', () => {
    const out = new Int32Array(2);
    expect(() => lib.gemvInt8(new Int8Array(6), 2, 3, new Int8Array(2), undefined, out)).toThrow(/x holds 2 values, expected 3/);
    expect(() => lib.gemvInt8(new Int8Array(6), -1, 3, new Int8Array(3), undefined, out)).toThrow(/w holds 6 values, expected -3|not a count/);
    const dense = lib.denseCreate(new Int8Array(6), 2, 3, new Int32Array(2));
    expect(() => lib.denseRun(dense, new Int8Array(2), 1, out)).toThrow(/x holds 2 values, expected 3/);
    expect(() => lib.lstmRun(dense, new Int8Array(1), 1, 1, 0, new Int8Array(1), new Int16Array(1), new Int8Array(1), new Int8Array(1), new Int16Array(1))).toThrow(/handle is not an LSTM/);
    lib.release(dense);
    expect(() => lib.denseRun(dense, new Int8Array(3), 1, out)).toThrow(/kernel handle \d+ is not live/);
    expect(() => lib.release(dense)).toThrow(/not live/);
    expect(() => lib.release(-1)).toThrow(/kernel handle -1 is not live/);
    // the module's own checks reach JS as messages (here: the int32 overflow proof)
    expect(() => lib.denseCreate(new Int8Array(140000).fill(127), 1, 140000, new Int32Array(1))).toThrow(/worst-case accumulator exceeds int32/);
    // and the instance still works afterwards
    const ok = new Int32Array(1);
    lib.gemvInt8(Int8Array.of(2, 3), 1, 2, Int8Array.of(5, 7), undefined, ok);
    expect(ok[0]).toBe(31);
  });

  test('the module builds from the Rust crate with the Debian rustc (npm test installs it), one source with runtime-native', () => {
    const r = spawnSync('node', [join(__dirname, '..', 'scripts', 'build-wasm.mjs')], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/intrnn-kernels\.wasm \(\d+ bytes/);
  }, 120_000);
});
