import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

// `npm start` runs `intrnn demo` on the models committed in models/: run it as a user does.
const BIN = join(__dirname, '..', 'bin', 'intrnn.mjs');
const MODELS = join(__dirname, '..', '..', '..', 'models');
const TASKS = ['lm-brown', 'pos-brown', 'g2p-cmudict'];

describe('intrnn demo on the shipped models', () => {
  test('every task shows outputs, the slice metric against float, sizes, latency, and reproduces the shipped outputs hash', () => {
    // one shipped model per task, whatever its preset: models/TASK-PRESET.json
    const cards = Object.fromEntries(TASKS.map((t) => [t, readdirSync(MODELS).filter((f) => f.startsWith(`${t}-`) && f.endsWith('.json'))]));
    for (const t of TASKS) expect([t, cards[t].length]).toEqual([t, 1]);
    const r = spawnSync(process.execPath, [BIN, 'demo'], { encoding: 'utf8', timeout: 300_000 });
    expect(r.status).toBe(0);
    for (const t of TASKS) {
      const card = JSON.parse(readFileSync(join(MODELS, cards[t][0]), 'utf8'));
      expect(r.stdout).toContain(card.file);
      expect(r.stdout).toMatch(new RegExp(`\\| ${t}\\s+\\|.*\\| yes\\s+\\|`));
    }
    expect(r.stdout).toMatch(/The jury said … \S+/);
    expect(r.stdout).not.toMatch(/DIFFERS|\| NO/);
    expect(r.stderr).toMatch(/\[3\/3\] timing per-token latency/);
  }, 320_000);
});
