import { describe, expect, it } from 'vitest';
import { request } from 'undici';
import { GatewayStack } from '../support/gateway-stack.ts';

const SLOW_PAGE = '{ customers(first: 2) { edges { node { name payments(first: 1) { edges { node { id } } } } } } }';

async function status(stack: GatewayStack, path: string): Promise<number> {
  const response = await request(new URL(path, stack.url));
  await response.body.dump();
  return response.statusCode;
}

describe('readiness when shutting down', () => {
  it('answers 503 on /readyz as soon as shutdown begins, while everything else is still served', async () => {
    const stack = await GatewayStack.start();
    try {
      expect(await status(stack, '/readyz')).toBe(200);
      stack.gateway.beginShutdown();
      expect(await status(stack, '/readyz')).toBe(503);
      expect(await status(stack, '/healthz')).toBe(200);
      const answer = await stack.post('{ customers(first: 1) { edges { node { name } } } }');
      expect([answer.status, answer.body.errors]).toEqual([200, undefined]);
    } finally {
      await stack.close();
    }
  });

  it('during close, with a slow request in flight: /readyz answers 503 and the slow request still gets its answer', async () => {
    // The grace is what a load balancer needs to notice; the listener stays open through it.
    const stack = await GatewayStack.start({ SHUTDOWN_GRACE_MS: '1000', UPSTREAM_TIMEOUT_MS: '5000', OPERATION_DEADLINE_MS: '10000' });
    let closed: Promise<void> | undefined;
    try {
      // Slower than the grace: the request still runs when the listener closes, and holds the drain.
      await stack.simAdmin('stripe', 'faults', { latencyMs: 1500 });
      const slow = stack.post(SLOW_PAGE);
      // Sent before close() begins; it reaches a listener that stays open through the grace.
      closed = stack.close();
      expect(await status(stack, '/readyz')).toBe(503);
      const answer = await slow;
      expect(answer.status).toBe(200);
      expect(answer.body.errors).toBeUndefined();
      // Its socket closes with it, instead of holding the drain until the drain plugin cuts it.
      expect(answer.headers.connection).toBe('close');
    } finally {
      await (closed ?? stack.close());
    }
  });
});
