/**
 * A fuzz campaign: N mutants of the seed models, each loaded and run on every engine
 * (differential.ts). Counts what happened and keeps the failures: a disagreement between engines,
 * an untyped error, or a mutant slower than the hang limit.
 */
import { performance } from 'node:perf_hooks';
import { Choices, mutate } from './mutate.js';
import { ENGINES, feedsFor, label, outcomes, type Outcome } from './differential.js';
import type { SeedModel } from './seed-models.js';

/** A mutant that took longer than this on all engines together counts as a hang. */
export const HANG_MS = 5000;

export interface Failure {
  index: number;
  seed: string;
  applied: string[];
  kind: 'disagreement' | 'untyped' | 'hang';
  outcomes: Record<string, string>;
  ms: number;
}

export interface CampaignResult {
  count: number;
  seed: number;
  engines: string[];
  /** Mutants every engine refused at load / at run, and mutants every engine ran to the same outputs. */
  refusedAtLoad: number;
  refusedAtRun: number;
  ran: number;
  /** Typed error codes by how many mutants got them. */
  codes: Record<string, number>;
  failures: Failure[];
  slowestMs: number;
  seconds: number;
}

/** How the mutant with this index is made: its own choices, so one mutant can be replayed alone. */
export function mutantChoices(campaignSeed: number, index: number): Choices {
  return new Choices(campaignSeed * 1_000_003 + index);
}

export function runCampaign(seeds: SeedModel[], opts: { count: number; seed: number; engines?: string[]; onProgress?: (done: number, failures: number) => void }): CampaignResult {
  const engines = opts.engines ?? Object.keys(ENGINES);
  const result: CampaignResult = { count: opts.count, seed: opts.seed, engines, refusedAtLoad: 0, refusedAtRun: 0, ran: 0, codes: {}, failures: [], slowestMs: 0, seconds: 0 };
  const started = performance.now();
  for (let i = 0; i < opts.count; i++) {
    const c = mutantChoices(opts.seed, i);
    const seed = seeds[i % seeds.length];
    const { bytes, applied } = mutate(seed.bytes, c);
    const feeds = feedsFor(bytes, c, 8);
    const t0 = performance.now();
    const got = outcomes(bytes, feeds, engines);
    const ms = performance.now() - t0;
    result.slowestMs = Math.max(result.slowestMs, ms);
    const labels = Object.fromEntries(Object.entries(got).map(([e, o]) => [e, label(o)]));
    const all = Object.values(got) as Outcome[];
    const distinct = new Set(Object.values(labels));
    const fail = (kind: Failure['kind']) => result.failures.push({ index: i, seed: seed.name, applied, kind, outcomes: labels, ms });
    if (all.some((o) => o.kind === 'untyped')) fail('untyped');
    else if (distinct.size > 1) fail('disagreement');
    else if (ms > HANG_MS) fail('hang');
    else {
      const o = all[0];
      if (o.kind === 'ok') result.ran++;
      else if (o.kind === 'error') {
        if (o.stage === 'load') result.refusedAtLoad++;
        else result.refusedAtRun++;
        result.codes[o.code] = (result.codes[o.code] ?? 0) + 1;
      }
    }
    opts.onProgress?.(i + 1, result.failures.length);
  }
  result.seconds = (performance.now() - started) / 1000;
  return result;
}
