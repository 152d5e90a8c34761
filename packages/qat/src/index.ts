/**
 * `@intrnn/qat`: quantization-aware training for integer-only recurrent networks.
 *
 * This release holds the adaptive piecewise-linear approximation (the paper's Algorithm 1):
 * {@link greedyPwl} places knots recursively until every integer input meets a tolerance,
 * {@link budgetPwl} spends a fixed number of pieces, {@link uniformPwl} is the evenly spaced
 * baseline. Errors are measured exhaustively with runtime-core's own {@link pwlEval}-based
 * evaluation. Training layers arrive with issue 7.
 * @packageDocumentation
 */
export { greedyPwl, budgetPwl, uniformPwl, measurePwlError } from './pwl/knot-search.js';
export type { PwlSearchResult } from './pwl/knot-search.js';
export { quantizedTarget, quantizedTargetTable, symmetryCenter, checkPwlSpec } from './pwl/pwl-spec.js';
export type { PwlSpec, PwlSymmetry } from './pwl/pwl-spec.js';
export { comparePwl, uniformPiecesFor } from './pwl/compare.js';
export type { PwlComparison } from './pwl/compare.js';
export { ACTIVATIONS, activationSpec, gridSpec, compileExpression } from './pwl/activations.js';
export type { ActivationName, ActivationSpecOptions } from './pwl/activations.js';
