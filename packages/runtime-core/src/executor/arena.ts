import type { Tensor } from '@intrnn/format';

type TensorArray = Tensor['data'];
type ArrayType<T extends TensorArray> = { new (length: number): T; new (buffer: ArrayBuffer, byteOffset: number, length: number): T; readonly BYTES_PER_ELEMENT: number };

/** Where a kernel allocates the tensors it returns. */
export interface OutputAllocator {
  /** A new zero-filled array of `length` elements, shared with no other tensor. */
  alloc<T extends TensorArray>(type: ArrayType<T>, length: number): T;
}

/** Plain allocation, one ArrayBuffer per array (for kernels run outside an executor). */
export const HEAP_ALLOCATOR: OutputAllocator = { alloc: (type, length) => new type(length) };

/**
 * One run's outputs carved from one ArrayBuffer. Creating an ArrayBuffer costs microseconds in V8
 * whatever its size (an off-heap backing store and its accounting), which for a one-token language
 * model step took about 5 µs of the native engine's ~80 µs (A/B on the small LM); one slab per run
 * instead of one buffer per tensor removes it. Regions are never reused, so tensors never alias; a slab lives as
 * long as any tensor of its run.
 */
export class RunArena implements OutputAllocator {
  private slab?: ArrayBuffer;
  private used = 0;
  /** Bytes requested in this run (the next run's slab size). */
  requested = 0;

  /** Set by {@link recycle}: regions handed out again must be zero-filled (a fresh slab already is). */
  private dirty = false;

  constructor(private hint: number) {}

  /** Start carving from the slab's beginning again: only for callers that dropped every earlier output (profiling). */
  rewind(): void {
    this.used = 0;
  }

  /**
   * Reuse the slab for a new run whose outputs need `hint` bytes (a larger hint gets a new slab): the
   * earlier run's tensors are overwritten, so only a caller done with them may recycle.
   */
  recycle(hint: number): void {
    if (!this.slab || this.slab.byteLength < hint) {
      this.slab = undefined;
      this.dirty = false;
    } else this.dirty = this.used > 0 || this.dirty;
    this.hint = hint;
    this.used = 0;
    this.requested = 0;
  }

  alloc<T extends TensorArray>(type: ArrayType<T>, length: number): T {
    const bytes = (length * type.BYTES_PER_ELEMENT + 7) & ~7; // 8-byte aligned: any element type fits
    this.requested += bytes;
    if (!this.slab && this.hint > 0) this.slab = new ArrayBuffer(this.hint);
    if (this.slab && this.used + bytes <= this.slab.byteLength) {
      const view = new type(this.slab, this.used, length);
      if (this.dirty) view.fill(0 as never);
      this.used += bytes;
      return view;
    }
    return new type(length);
  }
}
