import type { ModelMetadata, PwlFunction, PwlTable } from '@intrnn/format';
import type { IntrnnModel } from './model.js';
import { pwlFromTensors } from './tensor-checks.js';

export type { PwlFunction };

/** One PWL table of a loaded model: its integers, the function it approximates and its real scales. */
export interface ModelPwlTable {
  name: string;
  fn: PwlFunction;
  table: PwlTable;
  scales: ModelMetadata['pwlTables'][string];
}

/** Every PWL table of a model, found through its ops' signatures (for inspection and plots). */
export function modelPwlTables(model: IntrnnModel): ModelPwlTable[] {
  return model.pwlInputs().map(({ fn, table, params }) => ({
    name: table,
    fn,
    table: pwlFromTensors(model.initializers.get(table) ?? null, model.initializers.get(params) ?? null, table),
    scales: model.metadata.pwlTables[table], // the loader checked every table has its entry
  }));
}
