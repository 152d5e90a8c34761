/**
 * `@intrnn/qat/pwl`: the adaptive PWL knot search (the paper's Algorithm 1), its budget and uniform
 * forms and the activation specs, without TensorFlow.js.
 * @packageDocumentation
 */
export { greedyPwl, budgetPwl, uniformPwl, measurePwlError } from './pwl/knot-search.js';
export type { PwlSearchResult } from './pwl/knot-search.js';
export { quantizedTarget, quantizedTargetTable, symmetryCenter, checkPwlSpec } from './pwl/pwl-spec.js';
export type { PwlSpec, PwlSymmetry } from './pwl/pwl-spec.js';
export { comparePwl, uniformPiecesFor } from './pwl/compare.js';
export type { PwlComparison } from './pwl/compare.js';
export { ACTIVATIONS, activationSpec, gridSpec } from './pwl/activations.js';
export type { ActivationName, ActivationSpecOptions } from './pwl/activations.js';
