/** Where a command writes; tests and embedders can capture it. */
export interface Io {
  out: { write(s: string): unknown; isTTY?: boolean };
  err: { write(s: string): unknown; isTTY?: boolean };
}

/** The process's own streams. */
export const processIo: Io = { out: process.stdout, err: process.stderr };
