import { constants } from 'node:zlib';
import fastifyCompress from '@fastify/compress';
import type { FastifyInstance } from 'fastify';
import type { GatewayConfig } from '../config.ts';

/**
 * Levels for a live API, where every answer is compressed as it is sent and never again. On a
 * 62 KiB Customer 360 answer (50 customers) on the bench machine: brotli quality 3 made it 5.7×
 * smaller for about 0.3 ms of CPU, quality 4 (the plugin's default) 5.9× for 0.5 ms, 6 6.4× for
 * 1.5 ms, 11 (zlib's default) 7.2× for 78 ms; gzip level 3 5.4× for 0.25 ms, level 6 (zlib's
 * default) 5.9× for 0.8 ms. Levels 1 to 3 of gzip share the fast deflate strategy, so 3 costs
 * what 1 does.
 */
const BROTLI_QUALITY = 3;
export const GZIP_LEVEL = 3; // also the result cache's gzip replays' (gzip-replay.ts)

/**
 * Answers up to this size are compressed in one synchronous call, larger ones through the
 * plugin's stream pipeline on libuv's threads. The plugin's default on a 2-core host is 8 KiB, so
 * a Customer 360 page took the stream path, which cost 5 to 6 ms of CPU per answer in brotli
 * (1 to 1.5 ms in gzip) against 0.5 to 0.9 ms in one call, and served brotli 5 to 7 times fewer
 * answers a second (a bare Fastify sending that page, measured in process). At these levels one
 * call holds the event loop 5 to 8 µs per KiB: up to 2 ms at this bound.
 */
export const SYNC_MAX_BYTES = 256 * 1024; // 256 KiB

/**
 * What may be compressed: JSON (GraphQL answers, /readyz, errors) and text (the ops page and its
 * scripts, /metrics). Never `text/event-stream`: the ops feed must reach the browser event by
 * event, and a compressor holds bytes back until its block fills. (/ops/stream is hijacked, which
 * skips every onSend hook; this keeps a later stream that is not from being held back too.) The
 * plugin also compresses what mime-db calls compressible; the gateway sends no such other type.
 */
const COMPRESSIBLE = /^(?:text\/(?!event-stream)|application\/(?:[\w.+-]+\+)?json(?:;|$))/u;

/**
 * Answers compressed with brotli or gzip, as the request's Accept-Encoding prefers, once they
 * reach `thresholdBytes`; smaller ones are sent as they are, since the framing would eat the
 * saving. Registered before every route: the plugin adds its onSend hook to each route as it is
 * declared, after the gateway's own onSend hooks, so the result cache keeps identity bytes and
 * the compressed ones only go to the socket.
 *
 * Every answer of a compressible type carries `Vary: accept-encoding`, the identity and the small
 * ones included, as Express's `compression` does: a shared cache must not give a gzip answer to a
 * client that asked for none (RFC 9110 §12.5.5). Request bodies are not decompressed: webhook
 * signatures are over the bytes as sent, and no client of the gateway compresses what it sends.
 */
export async function registerCompression(fastify: FastifyInstance, compression: GatewayConfig['compression']): Promise<void> {
  if (!compression.enabled) return;
  // Before the plugin's own hook, which every route gets after the application's hooks.
  fastify.addHook('onSend', (_request, reply, payload, done) => {
    if (COMPRESSIBLE.test(String(reply.getHeader('content-type') ?? ''))) addVary(reply.getHeader('vary'), (value) => void reply.header('vary', value));
    // A 304 has no content (RFC 9110 §15.4.5), yet the plugin would label it br: a cache that
    // freshens its stored identity copy with the 304's headers (RFC 9111 §4.3.4) would then
    // mislabel that copy. No route here answers 304 today; one that does stays correct.
    done(null, reply.statusCode === 304 ? null : payload);
  });
  await fastify.register(fastifyCompress, {
    encodings: ['br', 'gzip'],
    threshold: compression.thresholdBytes,
    syncThreshold: SYNC_MAX_BYTES,
    customTypes: COMPRESSIBLE,
    brotliOptions: { params: { [constants.BROTLI_PARAM_QUALITY]: BROTLI_QUALITY } },
    zlibOptions: { level: GZIP_LEVEL },
    globalDecompression: false,
  });
}

/** `accept-encoding` added to a Vary header once, in the lower case the plugin looks for. */
function addVary(current: unknown, set: (value: string) => void): void {
  const values = current === undefined ? [] : Array.isArray(current) ? current.map(String) : [String(current)];
  if (values.some((value) => /(?:^|,)\s*(?:accept-encoding|\*)\s*(?:,|$)/iu.test(value))) return;
  set([...values, 'accept-encoding'].join(', '));
}
