import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { GatewayTracing } from '../../src/ops/tracing.ts';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT = '00f067aa0ba902b7';

describe('what a provider call is told of its trace', () => {
  it('continues the caller\'s trace in traceparent and sends none of the caller\'s tracestate', async () => {
    const tracing = GatewayTracing.start({ exporter: new InMemorySpanExporter() })!;
    const incoming: Record<string, string> = { traceparent: `00-${TRACE}-${PARENT}-01`, tracestate: 'vendor=secret-session,other=x' };
    const operation = tracing.startOperation('query Page', (name) => incoming[name], {});
    const attempt = operation.child('GET stripe.charges', {}, 'client');
    const headers = attempt.traceHeaders();
    expect(Object.keys(headers)).toEqual(['traceparent']);
    expect(headers['traceparent']).toMatch(new RegExp(`^00-${TRACE}-[0-9a-f]{16}-01$`));
    attempt.end();
    operation.end();
    await tracing.shutdown();
  });
});
