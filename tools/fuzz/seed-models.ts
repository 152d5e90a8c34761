/**
 * The seed models of the fuzz: one small model of each task shape, built the way the converter
 * builds shipped files (QAT model → integer spec → ONNX), so together they use every op and
 * option the engines run: Gather, Concat, IntLSTM forward and reverse, with and without MadNorm,
 * stacked with fed state, IntGRU stacked with fed state (op set version 2), IntDense tied and untied, IntAttention, spelling-feature tables,
 * and int4 weights with an int4 embedding's Cast and a requantizing IntDense (op set version 3).
 */
import { buildG2pModel, buildIntegerModel, g2pSpec, languageModelSpec, taggerSpec } from '@intrnn/converter';
import { BiLstmTagger, G2pModel, LstmLanguageModel, tf, useWasmBackend } from '@intrnn/qat';

export interface SeedModel {
  name: string;
  bytes: Uint8Array;
}

const source = { producer: 'fuzz', preset: 'random', checkpointStep: 0, dataFingerprint: 'none' };
const words = (n: number) => Array.from({ length: n }, (_, i) => `w${i}`);

/** Build the seeds (a few seconds: TensorFlow.js on its wasm backend). */
export async function seedModels(): Promise<SeedModel[]> {
  await useWasmBackend();
  const seeds: SeedModel[] = [];

  const lm = new LstmLanguageModel({ vocabSize: 24, embedSize: 6, hiddenSize: 6, layers: 2, seed: 3, tied: 1 });
  const lmIds = tf.randomUniformInt([2, 5], 0, 24, 3) as tf.Tensor2D;
  lm.calibrate([lmIds]);
  seeds.push({ name: 'language model', bytes: buildIntegerModel(languageModelSpec(lm, words(24), { unknown: 'w0', sentenceEnd: 'w1' }, source)).bytes });
  lm.dispose();
  lmIds.dispose();

  const gru = new LstmLanguageModel({ vocabSize: 20, embedSize: 5, hiddenSize: 6, layers: 2, seed: 6, gru: 1 });
  const gruIds = tf.randomUniformInt([2, 5], 0, 20, 6) as tf.Tensor2D;
  gru.calibrate([gruIds]);
  seeds.push({ name: 'GRU language model', bytes: buildIntegerModel(languageModelSpec(gru, words(20), { unknown: 'w0', sentenceEnd: 'w1' }, source)).bytes });
  gru.dispose();
  gruIds.dispose();

  // int4 weights (op set 3): int4 W and R, an int4 embedding behind a Cast, a requantizing IntDense
  const int4 = new LstmLanguageModel({ vocabSize: 22, embedSize: 7, hiddenSize: 5, layers: 2, seed: 8, weightBits: 4 });
  const int4Ids = tf.randomUniformInt([2, 5], 0, 22, 8) as tf.Tensor2D;
  int4.calibrate([int4Ids]);
  seeds.push({ name: 'int4 language model', bytes: buildIntegerModel(languageModelSpec(int4, words(22), { unknown: 'w0', sentenceEnd: 'w1' }, source)).bytes });
  int4.dispose();
  int4Ids.dispose();

  const tagger = new BiLstmTagger({ vocabSize: 20, tagCount: 5, embedSize: 6, hiddenSize: 5, madNorm: 1, seed: 4, suffixes: 2, buckets: 8, suffixDim: 2, shapeDim: 2 });
  const tagIds = { words: tf.randomUniformInt([2, 5], 0, 20, 4) as tf.Tensor2D, features: tagger.features.map((f, i) => tf.randomUniformInt([2, 5], 0, f.variable.shape[0], 20 + i) as tf.Tensor2D) };
  tagger.calibrate([tagIds]);
  seeds.push({ name: 'tagger', bytes: buildIntegerModel(taggerSpec(tagger, words(20), words(5), 'w0', source)).bytes });
  tagger.dispose();
  tf.dispose([tagIds.words, ...tagIds.features]);

  const g2p = new G2pModel({ letterCount: 10, phoneCount: 8, embedSize: 6, hiddenSize: 5, seed: 5 });
  const letters = tf.randomUniformInt([2, 5], 0, 10, 1) as tf.Tensor2D;
  const decoderIn = tf.randomUniformInt([2, 4], 0, 8, 2) as tf.Tensor2D;
  g2p.calibrate([{ letters, decoderIn }]);
  seeds.push({ name: 'g2p', bytes: buildG2pModel(g2pSpec(g2p, words(10), words(8), { start: 'w0', end: 'w1' }, source)).bytes });
  g2p.dispose();
  tf.dispose([letters, decoderIn]);
  return seeds;
}
