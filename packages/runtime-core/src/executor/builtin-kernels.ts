import { registerKernel } from './registry.js';
import { concatKernel } from './kernels/concat.js';
import { gatherKernel } from './kernels/gather.js';
import { intDenseCore, intDenseReference } from './kernels/int-dense.js';
import { intLstmCore, intLstmReference } from './kernels/int-lstm.js';
import { intAttentionReference } from './kernels/int-attention.js';
import { intGruCore, intGruReference } from './kernels/int-gru.js';

// Reference kernels at priority 0, their fast TypeScript twins (backend `core`) at 10.
for (const k of [gatherKernel, concatKernel, intDenseReference, intDenseCore, intLstmReference, intLstmCore, intGruReference, intGruCore, intAttentionReference]) registerKernel(k);
