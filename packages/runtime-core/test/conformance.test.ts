import { conformanceCases, conformanceDiffs, runConformanceCase } from '../src/conformance.js';
import { kernelsFor } from '../src/index.js';

// Every conformance case (tools/gen-conformance.ts, expected integers from the BigInt oracle) on each
// of runtime-core's backends. A backend skips a case only when it has no kernel for the op, named here.
const NO_CORE_TWIN: Record<string, string> = {
  Gather: 'Gather has only the reference kernel: every engine uses it',
  Concat: 'Concat has only the reference kernel: every engine uses it',
  IntAttention: 'attention has only the reference kernel in TypeScript (G2P runs it once per decoder step)',
};
const EXCLUDED: Record<string, Record<string, string>> = {
  core: Object.fromEntries(
    conformanceCases()
      .filter((c) => NO_CORE_TWIN[c.op])
      .map((c) => [c.name, NO_CORE_TWIN[c.op]]),
  ),
};

test('the cases cover every op the executors run, at the edge lengths', () => {
  const ops = new Set(conformanceCases().map((c) => c.op));
  expect([...ops].sort()).toEqual(['Concat', 'Gather', 'IntAttention', 'IntDense', 'IntGRU', 'IntLSTM']);
  expect(conformanceCases().filter((c) => c.op === 'IntDense').length).toBeGreaterThanOrEqual(14);
});

describe.each(['reference', 'core'])('backend %s', (backend) => {
  const excluded = EXCLUDED[backend] ?? {};
  test.each(conformanceCases().map((c) => [c.name, c] as const))('%s', (name, c) => {
    if (excluded[name]) {
      // an exclusion must stay true: the backend really has no kernel for the op
      expect(kernelsFor(c.op).some((k) => k.backend === backend)).toBe(false);
      return;
    }
    expect(conformanceDiffs(c, runConformanceCase(c, backend))).toEqual([]);
  });
});
