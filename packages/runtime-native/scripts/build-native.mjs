// Builds the Rust addon with @napi-rs/cli where cargo exists; elsewhere says so and leaves the
// runtime on its TypeScript kernels (the loader reports why once).
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = join(dirname(fileURLToPath(import.meta.url)), '..');
const cargo = spawnSync('cargo', ['--version'], { encoding: 'utf8' });
if (cargo.status !== 0) {
  console.log('runtime-native: cargo not found, the native addon is not built (runtime-core kernels serve instead)');
  process.exit(0);
}
const napi = join(here, 'node_modules', '.bin', 'napi');
const r = spawnSync(napi, ['build', '--release', '--platform', '--manifest-path', 'crate/Cargo.toml', '--output-dir', 'native', '--no-js', '--target-dir', 'crate/target'], {
  cwd: here,
  stdio: 'inherit',
});
process.exit(r.status ?? 1);
