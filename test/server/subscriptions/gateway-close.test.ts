import { describe, expect, it } from 'vitest';
import { toGlobalId } from '../../../src/model/global-id.ts';
import { eventually } from '../../support/eventually.ts';
import { GatewayStack } from '../../support/gateway-stack.ts';
import { SubscriptionClient } from './subscription-client.ts';

describe('closing the gateway with subscriptions open', () => {
  it('closes every WebSocket with 1001 Going away first, so close() does not wait on them', async () => {
    const stack = await GatewayStack.start();
    const client = new SubscriptionClient(stack.url);
    try {
      const results = client.subscribe('subscription($id: ID!) { customerChanged(id: $id) { id } }', { id: toGlobalId('Customer', stack.dataset.customers[0]!.id) });
      const ended = results.next().catch((error: unknown) => error);
      await eventually(async () => stack.gateway.events.changes.size === 1);
      await stack.close();
      expect(await client.closed).toEqual({ code: 1001, reason: 'Going away' });
      await ended;
      expect(stack.gateway.events.changes.size).toBe(0);
    } finally {
      await client.close();
    }
  });
});
