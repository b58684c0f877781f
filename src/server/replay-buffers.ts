import { inflateSync } from 'fflate';

/** Lent buffers are sized in steps of this, so that one fits the next answer of about the same size. */
const STEP = 16 * 1024;
/** Buffers kept for the next replays once given back: more than the responses a busy instance writes at once. */
const DEFAULT_MAX_FREE = 32;
/**
 * An empty final block (BFINAL 1, fixed Huffman codes, end of block): kept answers end on a sync
 * flush (gzip-replay.ts) so that a closing can follow them, and a one-shot inflate wants the
 * stream's end.
 */
const FINAL_EMPTY_BLOCK = Buffer.from([0x03, 0x00]);

/**
 * The memory that identity replays of compressed answers are inflated into: lent per response
 * and given back once the response is written, so that a replay allocates nothing.
 *
 * Why: a new 63 KB buffer per replay of a Customer 360 page (node:zlib's synchronous inflate
 * always returns memory of its own) set off about eleven full collections a second under W3;
 * with the replays' bytes kept instead, CPU per answer fell from 0.38 to 0.13 ms
 * (docs/performance.md, "Fifth pass"). fflate, because it inflates into a buffer it is given,
 * which node:zlib cannot; it costs ~0.1 ms more per page than zlib, far less than the collections.
 */
export class ReplayBuffers {
  private readonly free: ArrayBufferLike[] = [];
  private readonly lent = new WeakSet<ArrayBufferLike>();
  /** The deflated blocks and the final block, contiguous (inflate reads one input): used synchronously only. */
  private input = Buffer.allocUnsafeSlow(STEP);

  constructor(private readonly maxFree = DEFAULT_MAX_FREE) {}

  /** `size` bytes of a buffer no one else holds until `giveBack`. */
  lend(size: number): Buffer {
    const { free } = this;
    for (let i = free.length - 1; i >= 0; i -= 1) {
      const memory = free[i]!;
      if (memory.byteLength < size) continue;
      free[i] = free[free.length - 1]!;
      free.pop();
      this.lent.add(memory);
      return Buffer.from(memory, 0, size);
    }
    const memory = Buffer.allocUnsafeSlow(Math.ceil(size / STEP) * STEP).buffer;
    this.lent.add(memory);
    return Buffer.from(memory, 0, size);
  }

  /** Whether `bytes` is (a view of) a lent buffer, to give back once written. */
  lends(bytes: Buffer): boolean {
    return this.lent.has(bytes.buffer);
  }

  /** `bytes` (from `lend`) is no longer read: lent again later. Anything else is ignored. */
  giveBack(bytes: Buffer): void {
    const memory = bytes.buffer;
    if (!this.lent.delete(memory)) return;
    if (this.free.length < this.maxFree) this.free.push(memory);
  }

  /**
   * Writes the `length` bytes that `deflated` (raw deflate blocks ending on a sync flush) holds,
   * then `closing`, at the start of `target`, which has room for both.
   */
  inflateInto(target: Buffer, deflated: Buffer, length: number, closing: Buffer): void {
    const inputLength = deflated.length + FINAL_EMPTY_BLOCK.length;
    if (this.input.length < inputLength) this.input = Buffer.allocUnsafeSlow(Math.ceil(inputLength / STEP) * STEP);
    deflated.copy(this.input, 0);
    FINAL_EMPTY_BLOCK.copy(this.input, deflated.length);
    const inflated = inflateSync(this.input.subarray(0, inputLength), { out: target.subarray(0, length) });
    if (inflated.length !== length) throw new Error(`a kept answer inflated to ${inflated.length} bytes, not ${length}`);
    closing.copy(target, length);
  }
}
