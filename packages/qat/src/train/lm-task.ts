import { IntrnnError } from '@intrnn/format';
import { loadBrownLm, type BrownLmData } from '../data/lm-brown.js';
import { crossEntropy, LstmLanguageModel, type LmConfig, type LmQatConstants, type LmState } from '../models/language-model.js';
import { mm } from '../qat/fast-ops.js';
import { tf, useWasmBackend } from '../qat/tf-backend.js';
import { hasCheckpoint, loadCheckpoint, saveCheckpoint, type LoadedCheckpoint } from './checkpoint.js';
import { CandidateSampler } from './sampled-softmax.js';

/** Training hyper-parameters of a preset. */
export interface LmTrainSettings {
  batch: number;
  steps: number;
  /** Truncated back-propagation length. */
  bptt: number;
  learningRate: number;
  clipNorm: number;
  /** Vocabulary: the K most frequent training words. */
  vocabSize: number;
  /** QAT fine-tuning: steps and learning rate, and how many batches calibrate the ranges. */
  qatSteps: number;
  qatLearningRate: number;
  calibrationBatches: number;
  /** Validation after training reads at most this many tokens of the split (0: all). */
  evalTokens: number;
  /** Float pretraining with a sampled softmax of this many sampled words per step (0: full softmax). */
  sampledSoftmax: number;
  /** Dropout rate of float pretraining (seeded per step; QAT fine-tuning uses none). */
  dropout: number;
}

/** Presets of the Brown language model: `tiny` for tests (seconds), `small` for the shipped model. */
export const LM_PRESETS: Record<string, { model: Omit<LmConfig, 'vocabSize'>; train: LmTrainSettings }> = {
  tiny: {
    model: { embedSize: 32, hiddenSize: 32, layers: 2, seed: 1 },
    train: { batch: 8, steps: 40, bptt: 16, learningRate: 0.01, clipNorm: 5, vocabSize: 500, qatSteps: 16, qatLearningRate: 0.002, calibrationBatches: 2, evalTokens: 8192, sampledSoftmax: 0, dropout: 0 },
  },
  small: {
    model: { embedSize: 256, hiddenSize: 256, layers: 2, seed: 1 },
    train: { batch: 32, steps: 3000, bptt: 35, learningRate: 0.002, clipNorm: 5, vocabSize: 10000, qatSteps: 600, qatLearningRate: 0.0005, calibrationBatches: 8, evalTokens: 0, sampledSoftmax: 1024, dropout: 0.3 },
  },
  full: {
    model: { embedSize: 512, hiddenSize: 512, layers: 2, seed: 1 },
    train: { batch: 32, steps: 12000, bptt: 35, learningRate: 0.002, clipNorm: 5, vocabSize: 16000, qatSteps: 3000, qatLearningRate: 0.0003, calibrationBatches: 8, evalTokens: 0, sampledSoftmax: 2048, dropout: 0.4 },
  },
};

/** A progress event: enough to draw a bar with rate and ETA, or print a plain line. */
export interface TrainProgress {
  phase: 'train' | 'qat' | 'calibrate' | 'eval' | 'checkpoint';
  step: number;
  totalSteps: number;
  loss?: number;
  tokensPerSecond?: number;
}

export interface LmTrainOptions {
  preset: string;
  outDir: string;
  /** Fine-tune with QAT from this float checkpoint directory. */
  qatFrom?: string;
  /** Continue the checkpoint in outDir. */
  resume?: boolean;
  /** Override the preset's step count (tests, quick runs). */
  steps?: number;
  /** Seconds between checkpoints (default 300). */
  checkpointEverySeconds?: number;
  /** Stop (with a checkpoint) after this many steps in this run: used to test resuming. */
  stopAfter?: number;
  /** Measure validation perplexity at the end (default true; benchmarks skip it). */
  validate?: boolean;
  /** Override settings of the preset (benchmarks compare variants). */
  overrides?: Partial<LmTrainSettings>;
  onProgress?: (p: TrainProgress) => void;
}

