import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHubSpotSimulator, SIM_CREDENTIALS, type SimStats, type SimulatorHandle } from '../../../src/simulators/index.ts';
import { OAuthRefreshToken } from '../../../src/upstream/auth/oauth-refresh-token.ts';
import { CallContext } from '../../../src/upstream/call-context.ts';
import { UpstreamReport } from '../../../src/upstream/upstream-report.ts';

describe('OAuth refresh-token credential against the HubSpot simulator', () => {
  let sim: SimulatorHandle;
  beforeAll(async () => {
    sim = await createHubSpotSimulator({ oauth: { accessTokenTtlSeconds: 2 } });
  });
  afterAll(() => sim.close());

  const tokenCalls = async () => {
    const stats = (await (await fetch(`${sim.url}/_sim/stats`)).json()) as SimStats;
    return stats.byRoute['POST /oauth/v1/token']?.['200'] ?? 0;
  };
  const credential = (refreshMarginMs: number, clientSecret = SIM_CREDENTIALS.hubspotClientSecret, now?: () => number) =>
    new OAuthRefreshToken({
      provider: 'hubspot',
      tokenUrl: `${sim.url}/oauth/v1/token`,
      clientId: SIM_CREDENTIALS.hubspotClientId,
      clientSecret,
      refreshToken: SIM_CREDENTIALS.hubspotRefreshToken,
      refreshMarginMs,
      timeoutMs: 1000,
      ...(now ? { now } : {}),
    });
  const call = () => new CallContext(new UpstreamReport(), 2000);

  it('refreshes once for many concurrent callers, and the token works', async () => {
    const oauth = credential(500);
    const before = await tokenCalls();
    const headers = await Promise.all(Array.from({ length: 10 }, () => oauth.authorization(call())));
    expect(new Set(headers).size).toBe(1);
    expect((await tokenCalls()) - before).toBe(1);
    const contact = await fetch(`${sim.url}/crm/v3/objects/contacts/1001`, { headers: { authorization: headers[0]! } });
    expect(contact.status).toBe(200);
    await oauth.close();
  });

  it('refreshes before expiry, and again after renew() (a 401)', async () => {
    let now = 1_000_000;
    const oauth = credential(1500, undefined, () => now); // the 2 s token is refreshed once it has < 1.5 s left
    const before = await tokenCalls();
    await oauth.authorization(call());
    await oauth.authorization(call());
    expect((await tokenCalls()) - before).toBe(1);
    now += 600;
    const refreshed = await oauth.authorization(call());
    expect((await tokenCalls()) - before).toBe(2);
    expect(await oauth.renew(refreshed)).toBe(true);
    await oauth.authorization(call());
    expect((await tokenCalls()) - before).toBe(3);
    await oauth.close();
  });

  it('refreshes once for any number of 401s on the same token, even those that arrive after the refresh', async () => {
    const oauth = credential(500);
    const refused = await oauth.authorization(call());
    const before = await tokenCalls();
    // Ten requests sent with one token are refused together; then a late one, after the refresh.
    await Promise.all(Array.from({ length: 10 }, async () => (await oauth.renew(refused)) && oauth.authorization(call())));
    expect((await tokenCalls()) - before).toBe(1);
    const current = await oauth.authorization(call());
    expect(current).not.toBe(refused);
    await oauth.renew(refused);
    expect(await oauth.authorization(call())).toBe(current);
    expect((await tokenCalls()) - before).toBe(1);
    await oauth.close();
  });

  it('fails with UPSTREAM_UNAUTHORIZED, naming no secret, when the app is refused', async () => {
    const oauth = credential(500, 'wrong-secret-value');
    const failure = await oauth.authorization(call()).catch((error: unknown) => error);
    expect(failure).toMatchObject({ code: 'UPSTREAM_UNAUTHORIZED', provider: 'hubspot' });
    expect(JSON.stringify(failure) + String(failure)).not.toMatch(/wrong-secret-value|refresh-token/);
    await oauth.close();
  });
});
