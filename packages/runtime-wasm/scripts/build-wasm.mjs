// Builds wasm/intrnn-kernels.wasm from runtime-native's Rust crate (one kernel source for both
// bindings) with a rustc that has the wasm32-unknown-unknown standard library: Debian's
// (/usr/bin/rustc with libstd-rust-dev-wasm32; rustup offers no wasm32 target here), or
// INTRNN_WASM_RUSTC. The crate has no dependencies, so rustc alone builds it, without cargo.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = join(dirname(fileURLToPath(import.meta.url)), '..');
const crate = join(here, '..', 'runtime-native', 'crate', 'src', 'lib.rs');
const out = join(here, 'wasm', 'intrnn-kernels.wasm');
const candidates = [process.env.INTRNN_WASM_RUSTC, '/usr/bin/rustc', 'rustc'].filter(Boolean);

function hasWasmStd(rustc) {
  const r = spawnSync(rustc, ['--print', 'sysroot'], { encoding: 'utf8' });
  return r.status === 0 && existsSync(join(r.stdout.trim(), 'lib', 'rustlib', 'wasm32-unknown-unknown'));
}

const rustc = candidates.find(hasWasmStd);
if (!rustc) {
  console.log(
    'runtime-wasm: no rustc with the wasm32-unknown-unknown standard library (Debian: apt-get install rustc libstd-rust-dev-wasm32, or set INTRNN_WASM_RUSTC); the wasm kernels are not built and runtime-core serves instead',
  );
  process.exit(0);
}
mkdirSync(dirname(out), { recursive: true });
const args = [
  '--edition=2021',
  '--crate-type=cdylib',
  '--crate-name=intrnn_kernels',
  '--target=wasm32-unknown-unknown',
  '-Copt-level=3',
  '-Ctarget-feature=+simd128',
  // wasm32 cannot unwind: every size is checked before a slice is formed (crate/src/wasm_api.rs)
  '-Cpanic=abort',
  '-Clto',
  '-Ccodegen-units=1',
  '-Cstrip=symbols',
  crate,
  '-o',
  out,
];
const r = spawnSync(rustc, args, { stdio: 'inherit' });
if (r.status !== 0) process.exit(r.status ?? 1);
console.log(`runtime-wasm: ${out} (${statSync(out).size} bytes, ${rustc})`);
