import { inflateSync } from 'fflate';

/** Lent buffers are sized in steps of this, so that one fits the next answer of about the same size. */
const STEP = 16 * 1024;
/** Bytes of buffers kept for the next replays once given back: about 32 Customer 360 pages. */
const DEFAULT_MAX_FREE_BYTES = 2 * 1024 * 1024;
/**
 * An empty final block (BFINAL 1, fixed Huffman codes, end of block): kept answers end on a sync
 * flush (gzip-replay.ts) so that a closing can follow them, and a one-shot inflate wants the
 * stream's end.
 */
const FINAL_EMPTY_BLOCK = Buffer.from([0x03, 0x00]);

/**
 * The memory that identity replays of compressed answers are inflated into: lent per response
 * and given back once the response is written, so that a replay allocates no page-sized buffer
 * (fflate still builds its Huffman tables, ~19 KB of typed arrays per page).
 *
 * Why: a new 63 KB buffer per replay of a Customer 360 page (node:zlib's synchronous inflate
 * always returns memory of its own) set off about eleven full collections a second under W3;
 * with the replays' bytes kept instead, CPU per answer fell from 0.38 to 0.13 ms
 * (docs/performance.md, "Fifth pass"). fflate, because it inflates into a buffer it is given,
 * which node:zlib cannot; it costs ~0.1 ms more per page than zlib, far less than the collections.
 */
export class ReplayBuffers {
  /** Given back, smallest first. */
  private readonly free: ArrayBufferLike[] = [];
  private freeBytes = 0;
  /** The view each lent memory was lent as: only that view gives it back (not a stale one of an earlier loan). */
  private readonly lent = new WeakMap<ArrayBufferLike, Buffer>();
  /** The deflated blocks and the final block, contiguous (inflate reads one input): used synchronously only. */
  private input = Buffer.allocUnsafeSlow(STEP);

  constructor(private readonly maxFreeBytes = DEFAULT_MAX_FREE_BYTES) {}

  /** `size` bytes of a buffer no one else holds until `giveBack`: the smallest given back that fits, or a new one. */
  lend(size: number): Buffer {
    const { free } = this;
    let memory: ArrayBufferLike | undefined;
    const fit = free.findIndex((candidate) => candidate.byteLength >= size);
    if (fit >= 0) {
      memory = free.splice(fit, 1)[0]!;
      this.freeBytes -= memory.byteLength;
    } else {
      memory = Buffer.allocUnsafeSlow(Math.ceil(size / STEP) * STEP).buffer;
    }
    const bytes = Buffer.from(memory, 0, size);
    this.lent.set(memory, bytes);
    return bytes;
  }

  /** Whether `bytes` is a buffer lent (and not yet given back), to give back once written. */
  lends(bytes: Buffer): boolean {
    return this.lent.get(bytes.buffer) === bytes;
  }

  /** `bytes` (from `lend`) is no longer read: lent again later. Anything else is ignored. */
  giveBack(bytes: Buffer): void {
    const memory = bytes.buffer;
    if (this.lent.get(memory) !== bytes) return;
    this.lent.delete(memory);
    if (this.freeBytes + memory.byteLength > this.maxFreeBytes) return;
    const at = this.free.findIndex((candidate) => candidate.byteLength >= memory.byteLength);
    this.free.splice(at < 0 ? this.free.length : at, 0, memory);
    this.freeBytes += memory.byteLength;
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
