import { registerNativeKernels } from '@intrnn/runtime-native';
import { registerWasmKernels } from '@intrnn/runtime-wasm';
import { runCampaign } from '../fuzz/campaign';
import { Choices } from '../fuzz/mutate';
import { feedsFor, outcomes } from '../fuzz/differential';
import { seedModels, type SeedModel } from '../fuzz/seed-models';

// The bounded fuzz of npm test (a longer campaign: npm run fuzz -- --count N --seed S). Every mutant
// must get a typed error or a model, and every engine the same outcome: equal outputs bit for bit,
// or the same typed error at the same place.
let seeds: SeedModel[];

beforeAll(async () => {
  // the point is comparing the engines: both kernel libraries must load (npm test builds them)
  expect(registerNativeKernels().ok).toBe(true);
  expect((await registerWasmKernels()).ok).toBe(true);
  seeds = await seedModels();
}, 60_000);

test('the seeds themselves run to the same outputs on all four engines (the control)', () => {
  for (const s of seeds) {
    const got = outcomes(s.bytes, feedsFor(s.bytes, new Choices(1), 8));
    const kinds = Object.values(got).map((o) => o.kind);
    expect([s.name, kinds]).toEqual([s.name, ['ok', 'ok', 'ok', 'ok']]);
    expect(new Set(Object.values(got).map((o) => JSON.stringify(o))).size).toBe(1);
  }
});

test('2,500 mutants: no untyped error, no hang, no disagreement between engines', () => {
  const result = runCampaign(seeds, { count: Number(process.env.FUZZ_COUNT ?? 2500), seed: 20261202 });
  expect(result.failures).toEqual([]);
  // a campaign that refuses everything at decode would test nothing: many mutants must load and run
  expect(result.ran).toBeGreaterThan(200);
  expect(result.refusedAtLoad).toBeGreaterThan(1000);
  expect(result.refusedAtRun).toBeGreaterThan(10);
}, 120_000);
