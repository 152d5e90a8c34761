#!/usr/bin/env node
// `npm run lint` (and a step of `npm test`): Biome checks the TypeScript and JavaScript (lint and
// format), rustfmt and clippy the Rust crate. Exits non-zero on any finding. Without cargo the Rust
// checks are skipped, and it says so.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const crate = join(root, 'packages', 'runtime-native', 'crate', 'Cargo.toml');
const run = (cmd, args) => spawnSync(cmd, args, { cwd: root, stdio: 'inherit' }).status ?? 1;

let failed = 0;
const biome = join(root, 'node_modules', '.bin', 'biome');
if (run(biome, ['check', '.']) !== 0) failed++;
if (spawnSync('cargo', ['--version']).status === 0) {
  if (run('cargo', ['fmt', '--check', '--manifest-path', crate]) !== 0) failed++;
  if (
    run('cargo', ['clippy', '--release', '--all-targets', '--quiet', '--manifest-path', crate, '--target-dir', join(root, 'packages', 'runtime-native', 'crate', 'target'), '--', '-D', 'warnings']) !==
    0
  )
    failed++;
} else {
  process.stderr.write('lint: cargo not found, rustfmt and clippy skipped\n');
}
process.exit(failed === 0 ? 0 : 1);
