import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

// `npm start` runs `intrnn demo` on the models committed in models/: run it as a user does.
const BIN = join(__dirname, '..', 'bin', 'intrnn.mjs');
const MODELS = join(__dirname, '..', '..', '..', 'models');
const TASKS = ['lm-brown', 'pos-brown', 'g2p-cmudict'];

describe('intrnn demo on the shipped models', () => {
  test('every task shows outputs, the slice metric against float, sizes, latency, and reproduces the shipped outputs hash', () => {
    for (const t of TASKS) expect(existsSync(join(MODELS, `${t}-small.json`))).toBe(true);
    const r = spawnSync(process.execPath, [BIN, 'demo'], { encoding: 'utf8', timeout: 300_000 });
    expect(r.status).toBe(0);
    for (const t of TASKS) {
      const card = JSON.parse(readFileSync(join(MODELS, `${t}-small.json`), 'utf8'));
      expect(r.stdout).toContain(card.file);
      expect(r.stdout).toMatch(new RegExp(`\\| ${t}\\s+\\|.*\\| yes\\s+\\|`));
    }
    expect(r.stdout).toMatch(/The jury said … \S+/);
    expect(r.stdout).not.toMatch(/DIFFERS|\| NO/);
    expect(r.stderr).toMatch(/\[3\/3\] timing per-token latency/);
  }, 320_000);
});
