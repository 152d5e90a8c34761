import { existsSync, statSync } from 'node:fs';
import { IntrnnError } from '@intrnn/format';
import type { LmQuantState } from '../models/language-model.js';
import { setTrainingThreads, trainingBackend } from '../qat/native-ops.js';
import { tf } from '../qat/tf-backend.js';
import { hasCheckpoint, loadCheckpoint, saveCheckpoint, type LoadedCheckpoint } from './checkpoint.js';

type Named = { name: string; tensor: tf.Tensor };

/** A progress event: enough to draw a bar with rate and ETA, or print a plain line. */
export interface TrainProgress {
  phase: 'train' | 'qat' | 'calibrate' | 'eval' | 'checkpoint';
  step: number;
  totalSteps: number;
  loss?: number;
  tokensPerSecond?: number;
}

/** What a model must offer the trainer. */
export interface TrainableModel {
  /** Prefix of the model's tf variable names (tfjs names are global to a process). */
  readonly prefix: string;
  quant: LmQuantState | null;
  namedVariables(): { name: string; variable: tf.Variable }[];
  dispose(): void;
}

/** The task-specific half of a training run; the trainer owns the loop, optimizer and checkpoints. */
export interface TrainTask {
  task: string;
  preset: string;
  mode: 'float' | 'qat';
  model: TrainableModel;
  config: Record<string, number>;
  settings: Record<string, number>;
  dataFingerprint: string;
  totalSteps: number;
  learningRate: number;
  /** The learning rate of a step (default: `learningRate` throughout); a function of the step alone, so resuming is exact. */
  learningRateAt?: (step: number) => number;
  clipNorm: number;
  /** Called once the model is ready (restored on resume), before the first step. */
  begin(): void;
  /** Loss of `step`, computed inside the gradient tape. */
  loss(step: number): tf.Scalar;
  /** Tokens the step trained on (for tokens/s), known after loss(). */
  tokens(step: number): number;
  /** Called after the optimizer update (swap recurrent state, free the batch). */
  commit(step: number): void;
  /** Recurrent state carried between steps, for checkpoints (empty if none). */
  state(): Named[];
  restoreState(saved: Named[]): void;
  /** Validation figures at the end. */
  evaluate(onProgress?: (p: TrainProgress) => void): Record<string, number>;
  /** Free task-owned tensors (not the model). */
  dispose(): void;
}

/** Float pretraining, or QAT fine-tuning when the options name a float checkpoint to start from. */
export function trainingMode(opts: { qatFrom?: string }): 'float' | 'qat' {
  return opts.qatFrom ? 'qat' : 'float';
}

/** The options every task's train function takes. */
export interface TaskTrainOptions {
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
  /** Measure the validation metric at the end (default true; benchmarks skip it). */
  validate?: boolean;
  /** Threads of the native training kernels (default: the machine's cores); results do not depend on it. */
  workers?: number;
  /** The recurrent cell (default: the preset's); `gru`: language models and taggers in this release. */
  cell?: 'lstm' | 'gru';
  /** Width of the recurrent layers' integer weights in QAT (default 8); 4: language models only in this release. */
  weightBits?: number;
  onProgress?: (p: TrainProgress) => void;
}

/** Refuse a checkpoint whose model configuration differs from the run's (a GRU checkpoint for an LSTM run, another size). */
export function requireSameConfig(saved: Record<string, number>, wanted: Record<string, number>, dir: string): void {
  // a field a config leaves out has its default: 0 (off), and 8 for the weight width
  const value = (c: Record<string, number>, k: string) => c[k] ?? (k === 'weightBits' ? 8 : 0);
  const keys = [...new Set([...Object.keys(saved), ...Object.keys(wanted)])].filter((k) => value(saved, k) !== value(wanted, k));
  if (keys.length) {
    const show = (c: Record<string, number>) => keys.map((k) => `${k} ${value(c, k)}`).join(', ');
    throw new IntrnnError('ERR_CHECKPOINT', dir, `holds a model with ${show(saved)}; this run builds ${show(wanted)}`);
  }
}

/**
 * Whether a run trains GRU cells: --cell when given, else the preset's. --cell lstm on a GRU preset
 * is refused (a GRU preset's width is chosen for GRU cells).
 */
export function trainsGru(opts: Pick<TaskTrainOptions, 'cell' | 'preset'>, gruPreset: boolean): boolean {
  if (gruPreset && opts.cell === 'lstm') throw new IntrnnError('ERR_OPTION', '--cell', `preset ${opts.preset} is a GRU preset; drop --cell lstm or pick an LSTM preset`);
  return opts.cell === 'gru' || (opts.cell === undefined && gruPreset);
}

