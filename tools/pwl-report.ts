/**
 * Writes docs/pwl.md and docs/pwl-*.svg: the quality and cost of intrnn's integer PWL activations.
 *
 * Run: `npm run docs:pwl` (after `npm test` or `npm start` has built the packages), or
 * `pnpm exec tsx tools/pwl-report.ts`.
 * Inputs: none but the functions themselves (sigmoid, tanh, exp) on the integer grids written in
 * the report; every error is measured exhaustively on every integer input with runtime-core's
 * evaluator. Timings are of this machine and vary from run to run.
 */
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { activationSpec, comparePwl, greedyPwl, quantizedTarget, uniformPwl, type ActivationName, type PwlSpec } from '@intrnn/qat';
import { compilePwl } from '@intrnn/runtime-core';
import { markdownTable } from 'markdown-table';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

const DOCS = join(import.meta.dirname, '..', 'docs');
const FUNCTIONS: ActivationName[] = ['sigmoid', 'tanh', 'exp'];
const TOLERANCES = [1, 2, 4];
const UNIFORM_SCAN_LIMIT = 2000;

function spec(fn: ActivationName, outBits: 8 | 16, symmetric: boolean): PwlSpec {
  const outScale = 2 ** -15 * 2 ** (16 - outBits);
  return activationSpec(fn, { outBits, outScale, symmetry: symmetric ? 'auto' : 'none' });
}

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

const fmt = (v: number, d = 3) => v.toFixed(d);

function piecesTable(): string {
  const header = ['function', 'output', 'knots', ...TOLERANCES.map((t) => `≤ ${t} LSB: pieces (max / mean err)`), 'search ms (1 / 2 / 4 LSB)'];
  const rows: string[][] = [];
  for (const fn of FUNCTIONS) {
    for (const outBits of [16, 8] as const) {
      for (const symmetric of fn === 'exp' ? [false] : [false, true]) {
        log(`pieces vs tolerance: ${fn} int${outBits}${symmetric ? ' symmetric' : ''}`);
        const results = TOLERANCES.map((t) => greedyPwl(spec(fn, outBits, symmetric), t));
        rows.push([
          fn,
          `int${outBits}`,
          symmetric ? 'greedy, symmetric' : 'greedy',
          ...results.map((r) => `${r.pieces} (${r.maxErrorLsb} / ${fmt(r.meanErrorLsb)})`),
          results.map((r) => r.searchMs.toFixed(0)).join(' / '),
        ]);
      }
    }
  }
  return markdownTable([header, ...rows], { align: ['l', 'l', 'l', 'r', 'r', 'r', 'r'] });
}

function uniformTable(): string {
  const header = [
    'function',
    'output',
    'tolerance',
    'greedy pieces',
    'greedy max / mean err',
    'uniform, same pieces: max / mean err',
    `uniform pieces to reach the tolerance (scan ≤ ${UNIFORM_SCAN_LIMIT})`,
  ];
  const rows: string[][] = [];
  for (const fn of FUNCTIONS) {
    for (const outBits of [16, 8] as const) {
      for (const t of TOLERANCES) {
        log(`greedy vs uniform: ${fn} int${outBits} ≤ ${t} LSB`);
        const c = comparePwl(spec(fn, outBits, false), t, UNIFORM_SCAN_LIMIT);
        rows.push([
          fn,
          `int${outBits}`,
          `${t} LSB`,
          String(c.greedy.pieces),
          `${c.greedy.maxErrorLsb} / ${fmt(c.greedy.meanErrorLsb)}`,
          `${c.uniformSameCount.maxErrorLsb} / ${fmt(c.uniformSameCount.meanErrorLsb)}`,
          c.uniformPiecesForTolerance === null ? `> ${UNIFORM_SCAN_LIMIT}` : String(c.uniformPiecesForTolerance),
        ]);
      }
    }
  }
  return markdownTable([header, ...rows], { align: ['l', 'l', 'r', 'r', 'r', 'r', 'r'] });
}

