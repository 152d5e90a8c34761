import { IntrnnError } from '@intrnn/format';
import { loadBrownLm, type BrownLmData } from '../data/lm-brown.js';
import { LstmLanguageModel, type LmConfig, type LmQatConstants, type LmState } from '../models/language-model.js';
import { requireQatExactness } from '../qat/exactness.js';
import { tf, useWasmBackend } from '../qat/tf-backend.js';
import { loadCheckpoint, type LoadedCheckpoint } from './checkpoint.js';
import { disposeCheckpoint, loadFloatStart, loadWeights, trainsGru, trainTask, trainingMode, weightBitsOf, type TaskTrainOptions, type TaskTrainSummary, type TrainProgress } from './trainer.js';

export type { TrainProgress } from './trainer.js';
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
  /** Float pretraining: cosine decay of the learning rate over this many steps, to lrFloor × the rate, then flat (0: constant). */
  lrDecaySteps?: number;
  lrFloor?: number;
}

/** The schedule of `small` and `small-gru`: one schedule, so the cells compare at equal training. */
const SMALL_TRAIN: LmTrainSettings = {
  batch: 32,
  steps: 1000,
  bptt: 35,
  learningRate: 0.002,
  clipNorm: 5,
  vocabSize: 10000,
  qatSteps: 200,
  qatLearningRate: 0.0005,
  calibrationBatches: 8,
  evalTokens: 0,
  sampledSoftmax: 0,
  dropout: 0.3,
};

/** The schedule of `medium` and `medium-gru`. */
const MEDIUM_TRAIN: LmTrainSettings = {
  batch: 32,
  steps: 14000,
  bptt: 35,
  learningRate: 0.002,
  clipNorm: 5,
  vocabSize: 10000,
  qatSteps: 1500,
  qatLearningRate: 0.0002,
  calibrationBatches: 8,
  evalTokens: 0,
  sampledSoftmax: 0,
  dropout: 0.5,
  lrDecaySteps: 14000,
  lrFloor: 0.1,
};

/** Presets of the Brown language model: `tiny` for tests (seconds), `small` for the shipped model. */
export const LM_PRESETS: Record<string, { model: Omit<LmConfig, 'vocabSize'>; train: LmTrainSettings }> = {
  tiny: {
    model: { embedSize: 32, hiddenSize: 32, layers: 2, seed: 1 },
    train: {
      batch: 8,
      steps: 40,
      bptt: 16,
      learningRate: 0.01,
      clipNorm: 5,
      vocabSize: 500,
      qatSteps: 16,
      qatLearningRate: 0.002,
      calibrationBatches: 2,
      evalTokens: 8192,
      sampledSoftmax: 0,
      dropout: 0,
    },
  },
  small: { model: { embedSize: 256, hiddenSize: 256, layers: 2, seed: 1 }, train: SMALL_TRAIN },
  // the shipped model: tied embeddings (one 10,000 × 512 int8 table), about 20 epochs of Brown
  medium: { model: { embedSize: 512, hiddenSize: 512, layers: 2, seed: 1, tied: 1 }, train: MEDIUM_TRAIN },
  // GRU cells at the parameter count of `small` (6,182,264 against 6,180,624): embedding and hidden 266
  'small-gru': { model: { embedSize: 266, hiddenSize: 266, layers: 2, seed: 1, gru: 1 }, train: SMALL_TRAIN },
  // GRU cells at the parameter count of `medium` (9,333,064 against 9,328,400): tied, 558
  'medium-gru': { model: { embedSize: 558, hiddenSize: 558, layers: 2, seed: 1, tied: 1, gru: 1 }, train: MEDIUM_TRAIN },
  full: {
    model: { embedSize: 512, hiddenSize: 512, layers: 2, seed: 1 },
    train: {
      batch: 32,
      steps: 12000,
      bptt: 35,
      learningRate: 0.002,
      clipNorm: 5,
      vocabSize: 16000,
      qatSteps: 3000,
      qatLearningRate: 0.0003,
      calibrationBatches: 8,
      evalTokens: 0,
      sampledSoftmax: 2048,
      dropout: 0.4,
    },
  },
};