export interface LmTrainSummary {
  task: 'lm-brown';
  preset: string;
  mode: 'float' | 'qat';
  initialLoss: number;
  finalLoss: number;
  steps: number;
  tokensPerSecond: number;
  seconds: number;
  /** Perplexity on the validation split (or its first `evalTokens` tokens for presets that say so). */
  validation: { perplexity: number; tokens: number } | null;
  dataFingerprint: string;
  outDir: string;
  finished: boolean;
}

function preset(name: string) {
  const p = LM_PRESETS[name];
  if (!p) throw new IntrnnError('ERR_OPTION', '--preset', `unknown preset '${name}' (one of ${Object.keys(LM_PRESETS).join(', ')})`);
  return p;
}

/**
 * B parallel streams over a split for truncated back-propagation: stream b covers a contiguous
 * slice, and window s of every stream forms batch s. Deterministic, so a step number is a position.
 */
export class StreamBatches {
  readonly streamLength: number;
  readonly windows: number;

  constructor(
    readonly ids: Int32Array,
    readonly batch: number,
    readonly bptt: number,
  ) {
    this.streamLength = Math.floor((ids.length - 1) / batch);
    this.windows = Math.floor((this.streamLength - 1) / bptt);
    if (this.windows < 1) throw new IntrnnError('ERR_DATA', 'split', `too short for batch ${batch} × bptt ${bptt}`);
  }

  /** Inputs and targets [B, T] (int32) of window s. */
  window(s: number): { inputs: tf.Tensor2D; targets: tf.Tensor2D } {
    const B = this.batch;
    const T = this.bptt;
    const inp = new Int32Array(B * T);
    const tgt = new Int32Array(B * T);
    for (let b = 0; b < B; b++) {
      const start = b * this.streamLength + s * T;
      inp.set(this.ids.subarray(start, start + T), b * T);
      tgt.set(this.ids.subarray(start + 1, start + T + 1), b * T);
    }
    return { inputs: tf.tensor2d(inp, [B, T], 'int32'), targets: tf.tensor2d(tgt, [B, T], 'int32') };
  }
}

function zeroState(model: LstmLanguageModel, batch: number): LmState {
  const H = model.config.hiddenSize;
  return { h: model.lstms.map(() => tf.zeros([batch, H])), c: model.lstms.map(() => tf.zeros([batch, H])) };
}

function stateTensors(s: LmState): { name: string; tensor: tf.Tensor }[] {
  return [...s.h.map((t, l) => ({ name: `state/h${l}`, tensor: t })), ...s.c.map((t, l) => ({ name: `state/c${l}`, tensor: t }))];
}

function stateFrom(saved: { name: string; tensor: tf.Tensor }[], layers: number): LmState {
  const get = (n: string) => saved.find((s) => s.name === n)!.tensor;
  return { h: Array.from({ length: layers }, (_, l) => get(`state/h${l}`)), c: Array.from({ length: layers }, (_, l) => get(`state/c${l}`)) };
}

/** Scale gradients so that their global L2 norm is at most `maxNorm`. */
function clipByGlobalNorm(grads: Record<string, tf.Tensor>, maxNorm: number): Record<string, tf.Tensor> {
  return tf.tidy(() => {
    const norm = tf.sqrt(tf.addN(Object.values(grads).map((g) => tf.sum(tf.square(g))))).dataSync()[0];
    const scale = norm > maxNorm ? maxNorm / norm : 1;
    const out: Record<string, tf.Tensor> = {};
    for (const [k, g] of Object.entries(grads)) out[k] = scale === 1 ? g.clone() : g.mul(scale);
    return out;
  });
}

function loadWeights(model: LstmLanguageModel, ckpt: LoadedCheckpoint): void {
  for (const { name, variable } of model.namedVariables()) {
    const t = ckpt.tensors.get(name);
    if (!t) throw new IntrnnError('ERR_CHECKPOINT', name, 'tensor missing from checkpoint');
    if (t.shape.join() !== variable.shape.join()) throw new IntrnnError('ERR_CHECKPOINT', name, `shape ${t.shape} does not match the model's ${variable.shape}`);
    variable.assign(t);
  }
}

