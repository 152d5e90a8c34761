/**
 * Words of a text the way the Brown corpus the models were trained on is tokenized: punctuation is
 * its own token (`said.` is `said` `.`, `(see` is `(` `see`, `a--b` is `a` `--` `b`), double quotes
 * are `` and '', while a token the vocabulary holds whole stays whole (`Mr.`, `U.S.`, `don't`,
 * `man's`, `50%`). Splitting on spaces alone turned every word before a comma or a full stop into
 * the unknown token.
 */

const LEADING = new Set(['(', '[', '`', "'", '"']);
const TRAILING = new Set(['.', ',', ';', ':', '?', '!', ')', ']', "'", '"']);

/** The tokens of one whitespace-free chunk. */
function splitChunk(chunk: string, known: (token: string) => boolean): string[] {
  if (known(chunk)) return [chunk];
  const before: string[] = [];
  const after: string[] = [];
  let core = chunk;
  while (core.length > 1 && !known(core)) {
    if (core.startsWith('--')) {
      before.push('--');
      core = core.slice(2);
    } else if (LEADING.has(core[0])) {
      before.push(core[0] === '"' ? '``' : core[0]);
      core = core.slice(1);
    } else break;
  }
  while (core.length > 1 && !known(core)) {
    if (core.endsWith('--')) {
      after.unshift('--');
      core = core.slice(0, -2);
    } else if (TRAILING.has(core[core.length - 1])) {
      const c = core[core.length - 1];
      after.unshift(c === '"' ? "''" : c);
      core = core.slice(0, -1);
    } else break;
  }
  let middle = [core];
  if (!known(core) && core.includes('--')) middle = core.split(/(--)/).filter((t) => t.length > 0);
  return [...before, ...middle.filter((t) => t.length > 0), ...after];
}

/** Tokens of a text: whitespace splits, then each chunk as {@link splitChunk}; `known` is the vocabulary. */
export function tokenizeText(text: string, known: (token: string) => boolean): string[] {
  return text
    .split(/\s+/)
    .filter((w) => w.length > 0)
    .flatMap((w) => splitChunk(w, known));
}
