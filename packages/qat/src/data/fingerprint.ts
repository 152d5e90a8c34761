import { createHash } from 'node:crypto';

/** sha256 (hex, first 16 characters) of a sequence of strings, one per line: a data split's identity. */
export function fingerprint(lines: Iterable<string>): string {
  const h = createHash('sha256');
  for (const line of lines) h.update(line).update('\n');
  return h.digest('hex').slice(0, 16);
}