/** Refuse a cell or weight width the task does not train (GRU cells: language models and taggers; int4 weights: language models). */
export function requireLstmCell(opts: Pick<TaskTrainOptions, 'cell' | 'weightBits'>, task: string, cells: readonly ('lstm' | 'gru')[] = ['lstm']): void {
  if (opts.cell !== undefined && !cells.includes(opts.cell)) throw new IntrnnError('ERR_OPTION', '--cell', `${task} trains LSTM cells only in this release; GRU cells: --task lm-brown or pos-brown`);
  if (opts.weightBits !== undefined && opts.weightBits !== 8) throw new IntrnnError('ERR_OPTION', '--weight-bits', `${task} trains int8 weights only in this release; int4 weights: --task lm-brown`);
}

/**
 * The weight width of a run, checked: 8 (default) or 4, and 4 only for QAT fine-tuning (float
 * pretraining has no integer weights; the float checkpoint serves either width).
 */
export function weightBitsOf(opts: Pick<TaskTrainOptions, 'weightBits' | 'qatFrom' | 'resume'>, mode: 'float' | 'qat'): 4 | 8 {
  const bits = opts.weightBits ?? 8;
  if (bits !== 4 && bits !== 8) throw new IntrnnError('ERR_OPTION', '--weight-bits', `is ${bits}; weights are 4 or 8 bits`);
  if (bits === 4 && mode !== 'qat') throw new IntrnnError('ERR_OPTION', '--weight-bits', 'applies to QAT fine-tuning (--qat-from); float pretraining has no integer weights');
  return bits;
}

/** What every task's train function returns; V holds the task's validation metric. */
export interface TaskTrainSummary<Task extends string, V> {
  task: Task;
  preset: string;
  mode: 'float' | 'qat';
  initialLoss: number;
  finalLoss: number;
  steps: number;
  tokensPerSecond: number;
  seconds: number;
  validation: V | null;
  dataFingerprint: string;
  outDir: string;
  finished: boolean;
  /** Which kernels trained (native with its instruction set and threads, or the tfjs ops and why). */
  kernels: string;
}

/**
 * Start QAT from a float checkpoint: check that it is a float run of the task on the same data and
 * load its weights into the model. On any error the model is freed before the error propagates.
 */
export function loadFloatStart(model: TrainableModel, dir: string, task: string, dataFingerprint: string, config?: Record<string, number>): void {
  try {
    const ck = loadCheckpoint(dir);
    if (ck.meta.task !== task || ck.meta.mode !== 'float') throw new IntrnnError('ERR_CHECKPOINT', dir, `is not a float checkpoint of ${task}`);
    if (ck.meta.dataFingerprint !== dataFingerprint) throw new IntrnnError('ERR_CHECKPOINT', dir, 'was trained on different data (fingerprint differs)');
    if (config) requireSameConfig(ck.meta.config, config, dir);
    loadWeights(model, ck);
    disposeCheckpoint(ck);
  } catch (e) {
    model.dispose();
    throw e;
  }
}

export interface TrainerOptions {
  outDir: string;
  resume?: boolean;
  checkpointEverySeconds?: number;
  stopAfter?: number;
  validate?: boolean;
  onProgress?: (p: TrainProgress) => void;
}

export interface TrainerResult {
  initialLoss: number;
  finalLoss: number;
  steps: number;
  tokensPerSecond: number;
  seconds: number;
  finished: boolean;
  validation: Record<string, number> | null;
}

/**
 * The output directory before any work: a file there, or a checkpoint that a run without `resume`
 * would overwrite, is refused (a typed error, nothing lost).
 */
export function checkOutDir(outDir: string, resume: boolean): void {
  if (existsSync(outDir) && !statSync(outDir).isDirectory()) throw new IntrnnError('ERR_OPTION', '--out', `${outDir} is a file, not a directory`);
  if (!resume && hasCheckpoint(outDir)) {
    throw new IntrnnError('ERR_OPTION', '--out', `${outDir} already holds a checkpoint: pass --resume to continue it, or choose another directory`);
  }
}

/** Assign checkpoint tensors to the model's variables by name, checking shapes. */
export function loadWeights(model: TrainableModel, ckpt: LoadedCheckpoint): void {
  for (const { name, variable } of model.namedVariables()) {
    const t = ckpt.tensors.get(name);
    if (!t) throw new IntrnnError('ERR_CHECKPOINT', name, 'tensor missing from checkpoint');
    if (t.shape.join() !== variable.shape.join()) throw new IntrnnError('ERR_CHECKPOINT', name, `shape ${t.shape} does not match the model's ${variable.shape}`);
    variable.assign(t);
  }
}

