import type { PwlTable } from '@intrnn/format';
import type { ModelMetadata } from '@intrnn/format';
import type { IntrnnModel } from './model.js';
import { pwlFromTensors } from './tensor-checks.js';

/** The real function a PWL tensor approximates, by its name's suffix (the converter's naming). */
const FUNCTION_OF_SUFFIX = { sigmoid: 'sigmoid', tanh_gate: 'tanh', tanh_cell: 'tanh', exp: 'exp' } as const;
export type PwlFunction = (typeof FUNCTION_OF_SUFFIX)[keyof typeof FUNCTION_OF_SUFFIX];

/** The function of a PWL tensor name (`lstm0.sigmoid` → sigmoid), or null if the name is not a table's. */
export function pwlFunctionOf(name: string): PwlFunction | null {
  const dot = name.lastIndexOf('.');
  if (dot < 0) return null;
  const suffix = name.slice(dot + 1);
  return Object.hasOwn(FUNCTION_OF_SUFFIX, suffix) ? FUNCTION_OF_SUFFIX[suffix as keyof typeof FUNCTION_OF_SUFFIX] : null;
}

/** One PWL table of a loaded model: its integers, the function it approximates and its real scales. */
export interface ModelPwlTable {
  name: string;
  fn: PwlFunction;
  table: PwlTable;
  scales: ModelMetadata['pwlTables'][string];
}

/** Every PWL table of a model, in metadata order (for inspection and plots). */
export function modelPwlTables(model: IntrnnModel): ModelPwlTable[] {
  return Object.entries(model.metadata.pwlTables).map(([name, scales]) => ({
    name,
    fn: pwlFunctionOf(name)!, // the loader checked every metadata table names a table tensor
    table: pwlFromTensors(model.initializers.get(name) ?? null, model.initializers.get(`${name}_params`) ?? null, name),
    scales,
  }));
}
