import { IntrnnError, modelKind, type ModelKind, type ModelMetadata } from '@intrnn/format';

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