/** Function, PWL and error plot of one table, drawn by vega-lite and rendered to SVG by vega. */
async function plot(fn: ActivationName, outBits: 8 | 16, tolerance: number): Promise<{ file: string; pieces: number }> {
  const s = spec(fn, outBits, false);
  const r = greedyPwl(s, tolerance);
  const u = uniformPwl(s, r.pieces);
  const greedyEval = compilePwl(r.table);
  const uniformEval = compilePwl(u.table);
  const step = Math.max(1, Math.floor((s.inMax - s.inMin) / 800));
  const curve: Array<Record<string, number | string>> = [];
  const errors: Array<Record<string, number | string>> = [];
  // Error envelope per bin: min and max of every integer input in the bin, so no spike is hidden.
  for (let q0 = s.inMin; q0 <= s.inMax; q0 += step) {
    const x = q0 * s.inScale;
    curve.push({ x, y: s.f(x), series: `${fn} (float)` });
    curve.push({ x, y: greedyEval(q0) * s.outScale, series: 'integer PWL, greedy knots' });
    for (const [name, ev] of [
      ['greedy knots', greedyEval],
      ['uniform knots', uniformEval],
    ] as const) {
      let lo = Infinity;
      let hi = -Infinity;
      for (let q = q0; q < Math.min(q0 + step, s.inMax + 1); q++) {
        const e = ev(q) - quantizedTarget(s, q);
        lo = Math.min(lo, e);
        hi = Math.max(hi, e);
      }
      errors.push({ x, lo, hi, series: name });
    }
  }
  const knots = r.table.knots.map((k, j) => ({ x: k * s.inScale, y: r.table.values[j] * s.outScale }));
  const vl: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: `${fn}: int16 input at scale 2^${Math.log2(s.inScale)}, int${outBits} output, greedy knots at ≤ ${tolerance} LSB (${r.pieces} pieces)`,
    vconcat: [
      {
        width: 640,
        height: 240,
        layer: [
          {
            data: { values: curve },
            mark: { type: 'line', strokeWidth: 1.5 },
            encoding: {
              x: { field: 'x', type: 'quantitative', title: 'x', scale: { nice: false } },
              y: { field: 'y', type: 'quantitative', title: fn },
              color: { field: 'series', type: 'nominal', title: null },
              strokeDash: { field: 'series', type: 'nominal', legend: null },
            },
          },
          { data: { values: knots }, mark: { type: 'point', filled: true, size: 18, color: 'black' }, encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'y', type: 'quantitative' } } },
        ],
      },
      {
        width: 640,
        height: 160,
        data: { values: errors },
        mark: { type: 'area', opacity: 0.55, interpolate: 'step-after' },
        encoding: {
          x: { field: 'x', type: 'quantitative', title: 'x', scale: { nice: false } },
          y: { field: 'lo', type: 'quantitative', title: 'PWL - quantized f (output LSB)' },
          y2: { field: 'hi' },
          color: { field: 'series', type: 'nominal', title: `error, ${r.pieces} pieces each` },
        },
      },
    ],
    resolve: { scale: { color: 'independent' } },
    config: { font: 'sans-serif', legend: { labelLimit: 400, titleLimit: 400 } },
  };
  const view = new vega.View(vega.parse(compile(vl).spec), { renderer: 'none' });
  const svg = await view.toSVG();
  const file = `pwl-${fn}-int${outBits}.svg`;
  writeFileSync(join(DOCS, file), svg);
  return { file, pieces: r.pieces };
}

async function main(): Promise<void> {
  const started = Date.now();
  const pieces = piecesTable();
  const uniform = uniformTable();
  const plots = [];
  for (const fn of FUNCTIONS) {
    log(`plot: ${fn}`);
    plots.push({ fn, ...(await plot(fn, 8, 1)) });
  }
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  const md = `# Integer PWL activations: pieces, error and cost

Generated by \`tools/pwl-report.ts\` (\`npm run docs:pwl\`) on ${new Date().toISOString().slice(0, 10)}, ${cpu}, Node ${process.version}, in ${((Date.now() - started) / 1000).toFixed(0)} s. Do not edit by hand.

**What is measured.** Each table is built by \`@intrnn/qat\`'s knot search (the paper's Algorithm 1,
recursive greedy: split every segment at its input of largest error until the tolerance holds) on the
integer grids below, and its error is measured on **every** integer input against the quantized true
function \`T(q) = saturate(round(f(q·s_in)/s_out))\`, with runtime-core's evaluator
(docs/integer-semantics.md §7). Errors are in output LSB. Slopes have 16 fractional bits.

**Grids.** Inputs are int16: sigmoid and tanh at scale 2^-12 (x in [-8, 8)), exp at scale 2^-10 on
its non-positive half (x in [-32, 0], as softmax subtracts the maximum). Outputs: int16 at scale
2^-15, or int8 at scale 2^-7 (sigmoid, tanh, exp all reach 1.0, which saturates to the largest code).
"Symmetric" tables store q ≥ 0 only and mirror q < 0 (tanh odd, sigmoid point-symmetric about
(0, 1/2)); their error is still measured on all 65,536 inputs.

## Pieces against tolerance

${pieces}

## Greedy against evenly spaced knots

"Uniform" places the same number of knots evenly over the same domain (no search). The last column
scans piece counts upwards from 1 and gives the first that meets the tolerance on every input.

${uniform}

## Plots

Top: the float function, the integer PWL (greedy knots, dots) in real units. Bottom: the error
envelope (min and max over every integer input of each plotted bin) of the greedy table and of
evenly spaced knots with the same number of pieces. int8 outputs at ≤ 1 LSB, so the pieces are visible.

${plots.map((p) => `### ${p.fn} (${p.pieces} pieces)\n\n![${p.fn}: function, integer PWL and error](${p.file})`).join('\n\n')}

## Reading the figures

- The greedy search meets every tolerance by construction and the exhaustive measurement confirms it
  (the max-error column never exceeds the tolerance).
- At equal piece counts, evenly spaced knots have a larger maximum error; to reach the same maximum
  error they need more pieces. exp is the extreme case: its curvature is concentrated near 0 while
  most of its domain is flat, so evenly spaced knots waste almost all of their pieces.
- Symmetric tables store about half the pieces for the same error on the full domain.
- These properties are enforced by \`packages/qat/test/knot-search.test.ts\` (every integer input,
  and uniform knots checked at every count up to the greedy count for sigmoid and tanh).
`;
  writeFileSync(join(DOCS, 'pwl.md'), md);
  log(`wrote docs/pwl.md and ${plots.length} SVG plots in ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

main().catch((e) => {
  process.stderr.write(`pwl-report: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
