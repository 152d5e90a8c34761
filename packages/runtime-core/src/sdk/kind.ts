import { IntrnnError, modelKind, type ModelKind, type ModelMetadata, type Tensor } from '@intrnn/format';
import type { IntrnnModel } from '../executor/model.js';

/** Refuse a model of another kind, naming the kind it has. */
export function requireKind(meta: ModelMetadata, kind: ModelKind): void {
  const has = modelKind(meta);
  if (has !== kind) throw new IntrnnError('ERR_TASK', 'model', `is a ${has} (task ${meta.task}), not a ${kind}`);
}

/** A table or output layer of the graph must have one row per symbol of its vocabulary. */
export function requireRows(rows: number | null, symbols: number, what: string, field: string): void {
  if (rows === null) throw new IntrnnError('ERR_MODEL_GRAPH', what, 'is missing from the graph');
  if (rows !== symbols) throw new IntrnnError('ERR_MODEL_INCONSISTENT', field, `has ${symbols} symbols; ${what} has ${rows} rows`);
}

/**
 * The graph must have the inputs an SDK class feeds and the outputs it reads, of these element
 * types: checked when the class is built, so a file with a removed output is refused up front
 * rather than failing inside a run.
 */
export function requireValues(model: IntrnnModel, inputs: Record<string, Tensor['type']>, outputs: Record<string, Tensor['type']>): void {
  for (const [kind, want, have] of [
    ['input', inputs, model.inputs],
    ['output', outputs, model.outputs],
  ] as const) {
    for (const [name, type] of Object.entries(want)) {
      const v = have.find((x) => x.name === name);
      if (!v) throw new IntrnnError('ERR_MODEL_GRAPH', `${kind} '${name}'`, `is missing; this model kind needs it (the graph has ${have.map((x) => x.name).join(', ') || 'none'})`);
      if (v.type !== type) throw new IntrnnError('ERR_MODEL_GRAPH', `${kind} '${name}'`, `is ${v.type}, expected ${type}`);
    }
  }
}
