// Registers gradtune's kernels with the active tfjs backend when its memory is reachable
// (wasm, cpu). Elsewhere (tfjs-node's 'tensorflow' backend, webgl) nothing is registered
// and training uses tfjs's own ops and optimizers.
import type * as TF from '@tensorflow/tfjs';
import { tf } from '../tf.js';
import { hasKernelMemory, kernelMemory, type KernelBackend, type KernelMemory, type TensorInfo as Info } from './memory.js';
import { applyUpdates, UPDATE_KERNEL } from './update-kernel.js';
import { LEAN_KERNELS } from './lean-kernels.js';

/** A kernel body: memory access, inputs by name, attributes; returns its outputs. */
export type KernelBody = (mem: KernelMemory, inputs: Record<string, Info>, attrs: never) => Info | Info[];

const KERNELS: Record<string, KernelBody> = {
  [UPDATE_KERNEL]: applyUpdates,
  ...LEAN_KERNELS,
};

const memories = new WeakMap<object, KernelMemory>();

function register(backendName: KernelBackend): void {
  for (const [kernelName, body] of Object.entries(KERNELS)) {
    if (tf.getKernel(kernelName, backendName)) continue;
    tf.registerKernel({
      kernelName,
      backendName,
      kernelFunc: ({ inputs, backend, attrs }) => {
        let mem = memories.get(backend);
        if (!mem) {
          mem = kernelMemory(backendName, backend);
          memories.set(backend, mem);
        }
        return body(mem, inputs as unknown as Record<string, Info>, attrs as never) as TF.TensorInfo | TF.TensorInfo[];
      },
    });
  }
}

/** Switch for benchmarks and tests: GRADTUNE_KERNELS=tfjs trains with tfjs's own ops only. */
function disabledByEnvironment(): boolean {
  return process.env.GRADTUNE_KERNELS === 'tfjs';
}

/**
 * Whether gradtune's kernels run on the active backend (registering them on first use).
 * False on backends whose memory they cannot reach, and when GRADTUNE_KERNELS=tfjs.
 */
export function fusedKernelsAvailable(): boolean {
  if (disabledByEnvironment()) return false;
  const name = tf.getBackend();
  if (!hasKernelMemory(name, tf.engine().backend)) return false;
  register(name);
  return true;
}
