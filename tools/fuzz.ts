/**
 * The fuzz campaign from the command line: `npm run fuzz -- --count 100000 --seed 1 [--json FILE]`.
 * `--index I` replays mutant I of the campaign (`--save FILE` writes its bytes). Builds the seed models, registers the native and wasm kernels (both must load: the point is to
 * compare them), mutates and runs, prints the tally and every failure (each replayable by its
 * index with the same seed), and exits 1 if any mutant crashed an engine's answer apart.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import cliProgress from 'cli-progress';
import { registerNativeKernels } from '@intrnn/runtime-native';
import { registerWasmKernels } from '@intrnn/runtime-wasm';
import { mutantChoices, runCampaign } from './fuzz/campaign.js';
import { feedsFor, label, outcomes } from './fuzz/differential.js';
import { mutate } from './fuzz/mutate.js';
import { seedModels } from './fuzz/seed-models.js';

const { values } = parseArgs({
  options: { count: { type: 'string', default: '10000' }, seed: { type: 'string', default: '1' }, json: { type: 'string' }, index: { type: 'string' }, save: { type: 'string' } },
});
const count = Number(values.count);
const seed = Number(values.seed);
if (!Number.isSafeInteger(count) || count < 1 || !Number.isSafeInteger(seed) || seed < 0) {
  console.error('fuzz: --count must be a positive integer and --seed a non-negative integer');
  process.exit(2);
}
const native = registerNativeKernels();
const wasm = await registerWasmKernels();
if (!native.ok || !wasm.ok) {
  console.error(`fuzz: both kernel libraries must load (native: ${native.reason || 'ok'}; wasm: ${wasm.reason || 'ok'}); run npm test once to build them`);
  process.exit(2);
}
const seeds = await seedModels();
if (values.index !== undefined) {
  // replay one mutant of the campaign: what was changed, each engine's outcome, and (--save FILE) its bytes
  const index = Number(values.index);
  const c = mutantChoices(seed, index);
  const { bytes, applied } = mutate(seeds[index % seeds.length].bytes, c);
  const got = outcomes(bytes, feedsFor(bytes, c, 8));
  console.log(`#${index} [${seeds[index % seeds.length].name}; ${applied.join(', ')}]`);
  for (const [e, o] of Object.entries(got)) console.log(`  ${e}: ${label(o)}`);
  if (values.save) writeFileSync(values.save, bytes);
  process.exit(0);
}
const tty = Boolean(process.stderr.isTTY);
const bar = tty
  ? new cliProgress.SingleBar({ format: 'fuzz [{bar}] {value}/{total} | {rate}/s | failures {failures} | ETA {eta_formatted}', stream: process.stderr }, cliProgress.Presets.shades_classic)
  : null;
bar?.start(count, 0, { failures: 0, rate: '-' });
const t0 = Date.now();
let lastLine = 0;
const result = runCampaign(seeds, {
  count,
  seed,
  onProgress(done, failures) {
    const rate = (done / Math.max(1e-3, (Date.now() - t0) / 1000)).toFixed(0);
    if (bar) {
      if (done % 50 === 0 || done === count) bar.update(done, { failures, rate });
    } else if (Date.now() - lastLine > 10_000 || done === count) {
      lastLine = Date.now();
      console.error(`[fuzz] ${done}/${count}  ${rate} mutants/s  failures ${failures}`);
    }
  },
});
bar?.stop();
const summary = {
  command: `npm run fuzz -- --count ${count} --seed ${seed}`,
  seeds: seeds.map((s) => `${s.name} (${s.bytes.length} bytes)`),
  ...result,
};
if (values.json) writeFileSync(values.json, `${JSON.stringify(summary, null, 1)}\n`);
console.log(`${count} mutants (seed ${seed}) on ${result.engines.join(', ')} in ${result.seconds.toFixed(1)} s`);
console.log(`  refused at load by every engine: ${result.refusedAtLoad}; refused at run: ${result.refusedAtRun}; ran to the same outputs: ${result.ran}`);
console.log(`  slowest mutant: ${result.slowestMs.toFixed(1)} ms (all engines)`);
console.log(`  failures: ${result.failures.length}`);
for (const f of result.failures.slice(0, 20))
  console.log(
    `  #${f.index} ${f.kind} [${f.seed}; ${f.applied.join(', ')}]\n    ${Object.entries(f.outcomes)
      .map(([e, o]) => `${e}: ${o}`)
      .join('\n    ')}`,
  );
process.exit(result.failures.length ? 1 : 0);
