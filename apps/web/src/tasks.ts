/**
 * What the worker does, free of any DOM or worker API so it runs (and is tested) in Node too:
 * holds one model per slot and serves the four views through the runtime-core SDK.
 */
import { IntrnnError, isIntrnnError, modelKind, type ModelKind } from '@intrnn/format';
import { LanguageModel, Tagger, Transducer, loadModel, compilePwl, modelPwlTables, type IntrnnModel } from '@intrnn/runtime-core';
import { registerWasmKernels } from '@intrnn/runtime-wasm';
import { LIMITS, type ErrorInfo, type GenerateResult, type ModelInfo, type PronounceResult, type PwlCurve, type Slot, type TagResult } from './protocol.js';

/** The kind of model each view serves (any model of that kind, whatever its dataset). */
const KIND_OF_SLOT: Record<Slot, ModelKind> = { lm: 'language-model', tagger: 'tagger', g2p: 'transducer' };
const PLOT_SAMPLES = 800;

/** Any thrown value as the page shows it. Errors that are not IntrnnErrors are bugs: say so. */
export function errorInfo(e: unknown): ErrorInfo {
  if (isIntrnnError(e)) return { code: e.code, where: e.where, message: e.message };
  return { code: 'ERR_INTERNAL', where: 'runtime', message: e instanceof Error ? e.message : String(e) };
}

/** Split user text into words on whitespace (G2P words; sentences and prompts go through the SDK's tokenize). */
export function words(text: string): string[] {
  return text.split(/\s+/).filter((w) => w.length > 0);
}

function checkInteger(value: number, where: string, lo: number, hi: number): void {
  if (!(Number.isInteger(value) && value >= lo && value <= hi)) throw new IntrnnError('ERR_OPTION', where, `${value} is not an integer in [${lo}, ${hi}]`);
}

interface Loaded {
  info: ModelInfo;
  model: IntrnnModel;
  /** Model calls so far (per-token latency of beam search is per call). */
  calls: number;
}

export class WebRuntime {
  private readonly slots = new Map<Slot, Loaded>();
  private kernels: ModelInfo['kernels'] = { backend: 'core', reason: 'runtime-core (wasm kernels not requested)' };

  /**
   * Choose the kernels before the first load: `wasm` registers runtime-wasm's (runtime-core serves
   * if they cannot load, and the reason is shown); `core` keeps runtime-core's TypeScript kernels.
   */
  async useKernels(want: 'wasm' | 'core'): Promise<ModelInfo['kernels']> {
    if (want === 'core') this.kernels = { backend: 'core', reason: 'runtime-core (wasm kernels turned off)' };
    else {
      const r = await registerWasmKernels();
      this.kernels = r.ok ? { backend: 'wasm', reason: r.reason } : { backend: 'core', reason: `runtime-core: ${r.reason}` };
    }
    return this.kernels;
  }
  private lmSdk?: LanguageModel;
  /** The language model's vocabulary as a set, to name the prompt words it does not know. */
  private lmWords = new Set<string>();
  private taggerSdk?: Tagger;
  private g2pSdk?: Transducer;

  /** Load model bytes into a slot; the file must serve that slot's task. The slot keeps its old model on error. */
  load(slot: Slot, name: string, bytes: Uint8Array): ModelInfo {
    const t0 = performance.now();
    if (bytes.length === 0) throw new IntrnnError('ERR_MODEL_FILE', name, 'is empty');
    // runtime-core alone unless the wasm kernels are in use (registered kernels serve every later load)
    // a language model streams (each run's state feeds the next, logits are read at once): recycled
    // outputs spare an allocation per token, which costs tens of µs in a browser; the transducer's beam
    // search holds several runs' logits and keeps fresh ones
    const outputs = slot === 'lm' ? 'recycled' : 'fresh';
    const model = loadModel(bytes, this.kernels.backend === 'wasm' ? { outputs } : { backends: ['core', 'reference'], outputs });
    const task = model.metadata.task;
    const kind = modelKind(model.metadata);
    if (kind !== KIND_OF_SLOT[slot]) throw new IntrnnError('ERR_TASK', name, `is a ${kind} (task ${task}); this view needs a ${KIND_OF_SLOT[slot]}`);
    const sdk = slot === 'lm' ? new LanguageModel(model) : slot === 'tagger' ? new Tagger(model) : new Transducer(model);
    let parameters = 0;
    for (const t of model.initializers.values()) parameters += t.data.length;
    const m = model.metadata;
    const info: ModelInfo = {
      slot,
      name,
      task,
      bytes: bytes.length,
      parameters,
      inputVocabulary: m.vocabularies.input.length,
      outputVocabulary: (m.vocabularies.output ?? m.vocabularies.input).length,
      pwlTables: Object.keys(m.pwlTables),
      loadMs: 0,
      kernels: this.kernels,
    };
    const loaded: Loaded = { info, model, calls: 0 };
    // Count model calls for the per-token latency of beam search (one call = one decoder step of one hypothesis).
    const run = model.run.bind(model);
    model.run = (feeds) => {
      loaded.calls++;
      return run(feeds);
    };
    this.slots.set(slot, loaded);
    if (sdk instanceof LanguageModel) {
      this.lmSdk = sdk;
      this.lmWords = new Set(sdk.vocabulary);
    } else if (sdk instanceof Tagger) this.taggerSdk = sdk;
    else this.g2pSdk = sdk;
    info.loadMs = performance.now() - t0;
    return info;
  }

