import { constants, crc32, deflateRawSync } from 'node:zlib';
import { GZIP_LEVEL } from './compression.ts';
import { ownBytes } from './own-bytes.ts';

/**
 * A kept answer's data, compressed once so that each replay sends gzip for little more than the
 * cost of its identity bytes: compressing a 62 KB Customer 360 page again on every replay tripled
 * a replay's CPU (0.19 ms identity, 0.55 to 0.61 ms compressed).
 */
export interface GzipPrefix {
  /** Raw deflate blocks (RFC 1951) of the data, none of them final, ending on a byte boundary. */
  readonly deflated: Buffer;
  /** CRC-32 of the data, which the trailer continues over the closing. */
  readonly crc: number;
  /** Bytes of the data (uncompressed). */
  readonly length: number;
}

/**
 * A sync flush ends the blocks with an empty stored block, so the stream stops byte-aligned and
 * with no final block: another deflate stream may follow it directly.
 */
export function gzipPrefixOf(data: Buffer, level = GZIP_LEVEL): GzipPrefix {
  const deflated = deflateRawSync(data, { level, finishFlush: constants.Z_SYNC_FLUSH });
  return { deflated: ownBytes(deflated), crc: crc32(data), length: data.length };
}

/**
 * One single-member gzip stream (RFC 1952) of `data` + `closing`: header, the kept blocks, the
 * closing as a complete raw deflate stream whose last block is final, and the trailer over both.
 * The closing's blocks refer to nothing before their own bytes, and a deflate decoder reads
 * block after block with no notion of where a compressor started, so the concatenation is one
 * valid deflate stream (RFC 1951 §3.2.3).
 */
export function gzipAnswer(prefix: GzipPrefix, closing: Buffer): Buffer {
  const last = finalBlocksOf(closing);
  const answer = Buffer.allocUnsafe(GZIP_HEADER.length + prefix.deflated.length + last.length + TRAILER_BYTES);
  let at = GZIP_HEADER.copy(answer, 0);
  at += prefix.deflated.copy(answer, at);
  at += last.copy(answer, at);
  // RFC 1952 §2.3.1: CRC-32, then the size of the input modulo 2^32, both little-endian.
  at = answer.writeUInt32LE(crcAfter(prefix.crc, closing), at);
  answer.writeUInt32LE((prefix.length + closing.length) >>> 0, at);
  return answer;
}

/**
 * Whether `Accept-Encoding` (RFC 9110 §12.5.3) accepts gzip: named (or `x-gzip`, its alias) with
 * a weight above 0, or not named and `*` accepted. No header, or an empty one, gets identity, as
 * @fastify/compress gives it, and so does `x-no-compression`, which the plugin honours too.
 */
export function acceptsGzip(acceptEncoding: string | undefined, noCompression: boolean): boolean {
  if (noCompression || acceptEncoding === undefined) return false;
  let any: boolean | undefined;
  for (const entry of acceptEncoding.split(',')) {
    const [coding = '', ...parameters] = entry.split(';');
    const name = coding.trim().toLowerCase();
    if (name !== 'gzip' && name !== 'x-gzip' && name !== '*') continue;
    const accepted = weightOf(parameters) > 0;
    if (name !== '*') return accepted;
    any = accepted;
  }
  return any === true;
}

// Private:

/** ID1 ID2, CM 8 (deflate), no flags, no MTIME, no XFL, OS 255 (unknown): RFC 1952 §2.3. */
const GZIP_HEADER = Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff]);
const TRAILER_BYTES = 8;

/**
 * The closing's deflate stream, made once per closing: a replay's closing is one of a few shared
 * buffers (create-gateway.ts keeps one per zero report and estimate), and deflating 200 bytes
 * took about 20 µs (zlib sets up its window and hash tables each time), where assembling a whole
 * 62 KB answer's gzip took 2 µs and copying its identity bytes 4 µs.
 */
const finalBlocks = new WeakMap<Buffer, Buffer>();

function finalBlocksOf(closing: Buffer): Buffer {
  let blocks = finalBlocks.get(closing);
  if (blocks === undefined) finalBlocks.set(closing, (blocks = ownBytes(deflateRawSync(closing, { level: GZIP_LEVEL }))));
  return blocks;
}

/**
 * `crc` continued over `bytes`. Not called on no bytes: an empty buffer may have no memory behind
 * it, and zlib's crc32 given no buffer answers its initial value, 0, whatever `crc` was (Node 20).
 */
function crcAfter(crc: number, bytes: Buffer): number {
  return bytes.length === 0 ? crc : crc32(bytes, crc);
}

/** A coding's `q` (RFC 9110 §12.4.2), 1 when absent; a malformed one refuses, as identity is always safe. */
function weightOf(parameters: string[]): number {
  for (const parameter of parameters) {
    const [name = '', value = ''] = parameter.split('=');
    if (name.trim().toLowerCase() !== 'q') continue;
    return /^\s*(?:0(?:\.\d{0,3})?|1(?:\.0{0,3})?)\s*$/u.test(value) ? Number(value) : 0;
  }
  return 1;
}