/** Perplexity of the model on a split, streaming with state carried (float or integer QAT forward). */
export function evaluateLm(model: LstmLanguageModel, ids: Int32Array, opts: { batch?: number; bptt?: number; onProgress?: (p: TrainProgress) => void } = {}): { perplexity: number; tokens: number } {
  const stream = new StreamBatches(ids, opts.batch ?? 16, opts.bptt ?? 35);
  let state = zeroState(model, stream.batch);
  const k: LmQatConstants | null = model.quant ? model.qatConstants() : null;
  let nll = 0;
  let count = 0;
  for (let s = 0; s < stream.windows; s++) {
    const { inputs, targets } = stream.window(s);
    const [loss, next] = tf.tidy(() => {
      const r = k ? model.forwardQat(inputs, k, state) : model.forwardFloat(inputs, state);
      const l = crossEntropy(r.logits, targets);
      return [l, [...r.state.h, ...r.state.c].map((t) => tf.keep(t))] as const;
    });
    const n = inputs.size;
    nll += loss.dataSync()[0] * n;
    count += n;
    tf.dispose([loss, inputs, targets, ...state.h, ...state.c]);
    const L = model.lstms.length;
    state = { h: next.slice(0, L), c: next.slice(L) };
    opts.onProgress?.({ phase: 'eval', step: s + 1, totalSteps: stream.windows });
  }
  tf.dispose([...state.h, ...state.c]);
  if (k) model.disposeQatConstants(k);
  return { perplexity: Math.exp(nll / count), tokens: count };
}

/**
 * Train the Brown language model: float pretraining, or QAT fine-tuning from a float checkpoint
 * (`qatFrom`: calibrate ranges, build PWL tables by the knot search, train the integer forward).
 * Checkpoints every few minutes and at the end; `resume` continues exactly where it stopped.
 */
