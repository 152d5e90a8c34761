/**
 * The one error type every intrnn package throws for bad input or a broken contract.
 * `code` is stable and machine-readable; `where` names the tensor, field, option or file.
 * The CLI maps any IntrnnError to exit code 2 with one clear line.
 */
export class IntrnnError extends Error {
  /** Stable machine-readable code, e.g. `ERR_RANGE`, `ERR_SCHEMA`, `ERR_OVERFLOW`. */
  readonly code: string;
  /** What the error is about: a tensor, field, option or file name. */
  readonly where: string;

  constructor(code: string, where: string, message: string) {
    super(`${where}: ${message}`);
    this.name = 'IntrnnError';
    this.code = code;
    this.where = where;
  }
}

/** True if `e` is an {@link IntrnnError} (also across package copies, by name and code). */
export function isIntrnnError(e: unknown): e is IntrnnError {
  return e instanceof IntrnnError || (e instanceof Error && e.name === 'IntrnnError' && typeof (e as IntrnnError).code === 'string');
}
