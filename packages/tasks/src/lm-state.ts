/**
 * A language model's recurrent state as feeds (no Node imports: the browser benchmark page uses it).
 */
import { IntrnnError, stateNames, type ModelMetadata, type Tensor } from '@intrnn/format';

/**
 * The recurrent layers of a language model file and their state inputs. A float32 file written from
 * a float checkpoint has no quantized layers to describe, so its state inputs are read off the graph.
 */
function lmStates(m: ModelMetadata, inputs?: readonly { name: string; dims: readonly (number | string)[] }[]): { h0: string; c0: string; hT: string; cT: string; hidden: number; cell: boolean }[] {
  // a GRU layer's state is h alone; an LSTM's is h and c
  if (m.layers.length > 0) return m.layers.map((l) => ({ ...stateNames(l.node), hidden: l.hiddenSize, cell: l.cell !== 'gru' }));
  const states = (inputs ?? []).filter((i) => i.name.endsWith('.initial_h'));
  if (states.length === 0) throw new IntrnnError('ERR_MODEL_METADATA', 'metadata.layers', 'describes no recurrent layer, and the graph has no initial state inputs');
  return states.map((i) => {
    const names = stateNames(i.name.slice(0, -'.initial_h'.length));
    return { ...names, hidden: Number(i.dims[1]), cell: (inputs ?? []).some((j) => j.name === names.c0) };
  });
}

/** A language model's zero initial states as feeds, integer (int8 h, int16 c for LSTM layers) or float32 by the file. */
export function zeroLmState(m: ModelMetadata, inputs?: readonly { name: string; dims: readonly (number | string)[] }[]): Record<string, Tensor> {
  const integer = m.numerics === 'integer';
  const state: Record<string, Tensor> = {};
  for (const l of lmStates(m, inputs)) {
    const H = l.hidden;
    state[l.h0] = integer ? { type: 'int8', dims: [1, H], data: new Int8Array(H) } : { type: 'float32', dims: [1, H], data: new Float32Array(H) };
    if (l.cell) state[l.c0] = integer ? { type: 'int16', dims: [1, H], data: new Int16Array(H) } : { type: 'float32', dims: [1, H], data: new Float32Array(H) };
  }
  return state;
}

/** Carry a language model's state: the outputs' final states become the next call's initial ones. */
export function carryLmState(state: Record<string, Tensor>, out: Record<string, Tensor>): void {
  for (const name of Object.keys(state)) state[name] = out[name.replace(/\.initial_(h|c)$/, '.final_$1')];
}
