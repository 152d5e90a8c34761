/** The test-split slice `intrnn demo` evaluates per task: tokens, sentences, words. */
export const DEMO_SLICES = { 'lm-brown': 2000, 'pos-brown': 100, 'g2p-cmudict': 100 } as const;

/** Token, word or letter ids the latency measurement feeds (valid in every shipped model). */
export const LATENCY_IDS = {
  'lm-brown': [1, 24, 7, 301, 12, 5, 88, 2, 45, 9, 130, 6, 17, 3, 250, 4, 11, 60, 8, 2],
  'pos-brown': [1, 24, 7, 301, 12, 5, 88, 2, 45, 9, 130, 6, 17, 3, 250, 4, 11, 60, 8, 2],
  'g2p-cmudict': [7, 4, 11, 11, 14, 22, 14, 17],
} as const;
