#!/usr/bin/env node
// Bootstraps a fresh clone with nothing but Node and npm, then runs the job:
//   node tools/bootstrap.mjs test  [jest args]   -> pinned pnpm, install, build, typecheck, lint, all tests
//   node tools/bootstrap.mjs start [demo args]   -> pinned pnpm, install, build, `intrnn demo`
// Plain Node on purpose: it must run before any dependency is installed.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const [job, ...rest] = process.argv.slice(2);
const pin = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).packageManager; // "pnpm@12.4.2"
const pnpmVersion = pin.split('@')[1];
const env = {
  ...process.env,
  TURBO_TELEMETRY_DISABLED: '1',
  DO_NOT_TRACK: '1',
  // onnxruntime-node's install script would try to fetch GPU files; the CPU build ships in the package.
  ONNXRUNTIME_NODE_INSTALL: 'skip',
};

function say(line) {
  process.stderr.write(`[bootstrap] ${line}\n`);
}

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env, ...opts });
  if (r.error) throw r.error;
  return r.status ?? 1;
}

function must(cmd, args, what) {
  const status = run(cmd, args);
  if (status !== 0) {
    say(`${what} failed (exit ${status})`);
    process.exit(status);
  }
}

function versionOf(cmd) {
  const r = spawnSync(cmd, ['--version'], { encoding: 'utf8', env });
  return r.status === 0 ? r.stdout.trim() : null;
}

function findPnpm() {
  const local = join(root, '.tools', 'pnpm', 'node_modules', '.bin', 'pnpm');
  if (existsSync(local) && versionOf(local) === pnpmVersion) return local;
  if (versionOf('pnpm') === pnpmVersion) return 'pnpm';
  say(`installing pnpm ${pnpmVersion} into .tools/pnpm`);
  rmSync(join(root, '.tools', 'pnpm'), { recursive: true, force: true });
  mkdirSync(join(root, '.tools', 'pnpm'), { recursive: true });
  must('npm', ['install', '--no-save', '--no-package-lock', '--no-audit', '--no-fund', '--prefix', join(root, '.tools', 'pnpm'), `pnpm@${pnpmVersion}`], 'installing pnpm');
  return local;
}

function summarizeJest(file) {
  if (!existsSync(file)) return null;
  const r = JSON.parse(readFileSync(file, 'utf8'));
  return { passed: r.numPassedTests, failed: r.numFailedTests + r.numRuntimeErrorTestSuites, skipped: r.numPendingTests };
}

if (job !== 'test' && job !== 'start') {
  say('usage: node tools/bootstrap.mjs test|start [args]');
  process.exit(2);
}

const pnpm = findPnpm();
// turbo runs package scripts through the package manager it finds on PATH: make it the pinned one.
if (pnpm !== 'pnpm') env.PATH = `${dirname(pnpm)}${delimiter}${env.PATH ?? ''}`;
say(`pnpm ${pnpmVersion}: installing dependencies`);
must(pnpm, ['install', '--frozen-lockfile', '--reporter=append-only'], 'pnpm install');
// Debian packages a job needs, installed with apt where it can (as root or through sudo); elsewhere
// one line says what to install. `present` checks without installing.
function ensureDebian(what, present, packages, prepare = []) {
  if (present()) return;
  const apt = spawnSync('apt-get', ['--version'], { encoding: 'utf8' });
  if (apt.status !== 0) {
    say(`${what}: not found and no apt-get here; install ${packages.join(' ')} (or the equivalent)`);
    return;
  }
  say(`installing Debian's ${packages.join(' ')} (${what})`);
  const sudo = process.getuid?.() === 0 ? [] : ['sudo'];
  const cmd = (args) => run(sudo[0] ?? args[0], sudo.length ? args : args.slice(1), { stdio: ['ignore', 'ignore', 'inherit'] });
  if (prepare.some((p) => cmd(p) !== 0) || cmd(['apt-get', 'update', '-qq']) !== 0 || cmd(['apt-get', 'install', '-y', '-qq', ...packages]) !== 0) {
    say(`installing ${packages.join(' ')} failed: install them to ${what}`);
  }
}

// The wasm kernels are the Rust crate built for wasm32: rustup has no wasm32 target here, Debian's
// rustc with its wasm32 standard library does (packages/runtime-wasm/scripts/build-wasm.mjs).
ensureDebian('build the wasm kernels', () => {
  if (env.INTRNN_WASM_RUSTC) return true;
  const r = spawnSync('/usr/bin/rustc', ['--print', 'sysroot'], { encoding: 'utf8' });
  return r.status === 0 && existsSync(join(r.stdout.trim(), 'lib', 'rustlib', 'wasm32-unknown-unknown'));
}, ['rustc', 'libstd-rust-dev-wasm32']);
say('building packages');
must(pnpm, ['exec', 'turbo', 'run', 'build', '--output-logs=errors-only'], 'build');

if (job === 'start') {
  process.exit(run(pnpm, ['exec', 'intrnn', 'demo', ...rest]));
}

// The NEON kernels are tested cross-built for aarch64 and run under qemu-user
// (packages/runtime-native/test/arm64.test.ts): Debian's cross gcc, qemu and arm64 Rust std.
ensureDebian(
  'test the NEON kernels under qemu',
  () => {
    const r = spawnSync('/usr/bin/rustc', ['--print', 'sysroot'], { encoding: 'utf8' });
    const has = (c, a) => spawnSync(c, a, { stdio: 'ignore' }).status === 0;
    return r.status === 0 && existsSync(join(r.stdout.trim(), 'lib', 'rustlib', 'aarch64-unknown-linux-gnu')) && has('aarch64-linux-gnu-gcc', ['--version']) && has('qemu-aarch64', ['--version']);
  },
  ['gcc-aarch64-linux-gnu', 'libc6-dev-arm64-cross', 'qemu-user', 'libstd-rust-dev:arm64'],
  [['dpkg', '--add-architecture', 'arm64']],
);
// The browser test drives a Chromium: Debian's package where apt can install it (playwright's own
// browser download cannot reach its hosts here), else CHROMIUM_PATH.
ensureDebian('run the browser test (or set CHROMIUM_PATH)', () => Boolean(env.CHROMIUM_PATH) || existsSync('/usr/bin/chromium'), ['chromium']);

say('type-checking sources and tests');
must(pnpm, ['exec', 'turbo', 'run', 'typecheck', '--output-logs=errors-only'], 'typecheck');
must(pnpm, ['exec', 'tsc', '-p', 'tools/tsconfig.json'], 'typecheck of tools/');
say('linting (Biome, rustfmt, clippy)');
must('node', [join(root, 'tools', 'lint.mjs')], 'lint');
say('running tests');
const results = join(root, '.cache', 'jest-results.json');
mkdirSync(dirname(results), { recursive: true });
rmSync(results, { force: true });
const status = run(pnpm, ['exec', 'jest', '--json', `--outputFile=${results}`, ...rest]);
const s = summarizeJest(results);
if (s) {
  // One plain closing line, the form any CI reads: "N passed, N failed".
  process.stdout.write(`\ntests: ${s.passed} passed, ${s.failed} failed, ${s.skipped} skipped\n`);
}
process.exit(status);
