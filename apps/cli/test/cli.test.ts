import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pwlEval } from '@intrnn/runtime-core';

// These tests run the built command exactly as a user does (`npx intrnn ...`).
const BIN = join(__dirname, '..', 'bin', 'intrnn.mjs');

function intrnn(...args: string[]): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

beforeAll(() => {
  if (!existsSync(join(__dirname, '..', 'dist', 'main.js'))) throw new Error('apps/cli is not built: run `npm test` (it builds first)');
});

describe('intrnn pwl', () => {
  test('--json reports a table whose error, re-measured on every input, is within the tolerance', () => {
    const r = intrnn('pwl', '--fn', 'sigmoid', '--tolerance', '2', '--json');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    for (const key of ['knots', 'values', 'slopes', 'fracBits', 'pieces', 'maxErrorLsb', 'inMin', 'inMax', 'inScale', 'outScale']) expect(j).toHaveProperty(key);
    expect(j.pieces).toBe(j.knots.length - 1);
    expect(j.inMin).toBe(-32768);
    expect(j.inScale).toBe(2 ** -12);
    let max = 0;
    for (let q = j.inMin; q <= j.inMax; q++) {
      const want = Math.min(32767, Math.round(1 / (1 + Math.exp(-q * j.inScale)) / j.outScale));
      max = Math.max(max, Math.abs(pwlEval(j, q) - want));
    }
    expect(max).toBe(j.maxErrorLsb);
    expect(max).toBeLessThanOrEqual(2);
  });

  test('--uniform --max-pieces places evenly spaced knots; --max-pieces alone is the budget form', () => {
    const u = JSON.parse(intrnn('pwl', '--fn', 'tanh', '--symmetry', 'none', '--uniform', '--max-pieces', '4', '--json').out);
    expect(u.method).toBe('uniform');
    expect(u.knots).toEqual([-32768, -16384, 0, 16383, 32767]); // round(-32768 + 65535·j/4)
    const b = JSON.parse(intrnn('pwl', '--fn', 'tanh', '--symmetry', 'none', '--max-pieces', '4', '--json').out);
    expect(b.method).toBe('budget');
    expect(b.pieces).toBeLessThanOrEqual(4);
    expect(b.maxErrorLsb).toBeLessThan(u.maxErrorLsb);
  });

  test('--expr, bit widths and scales are honoured', () => {
    const j = JSON.parse(intrnn('pwl', '--expr', 'x*x', '--in-bits', '8', '--in-scale', '1/16', '--out-scale', '2^-4', '--tolerance', '0', '--json').out);
    expect([j.inMin, j.inMax, j.inScale, j.outScale]).toEqual([-128, 127, 1 / 16, 1 / 16]);
    expect(j.maxErrorLsb).toBe(0);
  });

  test('without --json it prints a readable table', () => {
    const r = intrnn('pwl', '--fn', 'exp', '--out-bits', '8');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^exp: greedy knots, tolerance 1 LSB -> \d+ pieces/);
    expect(r.out).toMatch(/\|\s+j \| knot q \|/);
    expect(r.out).toMatch(/output int8 at scale 2\^-7/);
  });

  test.each([
    [['--fn', 'nope'], /--fn <name>' argument 'nope' is invalid/],
    [['--fn', 'tanh', '--in-scale', '0'], /--in-scale <s>' argument '0' is invalid/],
    [['--fn', 'tanh', '--in-bits', 'x'], /--in-bits <n>' argument 'x' is invalid/],
    [['--fn', 'tanh', '--tolerance', '-1'], /--tolerance <lsb>' argument '-1' is invalid/],
    [['--expr', 'x +* 1'], /--expr: does not parse/],
    [['--expr', 'log(x)'], /--expr: gives -Infinity at x = 0/],
    [['--fn', 'tanh', '--uniform'], /--uniform: needs --max-pieces/],
    [['--fn', 'tanh', '--tolerance', '1', '--max-pieces', '3'], /cannot be used with option '--max-pieces/],
    [['--fn', 'tanh', '--expr', 'x'], /cannot be used with option '--expr/],
    [['--fn', 'tanh', '--in-min', '5', '--in-max', '1'], /pwlSpec\.inMin/],
    [['--fn', 'tanh', '--frac-bits', '40'], /--frac-bits|pwlSpec\.fracBits/],
    [['--fn', 'tanh', '--bogus'], /unknown option '--bogus'/],
    [[], /--fn: give a function/],
  ])('bad input %j exits 2 with a message naming it', (args, pattern) => {
    const r = intrnn('pwl', ...args);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(pattern);
    expect(r.out).toBe('');
  });
});

describe('intrnn train and eval-qat', () => {
  const dir = mkdtempSync(join(tmpdir(), 'intrnn-cli-train-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('train --json reports the figures; eval-qat evaluates the checkpoint it wrote', () => {
    const t = intrnn('train', '--task', 'lm-brown', '--preset', 'tiny', '--out', join(dir, 'lm'), '--steps', '6', '--json');
    expect(t.code).toBe(0);
    const r = JSON.parse(t.out);
    for (const key of ['initialLoss', 'finalLoss', 'steps', 'tokensPerSecond', 'validation']) expect(r).toHaveProperty(key);
    expect(r.steps).toBe(6);
    expect(t.err).toMatch(/\[train\] 6\/6/); // plain progress lines when stderr is not a terminal
    const e = intrnn('eval-qat', join(dir, 'lm'), '--split', 'test', '--json');
    expect(e.code).toBe(0);
    expect(JSON.parse(e.out)).toMatchObject({ task: 'lm-brown', split: 'test', mode: 'float' });
    expect(JSON.parse(e.out).perplexity).toBeGreaterThan(1);
    const table = intrnn('eval-qat', join(dir, 'lm'), '--split', 'valid');
    expect(table.out).toMatch(/\| task +\| split +\| mode/);
  }, 120_000);

  test.each([
    [['train', '--task', 'g2p-cmudict', '--preset', 'full', '--out', 'x'], /--preset: unknown preset 'full' for g2p-cmudict/],
    [['train', '--task', 'lm-brown', '--preset', 'tiny'], /required option '--out <dir>'/],
    [['train', '--task', 'lm-brown', '--preset', 'tiny', '--out', '/nonexistent-intrnn/x', '--resume'], /no checkpoint to resume/],
    [['eval-qat', '/nonexistent-intrnn'], /checkpoint\.json: no such file/],
    [['eval-qat', 'x', '--split', 'train'], /--split <split>' argument 'train' is invalid/],
    [['train', '--task', 'lm-brown', '--preset', 'tiny', '--out', '/tmp/intrnn-never', '--checkpoint-every', '-1'], /--checkpoint-every: must be between 1 and 86400 seconds/],
    [['train', '--task', 'lm-brown', '--preset', 'tiny', '--out', '/tmp/intrnn-never', '--workers', '0'], /--workers: must be between 1 and 256/],
    [['train', '--task', 'pos-brown', '--preset', 'tiny', '--out', '/tmp/intrnn-never', '--cell', 'gru'], /--cell: preset tiny is an LSTM preset with MadNorm; GRU taggers: --preset tiny-gru/],
    [
      ['train', '--task', 'g2p-cmudict', '--preset', 'tiny', '--out', '/tmp/intrnn-never', '--cell', 'gru'],
      /--cell: g2p-cmudict trains LSTM cells only in this release; GRU cells: --task lm-brown or pos-brown/,
    ],
    [['train', '--task', 'lm-brown', '--preset', 'tiny', '--out', '/tmp/intrnn-never', '--cell', 'rnn'], /--cell <cell>' argument 'rnn' is invalid/],
    [['train', '--task', 'lm-brown', '--preset', 'tiny', '--out', '/tmp/intrnn-never', '--weight-bits', '4'], /--weight-bits: applies to QAT fine-tuning \(--qat-from\)/],
    [['train', '--task', 'lm-brown', '--preset', 'tiny', '--out', '/tmp/intrnn-never', '--weight-bits', '3'], /--weight-bits <bits>' argument '3' is invalid/],
    [['train', '--task', 'pos-brown', '--preset', 'tiny', '--out', '/tmp/intrnn-never', '--weight-bits', '4'], /--weight-bits: pos-brown trains int8 weights only in this release/],
    [['run', join(__dirname, '..', '..', '..', 'models', 'lm-brown-small.onnx'), '--prompt', 'The jury', '--tokens', String(2 ** 40)], /--tokens: 1099511627776 is not in \[0, 10000\]/],
  ])('bad input %j exits 2 with a message naming it', (args, pattern) => {
    const r = intrnn(...args);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(pattern);
  });
});

describe('intrnn', () => {
  test('demo --pwl-only prints the PWL summary table', () => {
    const r = intrnn('demo', '--pwl-only');
    expect(r.code).toBe(0);
    for (const fn of ['sigmoid', 'tanh', 'exp']) expect(r.out).toMatch(new RegExp(`\\| ${fn}\\s+\\| int16`));
    expect(r.err).toMatch(/\[6\/6\]/);
  });

  test('an unknown command exits 2; --version exits 0', () => {
    expect(intrnn('frobnicate').code).toBe(2);
    expect(intrnn('--version')).toMatchObject({ code: 0, out: '0.1.0\n' });
  });
});
