import type { Command } from 'commander';
import { activationSpec, comparePwl, type ActivationName } from '@intrnn/qat';
import { markdownTable } from 'markdown-table';
import type { Io } from '../io.js';

/** The PWL summary: greedy knots at 1 LSB for the activations an LSTM and attention need. */
export function pwlSummaryRows(progress: (line: string) => void): string[][] {
  const rows: string[][] = [];
  const cases: Array<[ActivationName, 8 | 16]> = [['sigmoid', 16], ['tanh', 16], ['exp', 16], ['sigmoid', 8], ['tanh', 8], ['exp', 8]];
  cases.forEach(([fn, outBits], i) => {
    progress(`[${i + 1}/${cases.length}] ${fn}, int${outBits} output`);
    const outScale = (fn === 'exp' || fn === 'sigmoid' || fn === 'tanh' ? 2 ** -15 : 2 ** -12) * 2 ** (16 - outBits);
    const sym = comparePwl(activationSpec(fn, { outBits, outScale }), 1);
    const plain = fn === 'exp' ? sym : comparePwl(activationSpec(fn, { outBits, outScale, symmetry: 'none' }), 1);
    rows.push([
      fn,
      `int${outBits}`,
      String(plain.greedy.pieces),
      fn === 'exp' ? '-' : String(sym.greedy.pieces),
      String(plain.greedy.maxErrorLsb),
      plain.greedy.meanErrorLsb.toFixed(3),
      String(plain.uniformSameCount.maxErrorLsb),
      plain.uniformSameCount.meanErrorLsb.toFixed(3),
      (plain.greedy.searchMs + (fn === 'exp' ? 0 : sym.greedy.searchMs)).toFixed(0),
    ]);
  });
  return rows;
}

/** `intrnn demo`: the main job of `npm start`. */
export function registerDemo(program: Command, io: Io): void {
  program
    .command('demo')
    .description('show what intrnn does on this machine (for now: the integer PWL activations)')
    .action(() => {
      io.out.write('intrnn demo: integer piecewise-linear activations (greedy knot search, Algorithm 1 of Sari et al.)\n');
      io.out.write('Inputs: int16 at scale 2^-12 (exp: 2^-10, non-positive half). Tolerance 1 output LSB, measured on all inputs.\n\n');
      const rows = pwlSummaryRows((line) => io.err.write(`${line}\n`));
      const header = ['function', 'output', 'greedy pieces', 'symmetric pieces', 'max err (LSB)', 'mean err (LSB)', 'uniform max err, same pieces', 'uniform mean err', 'search ms'];
      io.out.write(markdownTable([header, ...rows], { align: ['l', 'l', 'r', 'r', 'r', 'r', 'r', 'r', 'r'] }) + '\n\n');
      io.out.write('Try: npx intrnn pwl --fn tanh --tolerance 2     (or --json, --max-pieces 16, --uniform, --expr "x*x")\n');
      io.out.write('The training, conversion and integer-runtime demos arrive with issues 3, 4 and 7.\n');
    });
}
