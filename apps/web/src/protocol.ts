/** Messages between the page and the runtime worker. Every request carries an id its replies echo. */
import type { PwlFunction } from '@intrnn/runtime-core';

export type Slot = 'lm' | 'tagger' | 'g2p';

export type Request =
  | { id: number; kind: 'load'; slot: Slot; name: string; url?: string; bytes?: ArrayBuffer }
  | { id: number; kind: 'generate'; prompt: string; tokens: number; temperature: number; seed: number }
  | { id: number; kind: 'tag'; sentence: string }
  | { id: number; kind: 'pronounce'; words: string; beam: number; nbest: number }
  | { id: number; kind: 'pwl'; slot: Slot };

/** A typed error as the page shows it: code, what it is about, and the message. */
export interface ErrorInfo {
  code: string;
  where: string;
  message: string;
}

export interface ModelInfo {
  slot: Slot;
  name: string;
  task: string;
  bytes: number;
  /** Parameters of the integer graph (initializer elements). */
  parameters: number;
  inputVocabulary: number;
  outputVocabulary: number;
  pwlTables: string[];
  loadMs: number;
  /** Whose kernels run the model's LSTM, dense and attention nodes: `wasm` or `core` (runtime-core's TypeScript), and why. */
  kernels: { backend: 'wasm' | 'core'; reason: string };
}

export interface GenerateResult {
  prompt: string;
  /** Prompt words outside the vocabulary (fed as the unknown token). */
  unknownWords: string[];
  tokens: string[];
  usPerToken: number;
}

export interface TagResult {
  words: { word: string; tag: string; unknown: boolean }[];
  usPerToken: number;
}

export interface PronounceResult {
  words: { word: string; candidates?: { phonemes: string[]; logProb: number }[]; error?: ErrorInfo }[];
  /** Microseconds per model call (one decoder step of one hypothesis). */
  usPerToken: number;
}

/** One PWL table of a model, sampled for plotting; the error is measured on every integer input. */
export interface PwlCurve {
  name: string;
  fn: PwlFunction;
  knots: number;
  inMin: number;
  inMax: number;
  /** Real input of each sample. */
  x: number[];
  /** The real function at x. */
  exact: number[];
  /** The integer PWL at x, in real units. */
  pwl: number[];
  /** The largest |PWL - round(f)| in output LSBs within each sample's bucket of integer inputs. */
  errorLsb: number[];
  knotX: number[];
  knotY: number[];
  maxErrorLsb: number;
  outScale: number;
}

export type Reply =
  | { id: number; kind: 'loaded'; info: ModelInfo }
  | { id: number; kind: 'token'; token: string; index: number }
  | { id: number; kind: 'generated'; result: GenerateResult }
  | { id: number; kind: 'tagged'; result: TagResult }
  | { id: number; kind: 'pronounced'; result: PronounceResult }
  | { id: number; kind: 'pwl'; curves: PwlCurve[] }
  | { id: number; kind: 'error'; error: ErrorInfo };

/** Limits on what the page accepts, checked in the worker (one place) with a typed error each. */
export const LIMITS = { promptWords: 64, generateTokens: 200, sentenceWords: 100, words: 20, beam: 16 } as const;
