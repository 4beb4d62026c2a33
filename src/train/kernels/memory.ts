// Direct access to a backend's tensor memory, for gradtune's own kernels. On the wasm
// backend a tensor's values live in the WebAssembly heap (the backend's dataIdMap gives
// each one's offset); on the cpu backend in a typed array in its data storage. A kernel
// reads its inputs and writes its outputs (or, for the optimizer, its inputs in place)
// through views of that memory: no copy, no extra tfjs kernel.
import type * as TF from '@tensorflow/tfjs';
import { simdRules, type SimdRules } from './simd.js';

/** A tensor as kernels see it. */
export type TensorInfo = { dataId: object; shape: number[]; dtype: TF.DataType };

export interface KernelMemory {
  /** A view of a float32 tensor's values. On wasm, take views after allocating outputs: an allocation can move the heap. */
  floats(t: TensorInfo): Float32Array;
  /** A new float32 tensor of this shape; its values are undefined until written. */
  output(shape: number[]): TensorInfo;
  /** How many tensors share this tensor's memory (1: it is the only one). */
  refCount(t: TensorInfo): number;
  /** Another output sharing `t`'s memory under another shape (as a reshape does). */
  share(t: TensorInfo, shape: number[]): TensorInfo;
  /** Frees a tensor made by output() that the kernel does not return. */
  release(t: TensorInfo): void;
  /** On wasm: the byte offset of a tensor's values in the memory the SIMD loops run on. */
  offset?(t: TensorInfo): number;
  /** On wasm: the update rules as SIMD loops over the backend's memory (see simd.ts). */
  simd?: SimdRules | null;
}

/** The backends whose memory gradtune's kernels can reach. */
export const KERNEL_BACKENDS = ['wasm', 'cpu'] as const;
export type KernelBackend = (typeof KERNEL_BACKENDS)[number];

/**
 * Whether the backend's matrix products keep a packed copy of their right operand (and
 * bias) keyed by the tensor: the wasm backend caches an XNNPACK operator per weight
 * tensor, so a weight written in place would be multiplied by its stale packed copy.
 * There, updated variables get new memory each step instead.
 */
export function cachesMatmulOperands(backendName: KernelBackend): boolean {
  return backendName === 'wasm';
}

interface WasmBackend {
  wasm: { HEAPU8: Uint8Array; asm?: { memory?: WebAssembly.Memory } };
  dataIdMap: { get(id: object): { memoryOffset: number } | undefined };
  makeOutput(shape: number[], dtype: 'float32'): TensorInfo;
  refCount(dataId: object): number;
  incRef(dataId: object): void;
  disposeData(dataId: object): boolean;
}

interface CpuBackend {
  data: { get(id: object): { values?: unknown } | undefined };
  makeTensorInfo(shape: number[], dtype: 'float32', values: Float32Array): TensorInfo;
  refCount(dataId: object): number;
  incRef(dataId: object): void;
  disposeData(dataId: object): boolean;
}

function share(backend: { incRef(dataId: object): void }, t: TensorInfo, shape: number[]): TensorInfo {
  backend.incRef(t.dataId);
  return { dataId: t.dataId, shape, dtype: t.dtype };
}

function sizeOf(shape: number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

function wasmMemory(backend: WasmBackend): KernelMemory {
  const offset = (t: TensorInfo) => {
    const entry = backend.dataIdMap.get(t.dataId);
    if (!entry) throw new Error('gradtune kernel: a tensor is not on the wasm backend');
    return entry.memoryOffset;
  };
  const memory = backend.wasm.asm?.memory;
  return {
    floats: (t) => new Float32Array(backend.wasm.HEAPU8.buffer, offset(t), sizeOf(t.shape)),
    output: (shape) => backend.makeOutput(shape, 'float32'),
    refCount: (t) => backend.refCount(t.dataId),
    share: (t, shape) => share(backend, t, shape),
    release: (t) => void backend.disposeData(t.dataId),
    offset,
    simd: memory instanceof WebAssembly.Memory && memory.buffer === backend.wasm.HEAPU8.buffer ? simdRules(memory) : null,
  };
}

function cpuMemory(backend: CpuBackend): KernelMemory {
  return {
    floats(t) {
      const values = backend.data.get(t.dataId)?.values;
      if (!(values instanceof Float32Array)) throw new Error('gradtune kernel: a tensor is not a float32 tensor on the cpu backend');
      return values;
    },
    output: (shape) => backend.makeTensorInfo(shape, 'float32', new Float32Array(sizeOf(shape))),
    refCount: (t) => backend.refCount(t.dataId),
    share: (t, shape) => share(backend, t, shape),
    release: (t) => void backend.disposeData(t.dataId),
  };
}

/** The memory of a backend instance, by the backend's registered name. */
export function kernelMemory(backendName: KernelBackend, backend: unknown): KernelMemory {
  return backendName === 'wasm' ? wasmMemory(backend as WasmBackend) : cpuMemory(backend as CpuBackend);
}

/**
 * Whether a backend instance exposes what kernelMemory relies on (tfjs 4's internals):
 * checked once before registering, so another tfjs version falls back to tfjs's own ops.
 */
export function hasKernelMemory(backendName: string, backend: unknown): backendName is KernelBackend {
  const b = backend as Partial<WasmBackend & CpuBackend> | undefined;
  if (!b || typeof b.refCount !== 'function' || typeof b.incRef !== 'function' || typeof b.disposeData !== 'function') return false;
  if (backendName === 'wasm') return typeof b.makeOutput === 'function' && b.wasm?.HEAPU8 instanceof Uint8Array && typeof b.dataIdMap?.get === 'function';
  if (backendName === 'cpu') return typeof b.makeTensorInfo === 'function' && typeof b.data?.get === 'function';
  return false;
}