export interface LmTrainOptions extends TaskTrainOptions {
  /** Override settings of the preset (benchmarks compare variants). */
  overrides?: Partial<LmTrainSettings>;
}

/** Perplexity on the validation split (or its first `evalTokens` tokens for presets that say so). */
export type LmTrainSummary = TaskTrainSummary<'lm-brown', { perplexity: number; tokens: number }>;

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
  // a GRU layer has no cell state: its c is empty
  return { h: model.recurrent.map(() => tf.zeros([batch, H])), c: model.recurrent.map(() => tf.zeros([batch, model.gru ? 0 : H])) };
}

function stateTensors(s: LmState): { name: string; tensor: tf.Tensor }[] {
  return [...s.h.map((t, l) => ({ name: `state/h${l}`, tensor: t })), ...s.c.map((t, l) => ({ name: `state/c${l}`, tensor: t }))];
}

function stateFrom(saved: { name: string; tensor: tf.Tensor }[], layers: number): LmState {
  const get = (n: string) => saved.find((s) => s.name === n)!.tensor;
  return { h: Array.from({ length: layers }, (_, l) => get(`state/h${l}`)), c: Array.from({ length: layers }, (_, l) => get(`state/c${l}`)) };
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
      const r = k ? model.hiddenQat(inputs, k, state) : model.hiddenFloat(inputs, state);
      return [model.outputLoss(r.hidden, targets, k ?? undefined, true), [...r.state.h, ...r.state.c].map((t) => tf.keep(t))] as const;
    });
    const n = inputs.size;
    nll += loss * n;
    count += n;
    tf.dispose([inputs, targets, ...state.h, ...state.c]);
    const L = model.recurrent.length;
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
  const mode = trainingMode(opts);
  const data: BrownLmData = loadBrownLm({ vocabSize: p.train.vocabSize });
  // the preset's cell unless --cell says otherwise; only a GRU run records the cell in its config, so LSTM checkpoints keep the config they had
  const gru = trainsGru(opts, !!p.model.gru);
  // int4 weights are a QAT choice: the run's config records them; the float start it loads has none
  const weightBits = weightBitsOf(opts, mode);
  const model = new LstmLanguageModel({ ...p.model, vocabSize: data.vocab.size, ...(gru ? { gru: 1 } : {}), ...(weightBits === 4 ? { weightBits } : {}) });
  // a fresh float start begins at the unigram model; a resume or a QAT start loads its weights over it
  if (mode === 'float') model.initOutputBiasFromCounts(data.train);
  const stream = new StreamBatches(data.train, p.train.batch, p.train.bptt);
  const sampler = mode === 'float' && p.train.sampledSoftmax > 0 ? new CandidateSampler(data.train, data.vocab.size, p.train.sampledSoftmax, p.model.seed) : null;
  let state = zeroState(model, p.train.batch);
  let next: LmState | undefined;
  let k: LmQatConstants | undefined;
  let batch: { inputs: tf.Tensor2D; targets: tf.Tensor2D } | undefined;

  if (opts.qatFrom && !opts.resume) {
    try {
      const { weightBits: _qatOnly, ...floatConfig } = model.config;
      loadFloatStart(model, opts.qatFrom, 'lm-brown', data.fingerprint, floatConfig);
    } catch (e) {
      tf.dispose([...state.h, ...state.c]);
      throw e;
    }
    opts.onProgress?.({ phase: 'calibrate', step: 0, totalSteps: p.train.calibrationBatches });
    const batches = Array.from({ length: p.train.calibrationBatches }, (_, s) => stream.window(s % stream.windows));
    model.calibrate(batches.map((b) => b.inputs));
    tf.dispose(batches.flatMap((b) => [b.inputs, b.targets]));
  }

  return trainTask<'lm-brown', NonNullable<LmTrainSummary['validation']>>(
    'lm-brown',
    opts,
    { model, config: { ...model.config }, settings: { ...p.train }, dataFingerprint: data.fingerprint },
    {
      begin: () => {
        if (mode === 'qat') {
          k = model.qatConstants();
          requireQatExactness(model.exportIntegers(k), 'lm-brown');
        }
      },
      loss: (step) => {
        const s = step % stream.windows;
        if (s === 0 && step > 0) {
          tf.dispose([...state.h, ...state.c]);
          state = zeroState(model, p.train.batch);
        }
        batch = stream.window(s);
        const { inputs, targets } = batch;
        const keep = (st: LmState) => ({ h: st.h.map((t) => tf.keep(t)), c: st.c.map((t) => tf.keep(t)) });
        if (mode === 'qat') {
          const q = model.hiddenQat(inputs, k!, state);
          next = keep(q.state);
          return model.outputLoss(q.hidden, targets, k);
        }
        const f = model.hiddenFloat(inputs, state, undefined, p.train.dropout, step + 1);
        next = keep(f.state);
        if (sampler) {
          return model.sampledLoss(f.hidden, targets, sampler.sample(step, targets.dataSync() as Int32Array));
        }
        return model.outputLoss(f.hidden, targets);
      },
      tokens: () => p.train.batch * p.train.bptt,
      commit: () => {
        tf.dispose([...state.h, ...state.c, batch!.inputs, batch!.targets]);
        state = next!;
        if (mode === 'qat') k = model.qatConstants(k);
      },
      state: () => stateTensors(state),
      restoreState: (saved) => {
        tf.dispose([...state.h, ...state.c]);
        state = stateFrom(saved, model.recurrent.length);
      },
      evaluate: (onProgress) => {
        const validIds = p.train.evalTokens > 0 ? data.valid.subarray(0, p.train.evalTokens) : data.valid;
        const v = evaluateLm(model, validIds, { onProgress });
        return { perplexity: v.perplexity, tokens: v.tokens };
      },
      dispose: () => {
        tf.dispose([...state.h, ...state.c]);
        if (k) model.disposeQatConstants(k);
      },
    },
  );
}

