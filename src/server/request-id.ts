import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/**
 * A client's own id is kept when it is short and plain: it goes into every log line of the
 * request and back in a header, so a long or odd one (newlines, quotes, a pasted token) is
 * replaced rather than trusted.
 */
const CLIENT_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * W3C Trace Context §3.2: version, 32 hex trace id, 16 hex parent id, flags. Version ff is
 * invalid and an all-zero trace id means none (§3.2.2.3).
 */
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}(?:-.*)?$/;
const NO_TRACE = '0'.repeat(32);

/**
 * Fastify's `genReqId`: the client's X-Request-Id when it is a plain one, else the trace id of a
 * valid `traceparent` (so the logs of a traced request are found by its trace), else a random
 * UUID (Node draws those from a cached pool of entropy: no system call per request).
 */
export function requestIdOf(request: IncomingMessage): string {
  const given = request.headers['x-request-id'];
  if (typeof given === 'string' && CLIENT_ID.test(given)) return given;
  const traceparent = request.headers.traceparent;
  if (typeof traceparent === 'string') {
    const match = TRACEPARENT.exec(traceparent);
    if (match && match[1] !== 'ff' && match[2] !== NO_TRACE) return match[2]!;
  }
  return randomUUID();
}
