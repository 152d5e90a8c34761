import { type Command, Option } from 'commander';
import { IntrnnError } from '@intrnn/format';
import { ACTIVATIONS, activationSpec, budgetPwl, greedyPwl, gridSpec, uniformPwl, type ActivationName, type PwlSearchResult, type PwlSpec, type PwlSymmetry } from '@intrnn/qat/pwl';
import { markdownTable } from 'markdown-table';
import { formatScale, parseInteger, parseNonNegative, parseScale } from '../parse.js';
import type { Io } from '../io.js';

interface PwlOptions {
  fn?: string;
  expr?: string;
  inBits?: number;
  inScale?: number;
  inMin?: number;
  inMax?: number;
  outBits?: number;
  outScale?: number;
  fracBits?: number;
  symmetry: PwlSymmetry | 'auto';
  tolerance?: number;
  maxPieces?: number;
  uniform?: boolean;
  json?: boolean;
}

/** Build the spec the options describe; every bad value is a typed error naming its option. */
export async function specFromOptions(o: PwlOptions): Promise<{ spec: PwlSpec; label: string }> {
  if (!o.fn && !o.expr) throw new IntrnnError('ERR_OPTION', '--fn', 'give a function with --fn NAME or --expr "EXPRESSION"');
  const grid = { inBits: o.inBits, inScale: o.inScale, outBits: o.outBits, outScale: o.outScale, fracBits: o.fracBits, symmetry: o.symmetry };
  let spec: PwlSpec;
  if (o.fn) {
    if (!(o.fn in ACTIVATIONS)) throw new IntrnnError('ERR_OPTION', '--fn', `unknown function '${o.fn}' (one of ${Object.keys(ACTIVATIONS).join(', ')})`);
    const name = o.fn as ActivationName;
    // Without an explicit output scale, an int8 output keeps the function's range: scale it up by 2^(16 - bits).
    const outScale = o.outScale ?? (o.outBits !== undefined && o.outBits !== 16 ? ACTIVATIONS[name].outScale * 2 ** (16 - o.outBits) : undefined);
    const inScale = o.inScale ?? (o.inBits !== undefined && o.inBits !== 16 ? ACTIVATIONS[name].inScale * 2 ** (16 - o.inBits) : undefined);
    spec = activationSpec(name, { ...grid, inScale, outScale });
  } else {
    // the math parser loads only for --expr: the CLI's other commands start without it
    const { compileExpression } = await import('@intrnn/qat/expression');
    spec = gridSpec(compileExpression(o.expr!), { ...grid, inScale: o.inScale ?? 2 ** -12, outScale: o.outScale ?? 2 ** -12 });
  }
  spec = { ...spec, inMin: o.inMin ?? spec.inMin, inMax: o.inMax ?? spec.inMax };
  for (const [name, bits] of [
    ['--out-bits', o.outBits],
    ['--frac-bits', o.fracBits],
  ] as const) {
    if (bits !== undefined && !(bits >= 0 && bits <= 32)) throw new IntrnnError('ERR_OPTION', name, `${bits} is out of range`);
  }
  return { spec, label: o.fn ?? `expr: ${o.expr}` };
}

/** Run the search the options ask for. */
export function searchFromOptions(spec: PwlSpec, o: PwlOptions): { result: PwlSearchResult; method: 'greedy' | 'budget' | 'uniform' } {
  if (o.uniform) {
    if (o.maxPieces === undefined) throw new IntrnnError('ERR_OPTION', '--uniform', 'needs --max-pieces N (the number of evenly spaced pieces)');
    return { result: uniformPwl(spec, o.maxPieces), method: 'uniform' };
  }
  if (o.maxPieces !== undefined) return { result: budgetPwl(spec, o.maxPieces), method: 'budget' };
  return { result: greedyPwl(spec, o.tolerance ?? 1), method: 'greedy' };
}

function report(label: string, o: PwlOptions, method: string, r: PwlSearchResult) {
  const t = r.table;
  return {
    function: label,
    method,
    ...(method === 'greedy' ? { tolerance: o.tolerance ?? 1, metTolerance: r.maxErrorLsb <= (o.tolerance ?? 1) } : { maxPiecesAllowed: o.maxPieces }),
    pieces: r.pieces,
    knots: t.knots,
    values: t.values,
    slopes: t.slopes,
    fracBits: t.fracBits,
    maxErrorLsb: r.maxErrorLsb,
    meanErrorLsb: r.meanErrorLsb,
    argMaxError: r.argMaxError,
    inMin: t.inMin,
    inMax: t.inMax,
    inScale: t.inScale,
    outBits: t.outBits,
    outScale: t.outScale,
    symmetry: t.symmetry,
    center: t.center,
    searchMs: Math.round(r.searchMs * 10) / 10,
  };
}

