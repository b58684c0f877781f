import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  buildDataset,
  createHubSpotSimulator,
  DatasetLookup,
  SIM_CREDENTIALS,
  type SimulatorHandle,
} from '../../src/simulators/index.ts';
import { simAdmin } from './sim-admin.ts';

const dataset = buildDataset();
const lookup = new DatasetLookup(dataset);
const bearer = { authorization: `Bearer ${SIM_CREDENTIALS.hubspotToken}` };
let now = Date.UTC(2026, 0, 1, 12);
let sim: SimulatorHandle;
let admin: ReturnType<typeof simAdmin>;

beforeAll(async () => {
  sim = await createHubSpotSimulator({ dataset, clock: () => now, rateLimit: { daily: 50 } });
  admin = simAdmin(sim.url);
});
afterAll(() => sim.close());
beforeEach(async () => {
  now += 60_000;
  await admin.reset();
});

const get = (path: string, headers: Record<string, string> = bearer) => fetch(`${sim.url}${path}`, { headers });
const post = (path: string, body: unknown, headers: Record<string, string> = bearer) =>
  fetch(`${sim.url}${path}`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(body) });

async function accessToken(): Promise<string> {
  const form = new URLSearchParams({
    grant_type: 'refresh_token',
    client_id: SIM_CREDENTIALS.hubspotClientId,
    client_secret: SIM_CREDENTIALS.hubspotClientSecret,
    refresh_token: SIM_CREDENTIALS.hubspotRefreshToken,
  });
  const response = await fetch(`${sim.url}/oauth/v1/token`, { method: 'POST', body: form });
  return ((await response.json()) as { access_token: string }).access_token;
}

