/** The page: wires the four views to the runtime worker. All model work runs in the worker. */
import './style.css';
import { RuntimeClient } from './client.js';
import { drawPwl } from './pwl-view.js';
import type { ErrorInfo, ModelInfo, Reply, Slot } from './protocol.js';

// The shipped integer models, emitted by Vite as assets (fetched by the worker, never inlined).
const MODELS: Record<Slot, { name: string; url: string }> = {
  lm: { name: 'lm-brown-small.onnx', url: new URL('../../../models/lm-brown-small.onnx', import.meta.url).href },
  tagger: { name: 'pos-brown-medium.onnx', url: new URL('../../../models/pos-brown-medium.onnx', import.meta.url).href },
  g2p: { name: 'g2p-cmudict-small.onnx', url: new URL('../../../models/g2p-cmudict-small.onnx', import.meta.url).href },
};

// ?kernels=core turns the wasm kernels off (runtime-core's TypeScript kernels serve): the worker reads its name.
const kernels = new URLSearchParams(location.search).get('kernels') === 'core' ? 'core' : 'wasm';
const client = new RuntimeClient(new Worker(new URL('./worker.ts', import.meta.url), { type: 'module', name: kernels }));
const $ = <T extends HTMLElement = HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`page is missing #${id}`);
  return el as T;
};
const value = (id: string): string => $<HTMLInputElement>(id).value;
const num = (id: string): number => Number(value(id));

const mb = (bytes: number): string => `${(bytes / 1e6).toFixed(2)} MB`;
const latency = (us: number, unit: string): string => (us >= 1000 ? `${(us / 1000).toFixed(2)} ms` : `${us.toFixed(0)} µs`) + ` per ${unit}`;

function showError(slot: Slot | 'pwl', e: unknown): void {
  const info = e as ErrorInfo;
  const el = $(`${slot}-error`);
  el.textContent = info?.code ? `${info.message} (${info.code})` : String(e);
  el.dataset.code = info?.code ?? 'ERR_INTERNAL';
}
function clearError(slot: Slot | 'pwl'): void {
  const el = $(`${slot}-error`);
  el.textContent = '';
  delete el.dataset.code;
}

/** Run one request with its button disabled, errors shown under the view. */
async function guarded(slot: Slot | 'pwl', button: string, work: () => Promise<void>): Promise<void> {
  const b = $<HTMLButtonElement>(button);
  b.disabled = true;
  clearError(slot);
  try {
    await work();
  } catch (e) {
    showError(slot, e);
  } finally {
    b.disabled = false;
  }
}

function showModel(info: ModelInfo): void {
  const el = $(`${info.slot}-model`);
  el.textContent = `${info.name} · ${mb(info.bytes)} · ${(info.parameters / 1e6).toFixed(2)} M integers · ${info.pwlTables.length} PWL tables · loaded in ${info.loadMs.toFixed(0)} ms · kernels: ${info.kernels.backend}`;
  el.title = info.kernels.reason;
  el.dataset.bytes = String(info.bytes);
  el.dataset.kernels = info.kernels.backend;
}

async function load(slot: Slot, name: string, source: { url: string } | { bytes: ArrayBuffer }): Promise<void> {
  const r = await client.request({ kind: 'load', slot, name, ...source });
  if (r.kind === 'loaded') showModel(r.info);
  $<HTMLButtonElement>(`${slot}-run`).disabled = false;
  $<HTMLButtonElement>('pwl-run').disabled = false;
}

for (const slot of ['lm', 'tagger', 'g2p'] as const) {
  clearError(slot);
  void load(slot, MODELS[slot].name, { url: MODELS[slot].url }).catch((e) => {
    $(`${slot}-model`).textContent = 'no model';
    showError(slot, e);
  });
  $<HTMLInputElement>(`${slot}-file`).addEventListener('change', async (ev) => {
    const file = (ev.target as HTMLInputElement).files?.[0];
    if (!file) return;
    clearError(slot);
    // On a bad file the worker keeps the model it had; the message says what is wrong and where.
    await load(slot, file.name, { bytes: await file.arrayBuffer() }).catch((e) => showError(slot, e));
  });
}

$('lm-run').addEventListener('click', () =>
  guarded('lm', 'lm-run', async () => {
    const out = $('lm-output');
    out.replaceChildren();
    out.dataset.state = 'running';
    const prompt = document.createElement('span');
    prompt.className = 'prompt';
    prompt.textContent = value('lm-prompt');
    out.append(prompt);
    try {
      const r = await client.request({ kind: 'generate', prompt: value('lm-prompt'), tokens: num('lm-tokens'), temperature: num('lm-temperature'), seed: num('lm-seed') }, (token) => {
        const span = document.createElement('span');
        span.className = 'token';
        span.textContent = ` ${token}`;
        out.append(span);
      });
      if (r.kind !== 'generated') return;
      out.dataset.tokens = JSON.stringify(r.result.tokens);
      const unk = r.result.unknownWords.length ? ` · not in the vocabulary (read as the unknown token): ${r.result.unknownWords.join(', ')}` : '';
      $('lm-stats').textContent = `${latency(r.result.usPerToken, 'token')}${unk}`;
    } finally {
      out.dataset.state = 'done';
    }
  }),
);

$('tagger-run').addEventListener('click', () =>
  guarded('tagger', 'tagger-run', async () => {
    const out = $('tagger-output');
    out.replaceChildren();
    const r = await client.request({ kind: 'tag', sentence: value('tagger-sentence') });
    if (r.kind !== 'tagged') return;
    for (const w of r.result.words) {
      const el = document.createElement('span');
      el.className = w.unknown ? 'tagged unknown' : 'tagged';
      el.title = w.unknown ? 'not in the vocabulary: tagged from context' : '';
      el.innerHTML = '<span class="word"></span><span class="tag"></span>';
      el.querySelector('.word')!.textContent = w.word;
      el.querySelector('.tag')!.textContent = w.tag;
      out.append(el);
    }
    out.dataset.tags = JSON.stringify(r.result.words.map((w) => w.tag));
    $('tagger-stats').textContent = latency(r.result.usPerToken, 'word');
  }),
);

$('g2p-run').addEventListener('click', () =>
  guarded('g2p', 'g2p-run', async () => {
    const out = $<HTMLTableElement>('g2p-output');
    out.replaceChildren();
    const r = await client.request({ kind: 'pronounce', words: value('g2p-words'), beam: num('g2p-beam'), nbest: num('g2p-nbest') });
    if (r.kind !== 'pronounced') return;
    for (const w of r.result.words) {
      const row = out.insertRow();
      row.dataset.word = w.word;
      row.insertCell().textContent = w.word;
      const cell = row.insertCell();
      if (w.error) {
        cell.className = 'error';
        cell.textContent = w.error.message;
        row.dataset.error = w.error.code;
      } else {
        cell.textContent = w.candidates!.map((c) => c.phonemes.join(' ')).join('   |   ');
        row.dataset.phonemes = JSON.stringify(w.candidates!.map((c) => c.phonemes));
      }
    }
    $('g2p-stats').textContent = latency(r.result.usPerToken, 'decoder step');
  }),
);

$('pwl-run').addEventListener('click', () =>
  guarded('pwl', 'pwl-run', async () => {
    const r: Reply = await client.request({ kind: 'pwl', slot: value('pwl-slot') as Slot });
    if (r.kind === 'pwl') drawPwl($('pwl-charts'), r.curves);
  }),
);