export async function trainLm(opts: LmTrainOptions): Promise<LmTrainSummary> {
  await useWasmBackend();
  const base = preset(opts.preset);
  const p = { model: base.model, train: { ...base.train, ...opts.overrides } };
  const mode: 'float' | 'qat' = opts.qatFrom ? 'qat' : 'float';
  const data: BrownLmData = loadBrownLm({ vocabSize: p.train.vocabSize });
  const model = new LstmLanguageModel({ ...p.model, vocabSize: data.vocab.size });
  const totalSteps = opts.steps ?? (mode === 'qat' ? p.train.qatSteps : p.train.steps);
  const lr = mode === 'qat' ? p.train.qatLearningRate : p.train.learningRate;
  const stream = new StreamBatches(data.train, p.train.batch, p.train.bptt);
  const sampler = mode === 'float' && p.train.sampledSoftmax > 0 ? new CandidateSampler(data.train, data.vocab.size, p.train.sampledSoftmax, p.model.seed) : null;
  const optimizer = tf.train.adam(lr);
  try {
    let step = 0;
    let history: { step: number; loss: number }[] = [];
    let initialLoss: number | null = null;
    let elapsedBefore = 0;
    let state = zeroState(model, p.train.batch);

    if (opts.resume) {
      if (!hasCheckpoint(opts.outDir)) throw new IntrnnError('ERR_FILE_MISSING', opts.outDir, 'no checkpoint to resume (train without --resume first)');
      const ck = loadCheckpoint(opts.outDir);
      if (ck.meta.dataFingerprint !== data.fingerprint) throw new IntrnnError('ERR_CHECKPOINT', opts.outDir, 'was trained on different data (fingerprint differs)');
      if (ck.meta.mode !== mode || ck.meta.preset !== opts.preset) throw new IntrnnError('ERR_CHECKPOINT', opts.outDir, `holds a ${ck.meta.mode} run of preset ${ck.meta.preset}, not ${mode} ${opts.preset}`);
      loadWeights(model, ck);
      if (ck.meta.quant) model.quant = ck.meta.quant;
      await optimizer.setWeights(ck.optimizer.map(({ name, tensor }) => ({ name: name === 'iter' ? name : `${model.prefix}${name}`, tensor })));
      tf.dispose([...ck.tensors.values(), ...ck.optimizer.map((o) => o.tensor)]); // copied into variables
      tf.dispose([...state.h, ...state.c]);
      state = stateFrom(ck.state, model.lstms.length);
      step = ck.meta.step;
      history = ck.meta.history;
      initialLoss = ck.meta.initialLoss;
      elapsedBefore = ck.meta.elapsedSeconds;
    } else if (opts.qatFrom) {
      const ck = loadCheckpoint(opts.qatFrom);
      if (ck.meta.mode !== 'float') throw new IntrnnError('ERR_CHECKPOINT', opts.qatFrom, 'is not a float checkpoint');
      if (ck.meta.dataFingerprint !== data.fingerprint) throw new IntrnnError('ERR_CHECKPOINT', opts.qatFrom, 'was trained on different data (fingerprint differs)');
      loadWeights(model, ck);
      tf.dispose([...ck.tensors.values(), ...ck.optimizer.map((o) => o.tensor), ...ck.state.map((t) => t.tensor)]);
      opts.onProgress?.({ phase: 'calibrate', step: 0, totalSteps: p.train.calibrationBatches });
      const batches = Array.from({ length: p.train.calibrationBatches }, (_, s) => stream.window(s % stream.windows));
      model.calibrate(batches.map((b) => b.inputs));
      tf.dispose(batches.flatMap((b) => [b.inputs, b.targets]));
    }

    const started = performance.now();
    const checkpointEvery = (opts.checkpointEverySeconds ?? 300) * 1000;
    let lastCheckpoint = performance.now();
    let k: LmQatConstants | undefined;
    let tokens = 0;
    let lastLoss = NaN;
    const runStart = step;
    const save = async () => {
      const opt = await optimizer.getWeights();
      saveCheckpoint(
        opts.outDir,
        {
          format: 'intrnn-qat-checkpoint',
          version: 1,
          task: 'lm-brown',
          preset: opts.preset,
          mode,
          config: { ...model.config },
          train: { ...p.train, steps: totalSteps },
          step,
          totalSteps,
          dataFingerprint: data.fingerprint,
          quant: model.quant,
          history,
          initialLoss,
          elapsedSeconds: elapsedBefore + (performance.now() - started) / 1000,
        },
        model.namedVariables().map(({ name, variable }) => ({ name, tensor: variable })),
        opt.map(({ name, tensor }) => ({ name: name.startsWith(model.prefix) ? name.slice(model.prefix.length) : name, tensor })),
        stateTensors(state),
      );
      opt[0]?.tensor.dispose(); // the iteration count is a fresh scalar; the moments are the optimizer's own variables
      opts.onProgress?.({ phase: 'checkpoint', step, totalSteps });
    };

    while (step < totalSteps) {
      const s = step % stream.windows;
      if (s === 0 && step > 0) {
        tf.dispose([...state.h, ...state.c]);
        state = zeroState(model, p.train.batch);
      }
      const { inputs, targets } = stream.window(s);
      if (mode === 'qat') k = model.qatConstants(k);
      let next: LmState | undefined;
      const sampled = sampler?.sample(step, targets.dataSync() as Int32Array);
      const { value, grads } = tf.variableGrads(() => {
        if (sampled) {
          const r = model.hiddenFloat(inputs, state, undefined, p.train.dropout, step + 1);
          next = { h: r.state.h.map((t) => tf.keep(t)), c: r.state.c.map((t) => tf.keep(t)) };
          return model.sampledLoss(r.hidden, targets, sampled);
        }
        if (mode === 'float') {
          const r = model.hiddenFloat(inputs, state, undefined, p.train.dropout, step + 1);
          next = { h: r.state.h.map((t) => tf.keep(t)), c: r.state.c.map((t) => tf.keep(t)) };
          return crossEntropy(mm(r.hidden, tf.transpose(model.outW)).add(model.outB), targets);
        }
        const r = model.forwardQat(inputs, k!, state);
        next = { h: r.state.h.map((t) => tf.keep(t)), c: r.state.c.map((t) => tf.keep(t)) };
        return crossEntropy(r.logits, targets);
      }, model.variables);
      if (sampled) tf.dispose([sampled.sampled, sampled.sampledLogQ, sampled.targetLogQ, sampled.hits]);
      const clipped = clipByGlobalNorm(grads, p.train.clipNorm);
      optimizer.applyGradients(clipped as Parameters<typeof optimizer.applyGradients>[0]);
      lastLoss = value.dataSync()[0];
      if (initialLoss === null) initialLoss = lastLoss;
      tf.dispose([value, inputs, targets, ...Object.values(grads), ...Object.values(clipped), ...state.h, ...state.c]);
      state = next!;
      step++;
      tokens += p.train.batch * p.train.bptt;
      history.push({ step, loss: lastLoss });
      if (history.length > 2000) history = history.filter((_, i) => i % 2 === 0);
      const seconds = (performance.now() - started) / 1000;
      opts.onProgress?.({ phase: mode === 'qat' ? 'qat' : 'train', step, totalSteps, loss: lastLoss, tokensPerSecond: tokens / seconds });
      if (performance.now() - lastCheckpoint > checkpointEvery) {
        await save();
        lastCheckpoint = performance.now();
      }
      if (opts.stopAfter !== undefined && step - runStart >= opts.stopAfter) break;
    }
    await save();
    if (k) model.disposeQatConstants(k);
    const seconds = (performance.now() - started) / 1000;
    const validIds = p.train.evalTokens > 0 ? data.valid.subarray(0, p.train.evalTokens) : data.valid;
    const validation = opts.validate === false ? null : evaluateLm(model, validIds, { onProgress: opts.onProgress });
    tf.dispose([...state.h, ...state.c]);
    return {
      task: 'lm-brown',
      preset: opts.preset,
      mode,
      initialLoss: initialLoss ?? NaN,
      finalLoss: lastLoss,
      steps: step,
      tokensPerSecond: tokens / seconds,
      seconds,
      validation,
      dataFingerprint: data.fingerprint,
      outDir: opts.outDir,
      finished: step >= totalSteps,
    };
  } finally {
    // also on errors: tfjs variable names are global, and memory is not collected
    model.dispose();
    optimizer.dispose();
  }
}

