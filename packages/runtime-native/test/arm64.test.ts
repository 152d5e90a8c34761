/**
 * The NEON path on ARM64: the crate's kernel tests (every SIMD path against the scalar one on edge
 * lengths and extremes, the gate requantization, the PWL lookups, the rounding) cross-built for
 * aarch64 with Debian's rustc and run under qemu-user. Timings under qemu mean nothing; the integers
 * do. npm test installs the toolchain with apt where it is missing (tools/bootstrap.mjs); its absence
 * is a failure, not a skip.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const LIB = join(__dirname, '..', 'crate', 'src', 'lib.rs');
const RUSTC = '/usr/bin/rustc';

function sysrootHas(target: string): boolean {
  const r = spawnSync(RUSTC, ['--print', 'sysroot'], { encoding: 'utf8' });
  return r.status === 0 && existsSync(join(r.stdout.trim(), 'lib', 'rustlib', target));
}

test('NEON equals scalar: the kernel tests cross-built for aarch64 pass under qemu', () => {
  const missing = [
    sysrootHas('aarch64-unknown-linux-gnu') ? null : 'rustc with libstd-rust-dev:arm64',
    spawnSync('aarch64-linux-gnu-gcc', ['--version']).status === 0 ? null : 'gcc-aarch64-linux-gnu',
    spawnSync('qemu-aarch64', ['--version']).status === 0 ? null : 'qemu-user',
  ].filter(Boolean);
  expect(missing).toEqual([]);
  const dir = mkdtempSync(join(tmpdir(), 'intrnn-arm64-'));
  try {
    const bin = join(dir, 'kernel-tests');
    const build = spawnSync(
      RUSTC,
      ['--edition=2021', '--test', '--crate-name=intrnn_native', '-Copt-level=2', '--target=aarch64-unknown-linux-gnu', '-Clinker=aarch64-linux-gnu-gcc', LIB, '-o', bin],
      {
        encoding: 'utf8',
        env: { ...process.env, CARGO_PKG_VERSION: '0.1.0' },
        timeout: 240_000,
      },
    );
    expect([
      build.status,
      build.stderr
        .split('\n')
        .filter((l) => l.startsWith('error'))
        .slice(0, 5),
    ]).toEqual([0, []]);
    // the inference kernels (train:: spawns threads, which qemu-user can stall on), one test thread
    const run = spawnSync('qemu-aarch64', ['-L', '/usr/aarch64-linux-gnu', bin, 'tests::', '--skip', 'train::', '--test-threads', '1', '--show-output'], { encoding: 'utf8', timeout: 120_000 });
    expect(run.stdout).toMatch(/simd paths checked against scalar: [1-9]\d*/);
    for (const t of ['simd_paths_match_scalar', 'int4_paths_match_int8', 'gate_requantization_paths_match_the_definition', 'pwl_lookup_matches_search', 'rounding_matches_the_definition']) {
      expect(run.stdout).toMatch(new RegExp(`test tests::${t} \\.\\.\\. ok`));
    }
    expect(run.stdout).toMatch(/test result: ok\. 5 passed; 0 failed/);
    expect(run.status).toBe(0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 400_000);
