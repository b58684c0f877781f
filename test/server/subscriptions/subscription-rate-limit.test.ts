import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toGlobalId } from '../../../src/model/global-id.ts';
import { GatewayStack } from '../../support/gateway-stack.ts';
import { SubscriptionClient } from './subscription-client.ts';

describe('subscriptions and the client rate limits', () => {
  let stack: GatewayStack;
  beforeAll(async () => {
    stack = await GatewayStack.start({ CLIENT_RATE_LIMIT_REQUESTS: '3' });
  });
  afterAll(() => stack?.close());

  it('spends a request of the client\'s budget per subscribe, and refuses one past it with RATE_LIMITED', async () => {
    const client = new SubscriptionClient(stack.url);
    const id = toGlobalId('Customer', stack.dataset.customers[0]!.id);
    const subscribe = () => client.subscribe(`subscription($id: ID!) { customerChanged(id: $id) { email } }`, { id });
    const open = [subscribe(), subscribe(), subscribe()];
    for (const results of open) void results.next().catch(() => undefined);
    const refused = await client.once(`subscription($id: ID!) { customerChanged(id: $id) { email } }`, { id });
    expect(refused.errors?.[0]?.extensions?.['code']).toBe('RATE_LIMITED');
    expect((await stack.post('{ __typename }')).status).toBe(429); // the same budget as HTTP
    await client.close();
  });
});
