import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { timeChain } from '../../bench/providers-chain.ts';
import { SimAdmin } from '../../bench/sim-admin.ts';
import type { SimulatorAddresses } from '../../bench/simulators-process.ts';
import { faults, raisedLimits } from '../../bench/start-system.ts';
import { buildWorkloads } from '../../bench/workloads.ts';
import { startSimulators, type SimulatorSet } from '../../src/simulators/index.ts';
import { GatewayStack } from '../support/gateway-stack.ts';

type Provider = 'customers' | 'stripe' | 'hubspot';
const PROVIDERS: readonly Provider[] = ['customers', 'stripe', 'hubspot'];

/**
 * The chain is the floor only if it makes Tributary's calls, no fewer: each provider's requests,
 * by route, for one operation of Tributary with nothing kept, and for one of the chain.
 */
describe("the providers' chain", () => {
  let simulators: SimulatorSet;
  let stack: GatewayStack;
  let addresses: SimulatorAddresses;
  const workloads = buildWorkloads(10);

  beforeAll(async () => {
    simulators = await startSimulators({ host: '127.0.0.1' });
    const { customers, stripe, hubspot, credentials } = simulators;
    addresses = { customers: customers.url, stripe: stripe.url, hubspot: hubspot.url, credentials };
    // As the bench runs them: budgets no operation reaches, on both sides, so that no call is a retry.
    const limits = raisedLimits();
    await new SimAdmin(addresses).resetWith(faults(0, limits));
    stack = await GatewayStack.startRemote(simulators, {
      CACHE_ENABLED: 'false',
      ...Object.fromEntries(
        (['customers', 'stripe', 'hubspot'] as const).flatMap((p) => [
          [`${p.toUpperCase()}_RATE_LIMIT`, String(limits[p].limit)],
          [`${p.toUpperCase()}_RATE_WINDOW_MS`, String(limits[p].windowMs)],
        ]),
      ),
    });
  });

  afterAll(async () => {
    await stack?.close();
    await simulators?.close();
  });

  /**
   * Requests by route (method and path template), and the bytes each provider answered: equal
   * bytes for equal counts mean the same query strings and bodies (a page size, a property list,
   * a deal left out would change what comes back).
   */
  async function routes(): Promise<Record<string, number>> {
    const counts: Record<string, number> = {};
    for (const provider of PROVIDERS) {
      const stats = await stack.simStats(provider);
      for (const [route, statuses] of Object.entries(stats.byRoute)) {
        counts[`${provider} ${route}`] = Object.values(statuses).reduce((a, b) => a + b, 0);
      }
      counts[`${provider} bytes answered`] = stats.bytesSent;
    }
    return counts;
  }

  function difference(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
    return Object.fromEntries(Object.entries(after).flatMap(([route, n]) => (n - (before[route] ?? 0) > 0 ? [[route, n - (before[route] ?? 0)]] : [])));
  }

  it.each(['W1', 'W2'] as const)('makes the calls tributary (cold) makes for one %s operation, route by route', async (id) => {
    const workload = workloads[id];
    const { query, variables } = JSON.parse(workload.bodies[0]!) as { query: string; variables: Record<string, unknown> };

    const beforeGateway = await routes();
    const answer = await stack.query(query, variables);
    expect(answer.errors).toBeUndefined();
    const gateway = difference(beforeGateway, await routes());

    const beforeChain = await routes();
    const { samplesMs, sent } = await timeChain(addresses, { ...workload, id }, { count: 1, warmUp: 0 });
    const chain = difference(beforeChain, await routes());

    expect(samplesMs).toHaveLength(1);
    expect(chain).toEqual(gateway);
    expect(sent.customers + sent.stripe + sent.hubspot).toBe(Object.entries(gateway).reduce((a, [route, n]) => (route.endsWith('bytes answered') ? a : a + n), 0));
    // W1 fans out: one Stripe list per linked customer and HubSpot's four batch reads.
    if (id === 'W1') expect(gateway['stripe GET /v1/charges']).toBeGreaterThan(10);
  });
});
