import type { ModelMetadata } from '@intrnn/format';
import type { BiLstmTagger, LmQuantState, LstmLanguageModel, LstmQuantState } from '@intrnn/qat';
import type { IntegerModelSpec, LayerSpec } from './integer-graph.js';

type Source = ModelMetadata['source'];

function layerMeta(q: LstmQuantState): LayerSpec['meta'] {
  return { inputScale: q.inputScale, hiddenScale: q.hiddenScale, gateScale: q.gateScale, cellFracBits: q.cellFracBits, madNorm: q.norm };
}

function requireQuant(quant: LmQuantState | null): LmQuantState {
  if (!quant) throw new Error('model has no quantization state: calibrate or load a QAT checkpoint first');
  return quant;
}

/** The integer language model of a QAT-mode {@link LstmLanguageModel} (stacked, streaming state). */
export function languageModelSpec(model: LstmLanguageModel, vocabulary: readonly string[], names: { unknown: string; sentenceEnd: string }, source: Source): IntegerModelSpec {
  const q = requireQuant(model.quant);
  const k = model.qatConstants();
  try {
    const ints = model.exportIntegers(k);
    const { vocabSize: V, embedSize: E, hiddenSize: H } = model.config;
    return {
      topology: 'stacked',
      embedding: { data: ints.embedding, rows: V, cols: E },
      layers: ints.layers.map((cell, l) => ({ name: `lstm${l}`, cell, direction: 'forward', meta: layerMeta(q.lstm[l]) })),
      output: { weights: ints.outWeights, bias: ints.outBias, rows: V, cols: H },
      meta: { task: 'lm-brown', vocabularies: { input: [...vocabulary], unknown: names.unknown, sentenceEnd: names.sentenceEnd }, scales: { embedding: q.embedScale, logits: ints.logitScale }, source },
    };
  } finally {
    model.disposeQatConstants(k);
  }
}

/** The integer tagger of a QAT-mode {@link BiLstmTagger} (forward and reverse layer, batch 1). */
export function taggerSpec(model: BiLstmTagger, words: readonly string[], tags: readonly string[], unknown: string, source: Source): IntegerModelSpec {
  const q = requireQuant(model.quant);
  const k = model.qatConstants();
  try {
    const ints = model.exportIntegers(k);
    const { vocabSize: V, embedSize: E, hiddenSize: H, tagCount } = model.config;
    const meta = layerMeta(q.lstm[0]);
    return {
      topology: 'bidirectional',
      embedding: { data: ints.embedding, rows: V, cols: E },
      layers: [
        { name: 'forward', cell: ints.forward, direction: 'forward', meta },
        { name: 'backward', cell: ints.backward, direction: 'reverse', meta },
      ],
      output: { weights: ints.outWeights, bias: ints.outBias, rows: tagCount, cols: 2 * H },
      meta: { task: 'pos-brown', vocabularies: { input: [...words], output: [...tags], unknown }, scales: { embedding: q.embedScale, logits: ints.logitScale }, source },
    };
  } finally {
    model.disposeQatConstants(k);
  }
}