  private need<T>(sdk: T | undefined, slot: Slot): T {
    if (!sdk) throw new IntrnnError('ERR_MODEL_MISSING', slot, 'no model is loaded for this view');
    return sdk;
  }

  /** Continue a prompt; `onToken` sees each token as it is produced. */
  generate(prompt: string, tokens: number, temperature: number, seed: number, onToken: (token: string, index: number) => void): GenerateResult {
    const lm = this.need(this.lmSdk, 'lm');
    const w = lm.tokenize(prompt);
    if (w.length === 0) throw new IntrnnError('ERR_INPUT', 'prompt', 'is empty: type a few words to continue');
    if (w.length > LIMITS.promptWords) throw new IntrnnError('ERR_INPUT', 'prompt', `has ${w.length} words; at most ${LIMITS.promptWords}`);
    checkInteger(tokens, 'tokens', 1, LIMITS.generateTokens);
    checkInteger(seed, 'seed', 0, 2 ** 31 - 1);
    let n = 0;
    const t0 = performance.now();
    const out = lm.generate(w.join(' '), { tokens, temperature, seed, onToken: (t) => onToken(t, n++) });
    // Per token: the prompt is fed once, then one call per produced token.
    const us = ((performance.now() - t0) * 1000) / (w.length + tokens - 1);
    return { prompt: w.join(' '), unknownWords: w.filter((x) => !this.lmWords.has(x)), tokens: out, usPerToken: us };
  }

  tag(sentence: string): TagResult {
    const tagger = this.need(this.taggerSdk, 'tagger');
    const w = tagger.tokenize(sentence);
    if (w.length === 0) throw new IntrnnError('ERR_INPUT', 'sentence', 'is empty: type a sentence');
    if (w.length > LIMITS.sentenceWords) throw new IntrnnError('ERR_INPUT', 'sentence', `has ${w.length} words; at most ${LIMITS.sentenceWords}`);
    const t0 = performance.now();
    const tagged = tagger.tag(w);
    return { words: tagged, usPerToken: ((performance.now() - t0) * 1000) / w.length };
  }

  /** Pronounce several words; a word the model cannot take gets its own error, the others still run. */
  pronounce(text: string, beam: number, nbest: number): PronounceResult {
    const g2p = this.need(this.g2pSdk, 'g2p');
    const list = words(text.replace(/,/g, ' '));
    if (list.length === 0) throw new IntrnnError('ERR_INPUT', 'words', 'is empty: type one or more words');
    if (list.length > LIMITS.words) throw new IntrnnError('ERR_INPUT', 'words', `has ${list.length} words; at most ${LIMITS.words}`);
    checkInteger(beam, 'beam', 1, LIMITS.beam);
    checkInteger(nbest, 'n-best', 1, beam);
    const loaded = this.slots.get('g2p')!;
    const calls0 = loaded.calls;
    const t0 = performance.now();
    const out = list.map((word) => {
      try {
        const all = g2p.pronounceAll(word, { beam });
        return { word, candidates: all.slice(0, nbest).map((p) => ({ phonemes: p.phonemes, logProb: p.logProb })) };
      } catch (e) {
        if (!isIntrnnError(e)) throw e;
        return { word, error: errorInfo(e) };
      }
    });
    const calls = loaded.calls - calls0;
    return { words: out, usPerToken: calls > 0 ? ((performance.now() - t0) * 1000) / calls : 0 };
  }

  /** Every PWL table of a slot's model: the true function, the integer PWL, its knots and its error. */
  pwl(slot: Slot): PwlCurve[] {
    const loaded = this.slots.get(slot);
    if (!loaded) throw new IntrnnError('ERR_MODEL_MISSING', slot, 'no model is loaded for this view');
    return modelPwlTables(loaded.model).map(({ name, fn, table, scales }) => {
      const f = fn === 'sigmoid' ? (x: number) => 1 / (1 + Math.exp(-x)) : fn === 'exp' ? Math.exp : Math.tanh;
      const evalQ = compilePwl(table);
      const { inMin, inMax, inScale, outScale } = scales;
      const n = inMax - inMin + 1;
      const bucket = Math.max(1, Math.ceil(n / PLOT_SAMPLES));
      const curve: PwlCurve = { name, fn, knots: table.knots.length, inMin, inMax, x: [], exact: [], pwl: [], errorLsb: [], knotX: [], knotY: [], maxErrorLsb: 0, outScale };
      for (let start = inMin; start <= inMax; start += bucket) {
        let worst = 0;
        for (let q = start; q < Math.min(start + bucket, inMax + 1); q++) {
          const err = evalQ(q) - f(q * inScale) / outScale;
          if (Math.abs(err) > Math.abs(worst)) worst = err;
        }
        curve.x.push(start * inScale);
        curve.exact.push(f(start * inScale));
        curve.pwl.push(evalQ(start) * outScale);
        curve.errorLsb.push(worst);
        curve.maxErrorLsb = Math.max(curve.maxErrorLsb, Math.abs(worst));
      }
      const mirrored = table.symmetry === 'none' ? [] : table.knots.filter((k) => k > 0).map((k) => -k);
      for (const k of [...mirrored.reverse(), ...table.knots]) {
        if (k < inMin || k > inMax) continue;
        curve.knotX.push(k * inScale);
        curve.knotY.push(evalQ(k) * outScale);
      }
      return curve;
    });
  }
}
