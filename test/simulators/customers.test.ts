import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  buildDataset,
  createCustomersSimulator,
  SIM_CREDENTIALS,
  type SimulatorHandle,
} from '../../src/simulators/index.ts';
import { simAdmin } from './sim-admin.ts';

const dataset = buildDataset();
const auth = { authorization: `Bearer ${SIM_CREDENTIALS.customersToken}` };
let sim: SimulatorHandle;
let admin: ReturnType<typeof simAdmin>;

beforeAll(async () => {
  sim = await createCustomersSimulator({ dataset, extraCredentials: ['second-tenant-token'] });
  admin = simAdmin(sim.url);
});
afterAll(() => sim.close());
beforeEach(() => admin.reset());

const get = (path: string, headers: Record<string, string> = {}) => fetch(`${sim.url}${path}`, { headers: { ...auth, ...headers } });
const batchGet = (body: unknown) =>
  fetch(`${sim.url}/v1/customers/batch-get`, {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

describe('customer service: GET /v1/customers/{id}', () => {
  it('answers the record with weak ETag, Last-Modified and Cache-Control', async () => {
    const record = dataset.customers[1]!;
    const response = await get(`/v1/customers/${record.id}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('etag')).toBe(`W/"${record.id}-v${record.version}"`);
    expect(response.headers.get('last-modified')).toBe(new Date(record.updatedAt).toUTCString());
    expect(response.headers.get('cache-control')).toBe('private, max-age=60');
    expect(await response.json()).toEqual(record);
  });

  it('answers 304 with the same validators when If-None-Match matches weakly, in a list or as *', async () => {
    const record = dataset.customers[0]!;
    const etag = `W/"${record.id}-v${record.version}"`;
    for (const ifNoneMatch of [etag, `"${record.id}-v${record.version}"`, `"other", ${etag}`, '*']) {
      const response = await get(`/v1/customers/${record.id}`, { 'if-none-match': ifNoneMatch });
      expect(response.status).toBe(304);
      expect(response.headers.get('etag')).toBe(etag);
      expect(response.headers.get('cache-control')).toBe('private, max-age=60');
      expect(await response.text()).toBe('');
    }
    const stale = await get(`/v1/customers/${record.id}`, { 'if-none-match': `W/"${record.id}-v${record.version + 1}"` });
    expect(stale.status).toBe(200);
  });

  it('uses If-Modified-Since only without If-None-Match', async () => {
    const record = dataset.customers[2]!;
    const lastModified = new Date(record.updatedAt).toUTCString();
    expect((await get(`/v1/customers/${record.id}`, { 'if-modified-since': lastModified })).status).toBe(304);
    const earlier = new Date(Date.parse(record.updatedAt) - 1000).toUTCString();
    expect((await get(`/v1/customers/${record.id}`, { 'if-modified-since': earlier })).status).toBe(200);
    const both = await get(`/v1/customers/${record.id}`, { 'if-modified-since': lastModified, 'if-none-match': 'W/"nope"' });
    expect(both.status).toBe(200);
  });

  it('answers 404 not_found for an unknown id and 401 without a known token', async () => {
    const missing = await get('/v1/customers/cust_9999');
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: { code: 'not_found', message: "No customer with id 'cust_9999'" } });
    const anonymous = await fetch(`${sim.url}/v1/customers/cust_0001`);
    expect(anonymous.status).toBe(401);
    expect(((await anonymous.json()) as { error: { code: string } }).error.code).toBe('unauthorized');
    const tenant = await fetch(`${sim.url}/v1/customers/cust_0001`, { headers: { authorization: 'Bearer second-tenant-token' } });
    expect(tenant.status).toBe(200);
  });
});

describe('customer service: POST /v1/customers/batch-get', () => {
  it('answers data in ids order with etags, dedupes, and lists missing and notModified ids', async () => {
    const [a, b, c] = dataset.customers;
    const response = await batchGet({
      ids: [c!.id, 'cust_nope', a!.id, c!.id, b!.id],
      known: { [b!.id]: `W/"${b!.id}-v${b!.version}"`, [a!.id]: `W/"${a!.id}-v0"` },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('private, max-age=60');
    expect(response.headers.get('etag')).toBeNull();
    const body = (await response.json()) as { data: Array<{ id: string; etag: string }>; notModified: string[]; missing: string[] };
    expect(body.data.map((r) => r.id)).toEqual([c!.id, a!.id]);
    expect(body.data[0]!.etag).toBe(`W/"${c!.id}-v${c!.version}"`);
    expect(body.notModified).toEqual([b!.id]);
    expect(body.missing).toEqual(['cust_nope']);
  });

  it('rejects an empty, oversized or malformed body with 400 invalid_request', async () => {
    const ids = Array.from({ length: 101 }, (_, i) => dataset.customers[i]!.id);
    for (const body of [{ ids: [] }, { ids }, { ids: 'cust_0001' }, [1, 2], { ids: ['cust_0001'], known: [] }]) {
      const response = await batchGet(body);
      expect(response.status).toBe(400);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe('invalid_request');
    }
    expect((await batchGet({ ids: ids.slice(0, 100) })).status).toBe(200);
  });
});

describe('customer service: GET /v1/customers', () => {
  it('resumes after any id with startingAfter, and refuses unknown parameters', async () => {
    const response = await get(`/v1/customers?limit=2&startingAfter=${dataset.customers[4]!.id}`);
    const page = (await response.json()) as { data: Array<{ id: string }> };
    expect(page.data.map((r) => r.id)).toEqual(dataset.customers.slice(5, 7).map((c) => c.id));
    const both = await get(`/v1/customers?startingAfter=cust_0001&cursor=abc`);
    expect(both.status).toBe(400);
    const unknown = await get(`/v1/customers?sort=desc`);
    expect(unknown.status).toBe(400);
    expect(await unknown.json()).toMatchObject({ error: { code: 'invalid_request' } });
  });

  it('pages through every customer in id order with opaque cursors', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor ? `limit=100&cursor=${cursor}` : 'limit=100';
      const response = await get(`/v1/customers?${query}`);
      expect(response.status).toBe(200);
      expect(response.headers.get('etag')).toMatch(/^W\/"/);
      const page = (await response.json()) as { data: Array<{ id: string }>; nextCursor: string | null };
      seen.push(...page.data.map((r) => r.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual(dataset.customers.map((c) => c.id));
  });

  it('defaults to 20, filters by email case-insensitively and by refs, and revalidates pages', async () => {
    const first = (await (await get('/v1/customers')).json()) as { data: unknown[] };
    expect(first.data).toHaveLength(20);
    const target = dataset.customers.find((c) => c.id >= 'cust_0040' && c.externalRefs.stripe)!;
    const byEmail = await get(`/v1/customers?email=${encodeURIComponent(target.email.toUpperCase())}`);
    expect(((await byEmail.json()) as { data: Array<{ id: string }> }).data.map((r) => r.id)).toEqual([target.id]);
    const byRef = (await (await get(`/v1/customers?stripeRef=${target.externalRefs.stripe}`)).json()) as { data: unknown[] };
    expect(byRef.data).toEqual([{ ...target, etag: `W/"${target.id}-v${target.version}"` }]);
    const linked = dataset.customers.filter((c) => c.externalRefs.hubspot === '1001');
    const byHubspot = (await (await get('/v1/customers?hubspotRef=1001')).json()) as { data: Array<{ id: string }> };
    expect(byHubspot.data.map((r) => r.id)).toEqual(linked.map((c) => c.id));
    const page = await get('/v1/customers?limit=5');
    const again = await get('/v1/customers?limit=5', { 'if-none-match': page.headers.get('etag')! });
    expect(again.status).toBe(304);
  });

  it('rejects a bad limit or a malformed cursor with 400 invalid_request', async () => {
    for (const query of ['limit=0', 'limit=101', 'limit=ten', 'cursor=%%%', 'cursor=bm90LWpzb24']) {
      const response = await get(`/v1/customers?${query}`);
      expect(response.status, query).toBe(400);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe('invalid_request');
    }
  });
});

describe('customer service: rate limits and stats', () => {
  it('announces IETF RateLimit fields and answers 429 with Retry-After when over budget', async () => {
    const ok = await get('/v1/customers/cust_0001');
    expect(ok.headers.get('ratelimit-policy')).toBe('"default";q=100;w=1');
    expect(ok.headers.get('ratelimit')).toMatch(/^"default";r=99;t=1$/);

    expect((await admin.faults({ rateLimit: { limit: 2, windowMs: 60_000 } })).status).toBe(200);
    await get('/v1/customers/cust_0001');
    await get('/v1/customers/cust_0001');
    const limited = await get('/v1/customers/cust_0001');
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(limited.headers.get('ratelimit')).toMatch(/^"default";r=0;t=\d+$/);
    expect(await limited.json()).toMatchObject({ error: { code: 'rate_limited' } });
    const otherTenant = await fetch(`${sim.url}/v1/customers/cust_0001`, { headers: { authorization: 'Bearer second-tenant-token' } });
    expect(otherTenant.status).toBe(200);
  });

  it('counts requests by route pattern and status, 304s and 429s, but not admin calls', async () => {
    await admin.faults({ rateLimit: { limit: 4, windowMs: 60_000 } });
    await get('/v1/customers/cust_0001');
    await get('/v1/customers/cust_0001', { 'if-none-match': '*' });
    await get('/v1/customers/cust_9999');
    await get('/v1/nothing-here');
    await get('/v1/customers?limit=1');
    const stats = await admin.stats();
    expect(stats).toMatchObject({
      provider: 'customers',
      requests: 5,
      byRoute: {
        'GET /v1/customers/:id': { '200': 1, '304': 1, '404': 1 },
        'GET *': { '404': 1 },
        'GET /v1/customers': { '429': 1 },
      },
      byStatus: { '200': 1, '304': 1, '404': 2, '429': 1 },
      notModified: 1,
      rateLimited: 1,
    });
    expect(stats.bytesSent).toBeGreaterThan(100);
  });
});