/** Free every tensor of a loaded checkpoint except those listed. */
export function disposeCheckpoint(ckpt: LoadedCheckpoint, keepState = false): void {
  tf.dispose([...ckpt.tensors.values(), ...ckpt.optimizer.map((o) => o.tensor), ...(keepState ? [] : ckpt.state.map((s) => s.tensor))]);
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

/**
 * The training loop shared by every task: Adam, global-norm clipping, atomic checkpoints every few
 * minutes and at the end (weights, optimizer, carried state, quantization, history, data
 * fingerprint), and `resume` that continues bit-exactly. The task supplies the loss of each step.
 */
export async function runTraining(task: TrainTask, opts: TrainerOptions): Promise<TrainerResult> {
  const { model } = task;
  try {
    checkOutDir(opts.outDir, opts.resume === true);
  } catch (e) {
    task.dispose();
    model.dispose();
    throw e;
  }
  const optimizer = tf.train.adam(task.learningRate);
  const variables = model.namedVariables().map((v) => v.variable);
  let step = 0;
  let history: { step: number; loss: number }[] = [];
  let initialLoss: number | null = null;
  let elapsedBefore = 0;
  try {
    if (opts.resume) {
      if (!hasCheckpoint(opts.outDir)) throw new IntrnnError('ERR_FILE_MISSING', opts.outDir, 'no checkpoint to resume (train without --resume first)');
      const ck = loadCheckpoint(opts.outDir);
      if (ck.meta.dataFingerprint !== task.dataFingerprint) throw new IntrnnError('ERR_CHECKPOINT', opts.outDir, 'was trained on different data (fingerprint differs)');
      if (ck.meta.task !== task.task || ck.meta.mode !== task.mode || ck.meta.preset !== task.preset) {
        throw new IntrnnError('ERR_CHECKPOINT', opts.outDir, `holds a ${ck.meta.mode} run of ${ck.meta.task} preset ${ck.meta.preset}, not ${task.mode} ${task.task} ${task.preset}`);
      }
      requireSameConfig(ck.meta.config, task.config, opts.outDir);
      loadWeights(model, ck);
      if (ck.meta.quant) model.quant = ck.meta.quant;
      await optimizer.setWeights(ck.optimizer.map(({ name, tensor }) => ({ name: name === 'iter' ? name : `${model.prefix}${name}`, tensor })));
      task.restoreState(ck.state);
      disposeCheckpoint(ck, true);
      step = ck.meta.step;
      history = ck.meta.history;
      initialLoss = ck.meta.initialLoss;
      elapsedBefore = ck.meta.elapsedSeconds;
    }

    task.begin();
    const started = performance.now();
    let savedStep = step;
    const save = async () => {
      const opt = await optimizer.getWeights();
      saveCheckpoint(
        opts.outDir,
        {
          task: task.task,
          preset: task.preset,
          mode: task.mode,
          config: task.config,
          train: { ...task.settings, steps: task.totalSteps },
          step,
          totalSteps: task.totalSteps,
          dataFingerprint: task.dataFingerprint,
          quant: model.quant,
          history,
          initialLoss,
          elapsedSeconds: elapsedBefore + (performance.now() - started) / 1000,
        },
        model.namedVariables().map(({ name, variable }) => ({ name, tensor: variable })),
        opt.map(({ name, tensor }) => ({ name: name.startsWith(model.prefix) ? name.slice(model.prefix.length) : name, tensor })),
        task.state(),
      );
      opt[0]?.tensor.dispose(); // the iteration count is a fresh scalar; the moments are the optimizer's own variables
      savedStep = step;
      opts.onProgress?.({ phase: 'checkpoint', step, totalSteps: task.totalSteps });
    };

    const checkpointEvery = (opts.checkpointEverySeconds ?? 300) * 1000;
    let lastCheckpoint = performance.now();
    let tokens = 0;
    let lastLoss = NaN;
    const runStart = step;
    while (step < task.totalSteps) {
      if (task.learningRateAt) (optimizer as unknown as { learningRate: number }).learningRate = task.learningRateAt(step);
      const { value, grads } = tf.variableGrads(() => task.loss(step), variables);
      const clipped = clipByGlobalNorm(grads, task.clipNorm);
      optimizer.applyGradients(clipped as Parameters<typeof optimizer.applyGradients>[0]);
      lastLoss = value.dataSync()[0];
      tf.dispose([value, ...Object.values(grads), ...Object.values(clipped)]);
      if (!Number.isFinite(lastLoss)) {
        // stop before the optimizer's update reaches a checkpoint: the last one on disk stays good
        throw new IntrnnError(
          'ERR_TRAIN_DIVERGED',
          opts.outDir,
          `the loss of step ${step + 1} is ${lastLoss}: training diverged (lower the learning rate or resume from the last checkpoint, step ${savedStep})`,
        );
      }
      if (initialLoss === null) initialLoss = lastLoss;
      tokens += task.tokens(step);
      task.commit(step);
      step++;
      history.push({ step, loss: lastLoss });
      if (history.length > 2000) history = history.filter((_, i) => i % 2 === 0);
      const seconds = (performance.now() - started) / 1000;
      opts.onProgress?.({ phase: task.mode === 'qat' ? 'qat' : 'train', step, totalSteps: task.totalSteps, loss: lastLoss, tokensPerSecond: tokens / seconds });
      if (performance.now() - lastCheckpoint > checkpointEvery) {
        await save();
        lastCheckpoint = performance.now();
      }
      if (opts.stopAfter !== undefined && step - runStart >= opts.stopAfter) break;
    }
    await save();
    const seconds = (performance.now() - started) / 1000;
    const validation = opts.validate === false ? null : task.evaluate(opts.onProgress);
    return { initialLoss: initialLoss ?? NaN, finalLoss: lastLoss, steps: step, tokensPerSecond: tokens / seconds, seconds, finished: step >= task.totalSteps, validation };
  } finally {
    // also on errors: tfjs variable names are global, and memory is not collected
    task.dispose();
    model.dispose();
    optimizer.dispose();
  }
}

/** Settings every training preset has. */
export interface BaseTrainSettings {
  steps: number;
  qatSteps: number;
  learningRate: number;
  qatLearningRate: number;
  clipNorm: number;
  /** Float training: cosine decay over this many steps down to lrFloor × learningRate, then flat (absent or 0: constant). */
  lrDecaySteps?: number;
  lrFloor?: number;
}

/** The float learning-rate schedule of a preset: cosine from the rate to lrFloor × rate over lrDecaySteps, then flat. */
export function cosineSchedule(s: BaseTrainSettings): ((step: number) => number) | undefined {
  const n = s.lrDecaySteps ?? 0;
  if (n <= 0) return undefined;
  const floor = s.lrFloor ?? 0.1;
  return (step) => s.learningRate * (floor + (1 - floor) * 0.5 * (1 + Math.cos(Math.PI * Math.min(1, step / n))));
}

/** The per-step part of a task: everything {@link trainTask} cannot derive from the preset. */
export type TaskHooks = Pick<TrainTask, 'begin' | 'loss' | 'tokens' | 'commit' | 'state' | 'restoreState' | 'evaluate' | 'dispose'>;

/**
 * Run a task's training from its preset settings and hooks, and summarize it: float steps and
 * learning rate, or the QAT ones when `opts.qatFrom` is set.
 */
export async function trainTask<Task extends string, V>(
  task: Task,
  opts: TaskTrainOptions,
  run: { model: TrainableModel; config: Record<string, number>; settings: BaseTrainSettings & Record<string, number>; dataFingerprint: string },
  hooks: TaskHooks,
): Promise<TaskTrainSummary<Task, V>> {
  const mode = trainingMode(opts);
  const s = run.settings;
  if (opts.workers !== undefined) setTrainingThreads(opts.workers);
  const r = await runTraining(
    {
      task,
      preset: opts.preset,
      mode,
      model: run.model,
      config: run.config,
      settings: { ...s },
      dataFingerprint: run.dataFingerprint,
      totalSteps: opts.steps ?? (mode === 'qat' ? s.qatSteps : s.steps),
      learningRate: mode === 'qat' ? s.qatLearningRate : s.learningRate,
      learningRateAt: mode === 'qat' ? undefined : cosineSchedule(s),
      clipNorm: s.clipNorm,
      ...hooks,
    },
    opts,
  );
  return {
    task,
    preset: opts.preset,
    mode,
    initialLoss: r.initialLoss,
    finalLoss: r.finalLoss,
    steps: r.steps,
    tokensPerSecond: r.tokensPerSecond,
    seconds: r.seconds,
    validation: r.validation as V | null,
    dataFingerprint: run.dataFingerprint,
    outDir: opts.outDir,
    finished: r.finished,
    kernels: trainingBackend().reason,
  };
}
