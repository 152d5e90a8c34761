import { conformanceCases, conformanceDiffs, runConformanceCase } from '@intrnn/runtime-core/conformance';
import { loadAddon, registerNativeKernels } from '../src/index.js';

// Every conformance case on the native kernels, on every instruction path this CPU runs.
const EXCLUDED: Record<string, string> = {
  'Gather rows of an int8 table': "Gather runs on runtime-core's reference kernel in every engine",
  'Concat on the last axis': "Concat runs on runtime-core's reference kernel in every engine",
};

const addon = loadAddon().addon;
const describeNative = addon ? describe : describe.skip;

describeNative('native kernels on the conformance cases', () => {
  beforeAll(() => registerNativeKernels());
  afterAll(() => addon!.forcePath(-1));
  const paths = [0, 1, 2, 3].filter((p) => {
    try {
      addon!.forcePath(p);
      return true;
    } catch {
      return false;
    }
  });

  test.each(
    conformanceCases()
      .filter((c) => !EXCLUDED[c.name])
      .map((c) => [c.name, c] as const),
  )('%s, every path', (_, c) => {
    for (const p of paths) {
      addon!.forcePath(p);
      expect([p, conformanceDiffs(c, runConformanceCase(c, 'native'))]).toEqual([p, []]);
    }
  });
});
