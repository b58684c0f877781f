import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  buildDataset,
  createCustomersSimulator,
  SIM_CREDENTIALS,
  type CustomerEvent,
  type CustomerRecord,
  type SimulatorHandle,
} from '../../src/simulators/index.ts';
import { simAdmin } from './sim-admin.ts';
import { startReceiver, type WebhookReceiver } from './webhook-receiver.ts';

const dataset = buildDataset();
const auth = { authorization: `Bearer ${SIM_CREDENTIALS.customersToken}` };
const NOW = Date.UTC(2026, 6, 1, 9, 30, 0);
let sim: SimulatorHandle;
let admin: ReturnType<typeof simAdmin>;
let receiver: WebhookReceiver;

const etagOf = (record: Pick<CustomerRecord, 'id' | 'version'>) => `W/"${record.id}-v${record.version}"`;
const get = (id: string) => fetch(`${sim.url}/v1/customers/${id}`, { headers: auth });
const patch = (id: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${sim.url}/v1/customers/${id}`, {
    method: 'PATCH',
    headers: { ...auth, 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
/** The events the simulator sent, once every delivery is over. */
const events = async () => {
  await sim.webhooks.settled();
  return receiver.received.map((webhook) => JSON.parse(webhook.rawBody) as CustomerEvent);
};

beforeAll(async () => {
  sim = await createCustomersSimulator({ dataset, clock: () => NOW });
  admin = simAdmin(sim.url);
});
afterAll(() => sim.close());
beforeEach(async () => {
  await admin.reset();
  receiver = await startReceiver();
  sim.webhooks.configure([{ url: `${receiver.url}/webhooks/customers` }], [1]);
});
afterEach(() => receiver.close());

describe('customer service: PATCH /v1/customers/{id}', () => {
  it('changes email and name, moves the version once, answers the record with its validators and announces customer.updated', async () => {
    const record = dataset.customers[10]!;
    const response = await patch(record.id, { email: 'Grace.Hopper@Example.com', name: 'Grace Hopper' });
    expect(response.status).toBe(200);
    const expected = { ...record, email: 'grace.hopper@example.com', name: 'Grace Hopper', version: record.version + 1, updatedAt: new Date(NOW).toISOString() };
    expect(await response.json()).toEqual(expected);
    expect(response.headers.get('etag')).toBe(etagOf(expected));
    expect(response.headers.get('last-modified')).toBe(new Date(NOW).toUTCString());

    expect(await events()).toEqual([
      { type: 'customer.updated', timestamp: new Date(NOW).toISOString(), data: { id: record.id, etag: etagOf(expected), updatedAt: expected.updatedAt } },
    ]);
    const read = await get(record.id);
    expect(read.headers.get('etag')).toBe(etagOf(expected));
    expect(await read.json()).toEqual(expected);
  });

  it('applies a write whose If-Match names the current version: the weak tag GET sent, its strong form, a list, or *', async () => {
    const record = dataset.customers[11]!;
    const fromGet = (await get(record.id)).headers.get('etag')!;
    expect(fromGet).toBe(etagOf(record));
    const first = await patch(record.id, { name: 'First' }, { 'if-match': fromGet });
    expect(first.status).toBe(200);
    const v2 = { id: record.id, version: record.version + 1 };
    expect((await patch(record.id, { name: 'Second' }, { 'if-match': `"${record.id}-v${v2.version}"` })).status).toBe(200);
    const v3 = { id: record.id, version: record.version + 2 };
    expect((await patch(record.id, { name: 'Third' }, { 'if-match': `W/"other-v1", ${etagOf(v3)}` })).status).toBe(200);
    const any = await patch(record.id, { name: 'Fourth' }, { 'if-match': '*' });
    expect(any.status).toBe(200);
    expect(await any.json()).toMatchObject({ name: 'Fourth', version: record.version + 4 });
  });

  it('refuses a stale If-Match with 412, the current version and ETag, and changes nothing', async () => {
    const record = dataset.customers[12]!;
    const seen = etagOf(record);
    await admin.mutate({ action: 'updateCustomer', id: record.id, name: 'Changed Elsewhere' });
    await events();
    receiver.received.length = 0;

    const response = await patch(record.id, { name: 'Lost Update' }, { 'if-match': seen });
    expect(response.status).toBe(412);
    const current = { id: record.id, version: record.version + 1 };
    expect(response.headers.get('etag')).toBe(etagOf(current));
    expect(await response.json()).toEqual({
      error: { code: 'precondition_failed', message: expect.stringContaining(record.id), currentVersion: current.version },
    });
    expect(await (await get(record.id)).json()).toMatchObject({ name: 'Changed Elsewhere', version: current.version });
    expect(await events()).toEqual([]);
  });

  it('refuses an email another customer holds, in any case, with 409 email_taken; its own email is no conflict', async () => {
    const [record, other] = [dataset.customers[13]!, dataset.customers[14]!];
    const taken = await patch(record.id, { email: other.email.toUpperCase(), name: 'Not Applied' });
    expect(taken.status).toBe(409);
    expect(await taken.json()).toEqual({ error: { code: 'email_taken', message: expect.any(String) } });
    expect(await (await get(record.id)).json()).toEqual(record);

    const same = await patch(record.id, { email: record.email.toUpperCase(), name: record.name }, { 'if-match': etagOf(record) });
    expect(same.status).toBe(200);
    expect(same.headers.get('etag')).toBe(etagOf(record));
    expect(await same.json()).toEqual(record);
    expect(await events()).toEqual([]);

    const viaMutate = await admin.mutate({ action: 'updateCustomer', id: record.id, email: other.email });
    expect(viaMutate.status).toBe(409);
  });

  it('refuses bodies the service does not take with 400 invalid_request, naming an unknown field', async () => {
    const record = dataset.customers[15]!;
    const unknown = await patch(record.id, { name: 'X', version: 9 });
    expect(unknown.status).toBe(400);
    expect(await unknown.json()).toEqual({ error: { code: 'invalid_request', message: expect.stringContaining("'version'") } });
    for (const body of [{}, { email: 'not-an-address' }, { name: '  ' }, { email: 42 }, [1], 'not json']) {
      const response = await patch(record.id, body);
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(await response.json()).toMatchObject({ error: { code: 'invalid_request' } });
    }
    expect(await (await get(record.id)).json()).toEqual(record);
    expect(await events()).toEqual([]);
  });

  it('answers 404 for an unknown id and 401 without a token, and counts the route', async () => {
    const missing = await patch('cust_9999', { name: 'Nobody' }, { 'if-match': '*' });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: { code: 'not_found', message: "No customer with id 'cust_9999'" } });
    const anonymous = await fetch(`${sim.url}/v1/customers/cust_0001`, { method: 'PATCH', body: '{"name":"x"}' });
    expect(anonymous.status).toBe(401);
    expect((await admin.stats()).byRoute['PATCH /v1/customers/:id']).toEqual({ '401': 1, '404': 1 });
  });
});