/** Load a checkpoint as a model (float, or QAT with its frozen quantization). */
export function loadLmCheckpoint(dir: string): { model: LstmLanguageModel; meta: LoadedCheckpoint['meta'] } {
  const ck = loadCheckpoint(dir);
  if (ck.meta.task !== 'lm-brown') throw new IntrnnError('ERR_CHECKPOINT', dir, `holds task ${ck.meta.task}, not lm-brown`);
  const c = ck.meta.config;
  const model = new LstmLanguageModel({ vocabSize: c.vocabSize, embedSize: c.embedSize, hiddenSize: c.hiddenSize, layers: c.layers, seed: c.seed });
  loadWeights(model, ck);
  model.quant = ck.meta.quant;
  tf.dispose([...ck.tensors.values(), ...ck.optimizer.map((o) => o.tensor), ...ck.state.map((s) => s.tensor)]);
  return { model, meta: ck.meta };
}

/** `eval-qat`: perplexity of a checkpoint on the validation or test split. */
export async function evalLmCheckpoint(dir: string, split: 'valid' | 'test', onProgress?: (p: TrainProgress) => void): Promise<{ task: 'lm-brown'; split: string; mode: string; perplexity: number; tokens: number }> {
  await useWasmBackend();
  const { model, meta } = loadLmCheckpoint(dir);
  const data = loadBrownLm({ vocabSize: meta.train.vocabSize });
  if (data.fingerprint !== meta.dataFingerprint) throw new IntrnnError('ERR_CHECKPOINT', dir, 'was trained on different data (fingerprint differs)');
  const r = evaluateLm(model, split === 'valid' ? data.valid : data.test, { onProgress });
  model.dispose();
  return { task: 'lm-brown', split, mode: meta.mode, ...r };
}
