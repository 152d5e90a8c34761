import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { IntrnnError } from '@intrnn/format';

const require = createRequire(import.meta.url);

/** Folder of an installed data package, or a typed error saying which package is missing. */
export function packageDir(name: string): string {
  try {
    return dirname(require.resolve(`${name}/package.json`));
  } catch {
    throw new IntrnnError('ERR_DATA_MISSING', name, 'data package is not installed; run `npm test` or `npm start` once (they install it)');
  }
}

/** Path of a file inside a data package, checked to exist. */
export function packageFile(name: string, ...parts: string[]): string {
  const file = join(packageDir(name), ...parts);
  if (!existsSync(file)) throw new IntrnnError('ERR_DATA_MISSING', file, `file of package ${name} is missing`);
  return file;
}
