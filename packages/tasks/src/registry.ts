import { IntrnnError, type ModelKind } from '@intrnn/format';
import { loadBrownLm, loadBrownPos, loadCmudictG2p, scoreG2p, type G2pScores } from '@intrnn/qat/datasets';
import type { ConvertedModel } from '@intrnn/converter';
import type { TaskTrainOptions, TaskTrainSummary, TrainProgress } from '@intrnn/qat';

/**
 * The task registry: a task is a model kind (language model, tagger, transducer) on a dataset. Each
 * entry names its trainer, its converter, the evaluation data its kind's evaluator reads, and its
 * demo slice. A new task or corpus is one entry here; the CLI, the tools and the reports read the
 * registry. Training and conversion load the training stack (TensorFlow.js) on first use only, so
 * commands that run models start without it.
 */

export type Split = 'valid' | 'test';

/** What a language model's evaluator reads: the split's token ids under the model's vocabulary. */
export interface LanguageModelData {
  kind: 'language-model';
  tokens(split: Split, vocabulary: readonly string[]): Int32Array;
}

/** What a tagger's evaluator reads: the split's sentences with their gold tags. */
export interface TaggerData {
  kind: 'tagger';
  sentences(split: Split): { words: string[]; tags: string[] }[];
}

/** What a transducer's evaluator reads: every word of the split with all its references, and the scoring. */
export interface TransducerData {
  kind: 'transducer';
  references(split: Split, limit: number): Map<string, string[][]>;
  score(predicted: Map<string, string[]>, references: Map<string, string[][]>): G2pScores;
}

export type TaskData = LanguageModelData | TaggerData | TransducerData;

export interface TaskEntry {
  /** The task's name, as files and checkpoints record it (`lm-brown`). */
  name: string;
  kind: ModelKind;
  /** A heading for reports and the demo. */
  title: string;
  /** Training presets (qat's preset tables; a test keeps the two equal). */
  presets: readonly string[];
  train(opts: TaskTrainOptions): Promise<TaskTrainSummary<string, unknown>>;
  /** A training checkpoint's metric on a split (the QAT or float forward in tfjs). */
  evalCheckpoint(dir: string, split: Split, onProgress?: (p: TrainProgress) => void): Promise<Record<string, unknown>>;
  /** A checkpoint as ONNX files: QAT → integer + float32; float → float32. */
  convert(dir: string): Promise<ConvertedModel>;
  data: TaskData;
  /** How many test units (tokens, sentences, words) `intrnn demo` evaluates. */
  demoSlice: number;
  /** Ids the latency measurement feeds (valid in every model of the task). */
  latencyIds: readonly number[];
}

const qat = () => import('@intrnn/qat');
const converter = () => import('@intrnn/converter');

export const TASKS: Record<string, TaskEntry> = {
  'lm-brown': {
    name: 'lm-brown',
    kind: 'language-model',
    title: 'Language model (Brown)',
    presets: ['tiny', 'small', 'medium', 'full', 'small-gru', 'medium-gru'],
    train: async (opts) => (await qat()).trainLm(opts),
    evalCheckpoint: async (dir, split, onProgress) => (await qat()).evalLmCheckpoint(dir, split, onProgress),
    convert: async (dir) => (await converter()).convertLmCheckpoint(dir),
    data: {
      kind: 'language-model',
      tokens(split, vocabulary) {
        const data = loadBrownLm({ vocabSize: vocabulary.length });
        const same = data.vocab.tokens.length === vocabulary.length && data.vocab.tokens.every((t, i) => t === vocabulary[i]);
        if (!same) throw new IntrnnError('ERR_MODEL_INCONSISTENT', 'metadata.vocabularies.input', 'differs from the Brown vocabulary of the same size: the model was not trained on this data');
        return split === 'valid' ? data.valid : data.test;
      },
    },
    demoSlice: 2000,
    latencyIds: [1, 24, 7, 301, 12, 5, 88, 2, 45, 9, 130, 6, 17, 3, 250, 4, 11, 60, 8, 2],
  },
  'pos-brown': {
    name: 'pos-brown',
    kind: 'tagger',
    title: 'Part-of-speech tagger (Brown)',
    presets: ['tiny', 'small', 'medium', 'tiny-gru', 'small-gru', 'medium-gru'],
    train: async (opts) => (await qat()).trainPos(opts),
    evalCheckpoint: async (dir, split, onProgress) => (await qat()).evalPosCheckpoint(dir, split, onProgress),
    convert: async (dir) => (await converter()).convertPosCheckpoint(dir),
    data: {
      kind: 'tagger',
      sentences(split) {
        const data = loadBrownPos();
        return split === 'valid' ? data.valid : data.test;
      },
    },
    demoSlice: 100,
    latencyIds: [1, 24, 7, 301, 12, 5, 88, 2, 45, 9, 130, 6, 17, 3, 250, 4, 11, 60, 8, 2],
  },
  'g2p-cmudict': {
    name: 'g2p-cmudict',
    kind: 'transducer',
    title: 'Grapheme-to-phoneme (CMUdict)',
    presets: ['tiny', 'small', 'medium'],
    train: async (opts) => (await qat()).trainG2p(opts),
    evalCheckpoint: async (dir, split, onProgress) => (await qat()).evalG2pCheckpoint(dir, split, onProgress),
    convert: async (dir) => (await converter()).convertG2pCheckpoint(dir),
    data: {
      kind: 'transducer',
      references(split, limit) {
        const data = loadCmudictG2p();
        const references = new Map<string, string[][]>();
        for (const e of split === 'valid' ? data.valid : data.test) {
          if (limit > 0 && !references.has(e.word) && references.size >= limit) continue;
          references.set(e.word, [...(references.get(e.word) ?? []), e.phones]);
        }
        return references;
      },
      score: scoreG2p,
    },
    demoSlice: 100,
    latencyIds: [7, 4, 11, 11, 14, 22, 14, 17],
  },
};

/** The registry entry of a task, or a typed error naming the known ones. */
export function taskEntry(name: string, where = 'task'): TaskEntry {
  if (!Object.hasOwn(TASKS, name)) throw new IntrnnError('ERR_TASK', where, `'${name}' is not a known task (one of ${Object.keys(TASKS).join(', ')})`);
  return TASKS[name];
}

/** Convert any checkpoint by the task it records. */
export async function convertCheckpoint(dir: string): Promise<ConvertedModel> {
  const { readCheckpointMeta } = await qat();
  return taskEntry(readCheckpointMeta(dir).task, dir).convert(dir);
}

/** Evaluate any training checkpoint on a split by the task it records. */
export async function evalCheckpoint(dir: string, split: Split, onProgress?: (p: TrainProgress) => void): Promise<Record<string, unknown>> {
  const { readCheckpointMeta } = await qat();
  return taskEntry(readCheckpointMeta(dir).task, dir).evalCheckpoint(dir, split, onProgress);
}
