import type { ModelMetadata } from '@intrnn/format';
import { featureInputs } from '@intrnn/runtime-core';
import { requireQatExactness, taggerFeatureSpec, type BiLstmTagger, type G2pModel, type LmQuantState, type LstmLanguageModel, type GruQuantState, type LstmQuantState } from '@intrnn/qat';
import type { G2pModelSpec, IntegerModelSpec, GruLayerSpec, LayerSpec, LstmLayerSpec } from './integer-graph.js';

type Source = ModelMetadata['source'];

function layerMeta(q: LstmQuantState): LstmLayerSpec['meta'] {
  return { inputScale: q.inputScale, hiddenScale: q.hiddenScale, gateScale: q.gateScale, cellFracBits: q.cellFracBits, madNorm: q.norm };
}

function gruLayerMeta(g: GruQuantState): GruLayerSpec['meta'] {
  return { inputScale: g.inputScale, hiddenScale: g.hiddenScale, gateScale: g.gateScale };
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
    requireQatExactness(ints, 'lm-brown'); // a file whose QAT forward was not exact would not be the model trained
    const { vocabSize: V, embedSize: E, hiddenSize: H } = model.config;
    return {
      topology: 'stacked',
      embedding: { data: ints.embedding, rows: V, cols: E, ...(ints.int4?.embedding ? { bits: 4 as const } : {}) },
      layers: ints.layers.map((cell, l): LayerSpec => {
        if ('biasX' in cell) {
          return { name: `gru${l}`, gru: cell, direction: 'forward', meta: gruLayerMeta(q.gru![l]) };
        }
        return { name: `lstm${l}`, cell, direction: 'forward', meta: layerMeta(q.lstm[l]) };
      }),
      output: {
        weights: ints.outWeights,
        bias: ints.outBias,
        rows: V,
        cols: H,
        tied: model.tied,
        ...(ints.int4?.output ? { bits: 4 as const, rescale: ints.int4.output } : {}),
      },
      meta: {
        task: 'lm-brown',
        kind: 'language-model',
        vocabularies: { input: [...vocabulary], unknown: names.unknown, sentenceEnd: names.sentenceEnd },
        scales: { embedding: q.embedScale, logits: ints.logitScale },
        source,
      },
    };
  } finally {
    model.disposeQatConstants(k);
  }
}

/** The integer tagger of a QAT-mode {@link BiLstmTagger} (forward and reverse LSTM or GRU layer, batch 1). */
export function taggerSpec(model: BiLstmTagger, words: readonly string[], tags: readonly string[], unknown: string, source: Source): IntegerModelSpec {
  const q = requireQuant(model.quant);
  const k = model.qatConstants();
  try {
    const ints = model.exportIntegers(k);
    requireQatExactness(ints, 'pos-brown');
    const { vocabSize: V, embedSize: E, hiddenSize: H, tagCount } = model.config;
    const spec = taggerFeatureSpec(model.config);
    const layer = (name: string, cell: (typeof ints)['forward'], direction: 'forward' | 'reverse'): LayerSpec => {
      return 'biasX' in cell ? { name, gru: cell, direction, meta: gruLayerMeta(q.gru![0]) } : { name, cell, direction, meta: layerMeta(q.lstm[0]) };
    };
    const inputs = spec ? featureInputs(spec) : [];
    return {
      topology: 'bidirectional',
      embedding: { data: ints.embedding, rows: V, cols: E },
      // tensors named table.<input>: an initializer may not share a name with the graph input that indexes it
      features: ints.features.map((f, i) => ({ ...f, name: `table.${inputs[i]}`, input: inputs[i] })),
      layers: [layer('forward', ints.forward, 'forward'), layer('backward', ints.backward, 'reverse')],
      output: { weights: ints.outWeights, bias: ints.outBias, rows: tagCount, cols: 2 * H },
      meta: {
        task: 'pos-brown',
        kind: 'tagger',
        ...(spec ? { wordFeatures: { suffixLengths: [...spec.suffixLengths], buckets: spec.buckets } } : {}),
        vocabularies: { input: [...words], output: [...tags], unknown },
        scales: { embedding: q.embedScale, logits: ints.logitScale },
        source,
      },
    };
  } finally {
    model.disposeQatConstants(k);
  }
}

/** The integer G2P model of a QAT-mode {@link G2pModel}. */
export function g2pSpec(model: G2pModel, letters: readonly string[], phones: readonly string[], symbols: { start: string; end: string }, source: Source): G2pModelSpec {
  const q = requireQuant(model.quant);
  const k = model.qatConstants();
  try {
    const ints = model.exportIntegers(k);
    requireQatExactness(ints, 'g2p-cmudict');
    const { letterCount, phoneCount, embedSize: E, hiddenSize: H } = model.config;
    const enc = layerMeta(q.lstm[0]);
    return {
      letters: { data: ints.letters, rows: letterCount, cols: E },
      phones: { data: ints.phones, rows: phoneCount, cols: E },
      encoderForward: { name: 'encoder_forward', cell: ints.encoderForward, direction: 'forward', meta: enc },
      encoderBackward: { name: 'encoder_backward', cell: ints.encoderBackward, direction: 'reverse', meta: enc },
      decoder: { name: 'decoder', cell: ints.decoder, direction: 'forward', meta: layerMeta(q.lstm[1]) },
      attention: ints.attention,
      output: { weights: ints.outWeights, bias: ints.outBias, rows: phoneCount, cols: 4 * H },
      meta: {
        task: 'g2p-cmudict',
        kind: 'transducer',
        vocabularies: { input: [...letters], output: [...phones], unknown: letters[0], sequenceStart: symbols.start, sentenceEnd: symbols.end },
        scales: { embedding: q.embedScale, logits: ints.logitScale },
        source,
      },
    };
  } finally {
    model.disposeQatConstants(k);
  }
}
