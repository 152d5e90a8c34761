/** The runtime worker bundle stays within its budget (issue: under 60 KB gzipped, without models). */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

test('the runtime worker bundle is under 60 KB gzipped, and runtime-core is in it', () => {
  const out = execFileSync(process.execPath, [join(__dirname, '../scripts/bundle-size.mjs')], { encoding: 'utf8', timeout: 120_000 });
  const r = JSON.parse(out) as { worker: { gzipBytes: number; minifiedBytes: number; packages: { name: string }[] }; wasm: { file: string; gzipBytes: number }[] };
  expect(r.worker.gzipBytes).toBeLessThan(60 * 1024);
  expect(r.worker.gzipBytes).toBeGreaterThan(10 * 1024);
  expect(r.worker.packages.map((p) => p.name)).toEqual(expect.arrayContaining(['@intrnn/runtime-core', '@intrnn/format', '@intrnn/runtime-wasm']));
  // the wasm kernels are one asset beside it, reported with their own size
  expect(r.wasm).toEqual([{ file: 'intrnn-kernels.wasm', bytes: expect.any(Number), gzipBytes: expect.any(Number) }]);
  expect(r.wasm[0].gzipBytes).toBeLessThan(60 * 1024);
}, 120_000);