describe('HubSpot simulator on the wire', () => {
  it('lists contacts with an after cursor and no paging on the last page', async () => {
    const ids: string[] = [];
    let after: string | undefined;
    for (;;) {
      const response = await get(`/crm/v3/objects/contacts?limit=100${after ? `&after=${after}` : ''}&properties=email,firstname`);
      const page = (await response.json()) as { results: Array<{ id: string; properties: object }>; paging?: { next: { after: string } } };
      ids.push(...page.results.map((r) => r.id));
      if (!page.paging) break;
      after = page.paging.next.after;
    }
    expect(ids).toEqual(dataset.hubspot.contacts.map((c) => c.id));
  });

  it('sends the default properties when none are asked for', async () => {
    const deal = dataset.hubspot.deals[0]!;
    const body = (await (await get(`/crm/v3/objects/deals/${deal.id}`)).json()) as { properties: Record<string, unknown> };
    expect(Object.keys(body.properties).sort()).toEqual(
      ['amount', 'closedate', 'createdate', 'dealname', 'dealstage', 'hs_lastmodifieddate', 'hs_object_id', 'pipeline'],
    );
  });

  it('lists the deals of one contact with v4 associations', async () => {
    const contact = dataset.hubspot.contacts.find((c) => lookup.dealsOfContact(c.id).length === 2)!;
    const body = (await (await get(`/crm/v4/objects/contacts/${contact.id}/associations/deals?limit=1`)).json()) as {
      results: Array<{ toObjectId: number }>;
      paging?: { next: { after: string } };
    };
    expect(body.results.map((r) => String(r.toObjectId))).toEqual([lookup.dealsOfContact(contact.id)[0]!.id]);
    expect(body.paging?.next.after).toBeDefined();
  });

  it('pages each input of the associations batch read on its own, and takes its cursor back beside the id', async () => {
    await admin.faults({ associationPageSize: 1 });
    const two = dataset.hubspot.contacts.filter((c) => lookup.dealsOfContact(c.id).length === 2).slice(0, 2);
    const one = dataset.hubspot.contacts.find((c) => lookup.dealsOfContact(c.id).length === 1)!;
    type Batch = { results: Array<{ from: { id: string }; to: Array<{ toObjectId: number }>; paging?: { next: { after: string; link: string } } }> };
    const read = async (inputs: Array<{ id: string; after?: string }>) =>
      (await (await post('/crm/v4/associations/contacts/deals/batch/read', { inputs })).json()) as Batch;

    const first = await read([...two, one].map((c) => ({ id: c.id })));
    const byContact = new Map(first.results.map((r) => [r.from.id, r]));
    expect(byContact.get(one.id)?.paging).toBeUndefined();
    const next = two.map((c) => ({ id: c.id, after: byContact.get(c.id)!.paging!.next.after }));
    // The cursor is opaque, as HubSpot's is: not the id of the last association.
    expect(next.map((input) => input.after)).not.toContain(String(lookup.dealsOfContact(two[0]!.id)[0]!.id));

    const second = await read(next);
    const deals = (c: { id: string }) =>
      [first, second].flatMap((b) => b.results.filter((r) => r.from.id === c.id).flatMap((r) => r.to.map((t) => String(t.toObjectId))));
    for (const contact of [...two, one]) expect(deals(contact)).toEqual(lookup.dealsOfContact(contact.id).map((d) => d.id));
    expect(second.results.every((r) => r.paging === undefined)).toBe(true);

    const bad = await post('/crm/v4/associations/contacts/deals/batch/read', { inputs: [{ id: one.id, after: 'not-a-cursor' }] });
    expect(bad.status).toBe(400);
  });

  it('rejects batches over 100 inputs with a 400 VALIDATION_ERROR', async () => {
    const inputs = Array.from({ length: 101 }, (_, i) => ({ id: String(1001 + i) }));
    for (const path of ['/crm/v3/objects/contacts/batch/read', '/crm/v4/associations/contacts/deals/batch/read']) {
      const response = await post(path, { inputs, properties: [] });
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ status: 'error', category: 'VALIDATION_ERROR' });
    }
  });

  it('announces its budgets on every response and enforces the rolling ten seconds', async () => {
    await admin.faults({ rateLimit: { limit: 3, windowMs: 10_000 } });
    const first = await get('/crm/v3/objects/contacts/1001');
    expect(Object.fromEntries([...first.headers].filter(([name]) => name.startsWith('x-hubspot-ratelimit')))).toEqual({
      'x-hubspot-ratelimit-max': '3',
      'x-hubspot-ratelimit-remaining': '2',
      'x-hubspot-ratelimit-interval-milliseconds': '10000',
      'x-hubspot-ratelimit-daily': '50',
      'x-hubspot-ratelimit-daily-remaining': '49',
    });
    now += 6_000;
    await get('/crm/v3/objects/contacts/1001');
    await get('/crm/v3/objects/contacts/1001');
    const limited = await get('/crm/v3/objects/contacts/1001');
    expect(limited.status).toBe(429);
    expect(await limited.json()).toMatchObject({ errorType: 'RATE_LIMIT', policyName: 'TEN_SECONDLY_ROLLING' });
    now += 4_001; // the first request has left the rolling window, the other two have not
    expect((await get('/crm/v3/objects/contacts/1001')).status).toBe(200);
    expect((await get('/crm/v3/objects/contacts/1001')).status).toBe(429);
  });

  it('answers 429 DAILY once the daily budget is spent', async () => {
    await admin.faults({ rateLimit: { limit: 1000, windowMs: 10_000 } });
    for (let i = 0; i < 50; i++) await get('/crm/v3/objects/contacts/1001');
    const limited = await get('/crm/v3/objects/contacts/1001');
    expect(limited.status).toBe(429);
    expect(await limited.json()).toMatchObject({ policyName: 'DAILY', message: 'You have reached your daily limit.' });
  });

  it('sends OAuth calls the ten-second headers only, and holds them to no daily budget', async () => {
    await admin.faults({ rateLimit: { limit: 1000, windowMs: 10_000 } });
    const oauth = { authorization: `Bearer ${await accessToken()}` };
    const rateLimitHeaders = (response: Response) =>
      Object.fromEntries([...response.headers].filter(([name]) => name.startsWith('x-hubspot-ratelimit')));
    expect(rateLimitHeaders(await get('/crm/v3/objects/contacts/1001', oauth))).toEqual({
      'x-hubspot-ratelimit-max': '1000',
      'x-hubspot-ratelimit-remaining': '999',
      'x-hubspot-ratelimit-interval-milliseconds': '10000',
    });
    // Past the private app's daily budget of 50, OAuth calls still go through.
    for (let i = 0; i < 50; i++) await get('/crm/v3/objects/contacts/1001', oauth);
    expect((await get('/crm/v3/objects/contacts/1001', oauth)).status).toBe(200);
  });

  it('shares one budget between the access tokens of one installation', async () => {
    await admin.faults({ rateLimit: { limit: 2, windowMs: 10_000 } });
    const first = await accessToken();
    const second = await accessToken();
    expect(first).not.toBe(second);
    expect((await get('/crm/v3/objects/contacts/1001', { authorization: `Bearer ${first}` })).status).toBe(200);
    expect((await get('/crm/v3/objects/contacts/1001', { authorization: `Bearer ${second}` })).status).toBe(200);
    expect((await get('/crm/v3/objects/contacts/1001', { authorization: `Bearer ${second}` })).status).toBe(429);
    expect((await get('/crm/v3/objects/contacts/1001')).status).toBe(200);
  });

  it('treats every OAuth token as expired under the expireTokens fault, but not private app tokens', async () => {
    const token = await accessToken();
    await admin.faults({ expireTokens: true });
    const expired = await get('/crm/v3/objects/contacts/1001', { authorization: `Bearer ${token}` });
    expect(expired.status).toBe(401);
    expect(await expired.json()).toMatchObject({ status: 'error', category: 'EXPIRED_AUTHENTICATION' });
    expect((await get('/crm/v3/objects/contacts/1001')).status).toBe(200);
    await admin.reset();
    const forgotten = await get('/crm/v3/objects/contacts/1001', { authorization: `Bearer ${token}` });
    expect(await forgotten.json()).toMatchObject({ category: 'INVALID_AUTHENTICATION' });
  });
});
