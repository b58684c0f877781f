import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/**
 * A client's own id is kept when it is short and plain: it goes into every log line of the
 * request and back in a header, so a long or odd one (newlines, quotes, a pasted token) is
 * replaced rather than trusted.
 */
const CLIENT_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * W3C Trace Context §3.2 (https://www.w3.org/TR/trace-context/#traceparent-header): version,
 * 32 hex trace id, 16 hex parent id, 2 hex flags, lowercase. What a later version adds follows
 * a dash after the first 55 characters; version 00 has nothing after them.
 */
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}(-.*)?$/;
const NO_TRACE = '0'.repeat(32);
const NO_PARENT = '0'.repeat(16);

/**
 * The trace id of a `traceparent` OpenTelemetry would continue, else undefined: version ff is
 * invalid (§3.2.2.1), version 00 is exactly 55 characters (§3.2.2.2), and an all-zero trace or
 * parent id names none (§3.2.2.3, §3.2.2.4). A request id naming a trace that was never
 * recorded would send whoever reads the log line looking for it.
 */
export function traceIdOf(traceparent: string): string | undefined {
  const match = TRACEPARENT.exec(traceparent);
  if (!match) return undefined;
  const [, version, traceId, parentId, rest] = match;
  if (version === 'ff' || (version === '00' && rest !== undefined)) return undefined;
  if (traceId === NO_TRACE || parentId === NO_PARENT) return undefined;
  return traceId;
}

/**
 * Fastify's `genReqId`: the client's X-Request-Id when it is a plain one, else the trace id of a
 * valid `traceparent` (so the logs of a traced request are found by its trace), else a random
 * UUID (Node draws those from a cached pool of entropy: no system call per request).
 */
export function requestIdOf(request: IncomingMessage): string {
  const given = request.headers['x-request-id'];
  if (typeof given === 'string' && CLIENT_ID.test(given)) return given;
  const traceparent = request.headers.traceparent;
  const traceId = typeof traceparent === 'string' ? traceIdOf(traceparent) : undefined;
  return traceId ?? randomUUID();
}
