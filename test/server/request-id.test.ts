import { ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { requestIdOf, traceIdOf } from '../../src/server/request-id.ts';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT = '00f067aa0ba902b7';

/** W3C Trace Context §3.2 cases: the header, and whether a participant may continue its trace. */
const CASES: Array<[string, boolean]> = [
  [`00-${TRACE}-${PARENT}-01`, true],
  [`00-${TRACE}-${PARENT}-00`, true],
  [`00-${TRACE}-${PARENT}-01-extra`, false], // version 00 is exactly 55 characters
  [`00-${TRACE}-${PARENT}-01-`, false],
  [`00-${TRACE}-${PARENT}-01x`, false],
  [`00-${'0'.repeat(32)}-${PARENT}-01`, false], // no trace
  [`00-${TRACE}-${'0'.repeat(16)}-01`, false], // no parent
  [`00-${TRACE.toUpperCase()}-${PARENT}-01`, false], // lowercase hex only
  [`ff-${TRACE}-${PARENT}-01`, false],
  [`cc-${TRACE}-${PARENT}-01`, true], // a later version: its first 55 characters are read
  [`cc-${TRACE}-${PARENT}-01-what-later-versions-add`, true],
  [`cc-${TRACE}-${PARENT}-01x`, false], // …only when a dash follows them
  [`00-${TRACE}-${PARENT}`, false],
];

describe('traceparent (W3C Trace Context §3.2)', () => {
  it.each(CASES)('%s: continued %s', (header, valid) => {
    expect(traceIdOf(header)).toBe(valid ? TRACE : undefined);
  });

  it('agrees with OpenTelemetry on which traces are continued, so a request id never names a trace that was not recorded', () => {
    const propagator = new W3CTraceContextPropagator();
    for (const [header] of CASES) {
      const context = propagator.extract(ROOT_CONTEXT, { traceparent: header }, { get: (carrier, key) => carrier[key as 'traceparent'], keys: () => ['traceparent'] });
      const otel = trace.getSpanContext(context)?.traceId;
      expect([header, traceIdOf(header)]).toEqual([header, otel]);
    }
  });

  it('uses a plain X-Request-Id first, then the trace id, then a fresh UUID', () => {
    const request = (headers: Record<string, string>) => ({ headers }) as unknown as IncomingMessage;
    expect(requestIdOf(request({ 'x-request-id': 'abc-1', traceparent: `00-${TRACE}-${PARENT}-01` }))).toBe('abc-1');
    expect(requestIdOf(request({ traceparent: `00-${TRACE}-${PARENT}-01` }))).toBe(TRACE);
    expect(requestIdOf(request({ traceparent: `00-${TRACE}-${'0'.repeat(16)}-01` }))).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-/);
  });
});