/** Load a checkpoint as a model (float, or QAT with its frozen quantization). */
export function loadLmCheckpoint(dir: string): { model: LstmLanguageModel; meta: LoadedCheckpoint['meta'] } {
  const ck = loadCheckpoint(dir);
  if (ck.meta.task !== 'lm-brown') throw new IntrnnError('ERR_CHECKPOINT', dir, `holds task ${ck.meta.task}, not lm-brown`);
  const c = ck.meta.config;
  const model = new LstmLanguageModel({
    vocabSize: c.vocabSize,
    embedSize: c.embedSize,
    hiddenSize: c.hiddenSize,
    layers: c.layers,
    seed: c.seed,
    tied: c.tied ?? 0,
    gru: c.gru ?? 0,
    ...(c.weightBits ? { weightBits: c.weightBits } : {}),
  });
  loadWeights(model, ck);
  model.quant = ck.meta.quant;
  disposeCheckpoint(ck);
  return { model, meta: ck.meta };
}

/** `eval-qat`: perplexity of a checkpoint on the validation or test split. */
export async function evalLmCheckpoint(
  dir: string,
  split: 'valid' | 'test',
  onProgress?: (p: TrainProgress) => void,
): Promise<{ task: 'lm-brown'; split: string; mode: string; perplexity: number; tokens: number }> {
  await useWasmBackend();
  const { model, meta } = loadLmCheckpoint(dir);
  const data = loadBrownLm({ vocabSize: meta.train.vocabSize });
  if (data.fingerprint !== meta.dataFingerprint) throw new IntrnnError('ERR_CHECKPOINT', dir, 'was trained on different data (fingerprint differs)');
  const r = evaluateLm(model, split === 'valid' ? data.valid : data.test, { onProgress });
  model.dispose();
  return { task: 'lm-brown', split, mode: meta.mode, ...r };
}
