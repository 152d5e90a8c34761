/**
 * `@intrnn/runtime-core/conformance`: the conformance cases (conformance/cases.json, written by
 * tools/gen-conformance.ts with expected integers from the BigInt oracle) and how a backend runs
 * them. Each backend's tests run every case on exactly that backend; a backend may exclude a case
 * only by name, with the reason beside it. Node only (reads the cases file).
 * @packageDocumentation
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Tensor } from '@intrnn/format';
import { HEAP_ALLOCATOR } from './executor/arena.js';
import { candidateKernels } from './executor/registry.js';
import './executor/builtin-kernels.js';

/** One case: a node's op, attributes, inputs (constants or run-time values) and expected outputs. */
export interface ConformanceCase {
  name: string;
  op: string;
  attributes: Record<string, number | string>;
  inputs: ((Tensor & { constant: boolean }) | null)[];
  outputs: Tensor[];
}

const MAKE: Record<Tensor['type'], (b: ArrayBuffer) => Tensor['data']> = {
  float32: (b) => new Float32Array(b),
  int8: (b) => new Int8Array(b),
  uint8: (b) => new Uint8Array(b),
  int16: (b) => new Int16Array(b),
  int32: (b) => new Int32Array(b),
  int64: (b) => new BigInt64Array(b),
  int4: (b) => new Uint8Array(b), // packed, two values a byte
};

function decode(t: { type: Tensor['type']; dims: number[]; data: string }): Tensor {
  const bytes = Buffer.from(t.data, 'base64');
  const buf = new ArrayBuffer(bytes.length);
  new Uint8Array(buf).set(bytes);
  return { type: t.type, dims: t.dims, data: MAKE[t.type](buf) };
}

let cached: ConformanceCase[] | undefined;

/** Every conformance case. */
export function conformanceCases(): ConformanceCase[] {
  if (cached) return cached;
  // dist/conformance.js and src/conformance.ts both sit one level below the package root
  const file = join(dirname(fileURLToPath(import.meta.url)), '..', 'conformance', 'cases.json');
  const raw = JSON.parse(readFileSync(file, 'utf8')) as {
    cases: (Omit<ConformanceCase, 'inputs' | 'outputs'> & {
      inputs: ({ type: Tensor['type']; dims: number[]; data: string; constant: boolean } | null)[];
      outputs: { type: Tensor['type']; dims: number[]; data: string }[];
    })[];
  };
  cached = raw.cases.map((c) => ({ ...c, inputs: c.inputs.map((t) => (t ? { ...decode(t), constant: t.constant } : null)), outputs: c.outputs.map(decode) }));
  return cached;
}

/** Run a case on exactly one backend (its kernel for the op, created as the executor creates it). */
export function runConformanceCase(c: ConformanceCase, backend: string): Tensor[] {
  const [entry] = candidateKernels(c.op, c.name, [backend]);
  const kernel = entry.create({ name: c.name, op: c.op, constants: c.inputs.map((t) => (t?.constant ? t : null)), attributes: c.attributes });
  return kernel.run(
    c.inputs.map((t) => t as Tensor),
    HEAP_ALLOCATOR,
  );
}

/** Differences between a run's outputs and the expected ones ("output 0 [12]: got 5, want 6"), at most `limit`. */
export function conformanceDiffs(c: ConformanceCase, got: Tensor[], limit = 5): string[] {
  const diffs: string[] = [];
  c.outputs.forEach((want, o) => {
    const g = got[o];
    if (!g || g.type !== want.type || JSON.stringify(g.dims) !== JSON.stringify(want.dims)) {
      diffs.push(`output ${o}: got ${g ? `${g.type} ${JSON.stringify(g.dims)}` : 'nothing'}, want ${want.type} ${JSON.stringify(want.dims)}`);
      return;
    }
    for (let i = 0; i < want.data.length && diffs.length < limit; i++) if (g.data[i] !== want.data[i]) diffs.push(`output ${o} [${i}]: got ${g.data[i]}, want ${want.data[i]}`);
  });
  return diffs;
}
