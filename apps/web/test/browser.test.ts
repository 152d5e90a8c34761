/**
 * The web app in a real Chromium (Debian's, driven by playwright-core): the built app is served on
 * localhost, a prompt, a sentence and words are entered, and the integers the browser produced must
 * equal, token for token, what the Node SDK produces for the same model, input and seed, with the
 * wasm SIMD kernels (the default) and once with them turned off (runtime-core's). Bad inputs
 * and bad model files must give their typed messages and keep the loaded model working.
 * With INTRNN_SCREENSHOT_DIR set, a screenshot of each view is saved there (npm run docs:web).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { LanguageModel, Tagger, Transducer } from '@intrnn/runtime-core';
import { loadModelFile } from '@intrnn/runtime-core/node';

const repo = resolve(__dirname, '../../..');
const models = join(repo, 'models');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const shots = process.env.INTRNN_SCREENSHOT_DIR;

let server: ChildProcess;
let browser: Browser;
let page: Page;
let appUrl: string;
const pageErrors: string[] = [];

function startServer(): Promise<string> {
  server = spawn(process.execPath, [join(repo, 'apps/web/server.mjs'), '--port', '0', '--no-build'], { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((ok, fail) => {
    let out = '';
    let err = '';
    server.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /http:\/\/127\.0\.0\.1:\d+\//.exec(out);
      if (m) ok(m[0]);
    });
    server.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    server.on('exit', (code) => fail(new Error(`web server exited with ${code}: ${err}`)));
  });
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: npm test installs Debian's chromium package where apt can; or set CHROMIUM_PATH`);
  const url = await startServer();
  appUrl = url;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  page = await browser.newPage({ viewport: { width: 1040, height: 900 } });
  page.on('pageerror', (e) => pageErrors.push(e.message));
  page.on('console', (m) => m.type() === 'error' && pageErrors.push(m.text()));
  await page.goto(url);
  // All three shipped models load in the worker.
  for (const slot of ['lm', 'tagger', 'g2p']) await page.waitForSelector(`#${slot}-model[data-bytes]`, { timeout: 60_000 });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  server?.kill();
});

afterEach(() => expect(pageErrors.splice(0)).toEqual([]));

async function shot(id: string, selector = `#${id}`): Promise<void> {
  if (!shots) return;
  mkdirSync(shots, { recursive: true });
  await page.locator(selector).screenshot({ path: join(shots, `web-${id}.png`) });
}

async function fill(values: Record<string, string>): Promise<void> {
  for (const [id, v] of Object.entries(values)) await page.fill(`#${id}`, v);
}

test('the page shows each shipped model with its size', async () => {
  for (const [slot, file] of [
    ['lm', 'lm-brown-small.onnx'],
    ['tagger', 'pos-brown-medium.onnx'],
    ['g2p', 'g2p-cmudict-small.onnx'],
  ]) {
    const bytes = Number(await page.getAttribute(`#${slot}-model`, 'data-bytes'));
    expect(bytes).toBe(readFileSync(join(models, file)).length);
    // the wasm SIMD kernels serve by default, and the page says so
    expect(await page.getAttribute(`#${slot}-model`, 'data-kernels')).toBe('wasm');
    expect(await page.getAttribute(`#${slot}-model`, 'title')).toMatch(/^intrnn-kernels wasm wasm-simd128/);
    expect(await page.textContent(`#${slot}-model`)).toContain(file);
  }
});

test('language model: the streamed tokens equal the Node SDK for the same prompt, temperature and seed', async () => {
  const lm = new LanguageModel(loadModelFile(join(models, 'lm-brown-small.onnx')));
  for (const [prompt, temperature, seed] of [
    ['The jury said', 0.7, 7],
    ['In the first place ,', 1, 123],
    ['zzqx the', 0, 1],
  ] as const) {
    const expected = lm.generate(prompt, { tokens: 16, temperature, seed });
    await fill({ 'lm-prompt': prompt, 'lm-tokens': '16', 'lm-temperature': String(temperature), 'lm-seed': String(seed) });
    await page.click('#lm-run');
    await page.waitForSelector('#lm-output[data-state="done"][data-tokens]');
    expect(JSON.parse((await page.getAttribute('#lm-output', 'data-tokens'))!)).toEqual(expected);
    // What streamed into the page is the same sequence.
    expect(await page.locator('#lm-output .token').allTextContents()).toEqual(expected.map((t) => ` ${t}`));
    expect(await page.textContent('#lm-stats')).toMatch(/per token/);
  }
  expect(await page.textContent('#lm-stats')).toContain('zzqx');
  await fill({ 'lm-prompt': 'The jury said', 'lm-temperature': '0.7', 'lm-seed': '7', 'lm-tokens': '20' });
  await page.click('#lm-run');
  await page.waitForSelector('#lm-output[data-state="done"][data-tokens]');
  await shot('lm');
}, 120_000);

test('tagger: the tags equal the Node SDK', async () => {
  const tagger = new Tagger(loadModelFile(join(models, 'pos-brown-medium.onnx')));
  for (const sentence of ['The old man walked slowly to the river .', 'Flurbish committees said the plans were rejected by voters .']) {
    const expected = tagger.tag(sentence.split(' ')).map((t) => t.tag);
    await fill({ 'tagger-sentence': sentence });
    await page.evaluate(() => document.getElementById('tagger-output')!.removeAttribute('data-tags'));
    await page.click('#tagger-run');
    await page.waitForSelector('#tagger-output[data-tags]');
    expect(JSON.parse((await page.getAttribute('#tagger-output', 'data-tags'))!)).toEqual(expected);
  }
  expect(await page.locator('#tagger-output .tagged.unknown .word').allTextContents()).toEqual(['Flurbish']);
  await shot('tagger');
}, 60_000);

test('G2P: several words at once, the n-best equal the Node SDK beam search', async () => {
  const g2p = new Transducer(loadModelFile(join(models, 'g2p-cmudict-small.onnx')));
  const words = ['intrnn', 'integer', 'quantization', 'Sari'];
  await fill({ 'g2p-words': words.join(' '), 'g2p-beam': '4', 'g2p-nbest': '2' });
  await page.click('#g2p-run');
  await page.waitForSelector('#g2p-output tr[data-phonemes]');
  const rows = page.locator('#g2p-output tr');
  expect(await rows.count()).toBe(words.length);
  for (let i = 0; i < words.length; i++) {
    const expected = g2p
      .pronounceAll(words[i], { beam: 4 })
      .slice(0, 2)
      .map((p) => p.phonemes);
    expect(JSON.parse((await rows.nth(i).getAttribute('data-phonemes'))!)).toEqual(expected);
  }
  await shot('g2p');
}, 60_000);

test('bad inputs get their typed message and leave the page working', async () => {
  await fill({ 'lm-prompt': '   ' });
  await page.click('#lm-run');
  await page.waitForSelector('#lm-error[data-code="ERR_INPUT"]');
  expect(await page.textContent('#lm-error')).toContain('prompt');
  await fill({ 'lm-prompt': Array(65).fill('the').join(' ') });
  await page.click('#lm-run');
  await page.waitForFunction(() => document.getElementById('lm-error')!.textContent!.includes('at most 64'));
  await fill({ 'lm-prompt': 'the', 'lm-tokens': '0' });
  await page.click('#lm-run');
  await page.waitForFunction(() => document.getElementById('lm-error')!.textContent!.includes('tokens'));
  await fill({ 'lm-tokens': '16' });

  await fill({ 'tagger-sentence': '' });
  await page.click('#tagger-run');
  await page.waitForSelector('#tagger-error[data-code="ERR_INPUT"]');

  // One word with characters outside the model's letters gets its own error; the others are pronounced.
  await fill({ 'g2p-words': 'hello w0rld', 'g2p-beam': '4', 'g2p-nbest': '1' });
  await page.click('#g2p-run');
  await page.waitForSelector('#g2p-output tr[data-word="w0rld"][data-error="ERR_TOKEN"]');
  expect(await page.getAttribute('#g2p-output tr[data-word="hello"]', 'data-phonemes')).not.toBeNull();
  expect(await page.textContent('#g2p-output tr[data-word="w0rld"]')).toContain("'0'");
  await fill({ 'g2p-words': 'a'.repeat(49) });
  await page.click('#g2p-run');
  await page.waitForSelector('#g2p-output tr[data-error="ERR_SHAPE"]');
}, 60_000);

test('a bad model file is refused with a message; the view keeps its model', async () => {
  await page.setInputFiles('#tagger-file', { name: 'broken.onnx', mimeType: 'application/octet-stream', buffer: Buffer.from('this is not an onnx file at all') });
  await page.waitForFunction(() => document.getElementById('tagger-error')!.textContent!.includes('broken.onnx') || document.getElementById('tagger-error')!.dataset.code !== undefined);
  expect(await page.getAttribute('#tagger-error', 'data-code')).toMatch(/^ERR_/);
  // A valid file of another task is refused too.
  await page.setInputFiles('#tagger-file', join(models, 'g2p-cmudict-small.onnx'));
  await page.waitForSelector('#tagger-error[data-code="ERR_TASK"]');
  expect(await page.textContent('#tagger-model')).toContain('pos-brown-medium.onnx');
  await fill({ 'tagger-sentence': 'The old man walked slowly to the river .' });
  await page.evaluate(() => document.getElementById('tagger-output')!.removeAttribute('data-tags'));
  await page.click('#tagger-run');
  await page.waitForSelector('#tagger-output[data-tags]');
  expect(await page.textContent('#tagger-error')).toBe('');
}, 60_000);

test('with the wasm kernels turned off (?kernels=core) runtime-core serves, and the answers are the same', async () => {
  const core = await browser.newPage();
  core.on('pageerror', (e) => pageErrors.push(e.message));
  try {
    await core.goto(`${appUrl}?kernels=core`);
    for (const slot of ['lm', 'tagger', 'g2p']) {
      await core.waitForSelector(`#${slot}-model[data-bytes]`, { timeout: 60_000 });
      expect(await core.getAttribute(`#${slot}-model`, 'data-kernels')).toBe('core');
    }
    const lm = new LanguageModel(loadModelFile(join(models, 'lm-brown-small.onnx')));
    const expected = lm.generate('The jury said', { tokens: 12, temperature: 0.7, seed: 7 });
    for (const [id, v] of Object.entries({ 'lm-prompt': 'The jury said', 'lm-tokens': '12', 'lm-temperature': '0.7', 'lm-seed': '7' })) await core.fill(`#${id}`, v);
    await core.click('#lm-run');
    await core.waitForSelector('#lm-output[data-state="done"][data-tokens]');
    expect(JSON.parse((await core.getAttribute('#lm-output', 'data-tokens'))!)).toEqual(expected);
    const sentence = 'Flurbish committees said the plans were rejected by voters .';
    const tags = new Tagger(loadModelFile(join(models, 'pos-brown-medium.onnx'))).tag(sentence.split(' ')).map((t) => t.tag);
    await core.fill('#tagger-sentence', sentence);
    await core.click('#tagger-run');
    await core.waitForSelector('#tagger-output[data-tags]');
    expect(JSON.parse((await core.getAttribute('#tagger-output', 'data-tags'))!)).toEqual(tags);
    const g2p = new Transducer(loadModelFile(join(models, 'g2p-cmudict-small.onnx')));
    await core.fill('#g2p-words', 'quantization');
    await core.fill('#g2p-beam', '4');
    await core.fill('#g2p-nbest', '1');
    await core.click('#g2p-run');
    await core.waitForSelector('#g2p-output tr[data-phonemes]');
    expect(JSON.parse((await core.getAttribute('#g2p-output tr', 'data-phonemes'))!)).toEqual([g2p.pronounceAll('quantization', { beam: 4 })[0].phonemes]);
  } finally {
    await core.close();
  }
}, 120_000);

test('PWL view: one chart pair per table of the model, drawn', async () => {
  for (const [slot, file] of [
    ['g2p', 'g2p-cmudict-small.onnx'],
    ['lm', 'lm-brown-small.onnx'],
  ]) {
    const tables = Object.keys(loadModelFile(join(models, file)).metadata.pwlTables);
    await page.selectOption('#pwl-slot', slot);
    await page.click('#pwl-run');
    await page.waitForFunction((n) => document.querySelectorAll('#pwl-charts figure').length === n, tables.length);
    expect(await page.locator('#pwl-charts figure').evaluateAll((f) => f.map((x) => (x as HTMLElement).dataset.table))).toEqual(tables);
    expect(await page.locator('#pwl-charts figure canvas').count()).toBe(2 * tables.length);
    if (slot === 'g2p') {
      await shot('pwl');
      await shot('pwl-first', '#pwl-charts figure >> nth=0');
    }
  }
}, 60_000);

test('a shipped model that cannot be fetched: its view says so, the other views work', async () => {
  const p = await browser.newPage();
  const errors: string[] = [];
  p.on('pageerror', (e) => errors.push(e.message));
  await p.route(/lm-brown-small.*\.onnx$/, (route) => route.fulfill({ status: 404, body: 'gone' }));
  await p.goto(appUrl);
  await p.waitForSelector('#lm-error[data-code="ERR_MODEL_FILE"]', { timeout: 60_000 });
  expect(await p.textContent('#lm-error')).toContain('HTTP 404');
  expect(await p.textContent('#lm-model')).toBe('no model');
  expect(await p.isDisabled('#lm-run')).toBe(true);
  await p.waitForSelector('#tagger-model[data-bytes]', { timeout: 60_000 });
  await p.click('#tagger-run');
  await p.waitForSelector('#tagger-output[data-tags]');
  expect(errors).toEqual([]);
  await p.close();
}, 90_000);