function printTable(io: Io, label: string, spec: PwlSpec, o: PwlOptions, method: string, r: PwlSearchResult): void {
  const t = r.table;
  const how = method === 'greedy' ? `greedy knots, tolerance ${o.tolerance ?? 1} LSB` : method === 'budget' ? `greedy knots, budget ${o.maxPieces} pieces` : `${o.maxPieces} evenly spaced pieces`;
  const sym = t.symmetry === 'none' ? '' : ` (symmetry ${t.symmetry}${t.symmetry === 'point' ? `, center ${t.center}` : ''}: the table covers q >= 0, q < 0 is mirrored)`;
  io.out.write(`${label}: ${how} -> ${r.pieces} pieces${sym}\n`);
  io.out.write(`input int [${t.inMin}, ${t.inMax}] at scale ${formatScale(t.inScale)}; output int${t.outBits} at scale ${formatScale(t.outScale)}; slopes at ${t.fracBits} fractional bits\n`);
  io.out.write(
    `max error ${r.maxErrorLsb} LSB (at q = ${r.argMaxError}), mean ${r.meanErrorLsb.toFixed(3)} LSB, measured on all ${t.inMax - t.inMin + 1} inputs; search ${r.searchMs.toFixed(0)} ms\n\n`,
  );
  const rows = t.knots.map((k, j) => [
    String(j),
    String(k),
    (k * t.inScale).toPrecision(5),
    String(t.values[j]),
    (spec.f(k * t.inScale) / t.outScale).toFixed(2),
    j < t.slopes.length ? String(t.slopes[j]) : '',
    j < t.slopes.length ? (t.slopes[j] / 2 ** t.fracBits).toPrecision(5) : '',
  ]);
  io.out.write(markdownTable([['j', 'knot q', 'x = q*s_in', 'value y', 'f(x)/s_out', 'slope m', 'm / 2^F'], ...rows], { align: ['r', 'r', 'r', 'r', 'r', 'r', 'r'] }) + '\n');
}

/** `intrnn pwl`: build an integer PWL table for a function and report it. */
export function registerPwl(program: Command, io: Io): void {
  program
    .command('pwl')
    .description('place PWL knots for a function on an integer grid (greedy, budget or uniform) and measure the error on every input')
    .addOption(new Option('--fn <name>', 'built-in function').choices(Object.keys(ACTIVATIONS)).conflicts('expr'))
    .option('--expr <math>', 'a math expression in x with elementary functions, pi and e (^ is a power), e.g. "x / (1 + exp(-x))"')
    .option('--in-bits <n>', 'input bit width (default 16)', parseInteger)
    .option('--in-scale <s>', 'real value of one input step, e.g. 2^-12 (default per function)', parseScale)
    .option('--in-min <q>', 'smallest integer input (default: the full signed range; exp: its non-positive half)', parseInteger)
    .option('--in-max <q>', 'largest integer input', parseInteger)
    .option('--out-bits <n>', 'output bit width (default 16)', parseInteger)
    .option('--out-scale <s>', 'real value of one output step (default per function)', parseScale)
    .option('--frac-bits <n>', 'fractional bits of the integer slopes (default 16)', parseInteger)
    .addOption(new Option('--symmetry <kind>', 'mirror q < 0 (auto: point for sigmoid, odd for tanh)').choices(['auto', 'none', 'odd', 'point']).default('auto'))
    .addOption(new Option('--tolerance <lsb>', 'largest error allowed, in output LSB (default 1)').argParser(parseNonNegative).conflicts('maxPieces'))
    .option('--max-pieces <n>', 'budget form: at most n pieces, splitting the worst segment first', parseInteger)
    .option('--uniform', 'evenly spaced knots (with --max-pieces n) instead of the search')
    .option('--json', 'print one JSON object')
    .action(async (o: PwlOptions) => {
      const { spec, label } = await specFromOptions(o);
      const { result, method } = searchFromOptions(spec, o);
      if (o.json) io.out.write(JSON.stringify(report(label, o, method, result)) + '\n');
      else printTable(io, label, spec, o, method, result);
    });
}
