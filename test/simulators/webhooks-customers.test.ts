import { createHmac, timingSafeEqual } from 'node:crypto';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  buildDataset,
  createCustomersSimulator,
  SIM_CREDENTIALS,
  signStandardWebhook,
  type CustomerEvent,
  type SimulatorHandle,
} from '../../src/simulators/index.ts';
import { simAdmin } from './sim-admin.ts';
import { header, startReceiver, type ReceivedWebhook, type WebhookReceiver } from './webhook-receiver.ts';

const dataset = buildDataset();
const auth = { authorization: `Bearer ${SIM_CREDENTIALS.customersToken}` };
const NOW = Date.UTC(2026, 5, 1, 12, 0, 0);
let now = NOW;
let sim: SimulatorHandle;
let admin: ReturnType<typeof simAdmin>;
let receiver: WebhookReceiver;

/**
 * Standard Webhooks 1.0, computed here rather than with the simulator's helper: the key is the
 * base64 after `whsec_`, the content `${id}.${timestamp}.${body}`, each signature `v1,<base64>`
 * in a space-separated list, the timestamp within five minutes.
 */
function verified(webhook: ReceivedWebhook, secret: string = SIM_CREDENTIALS.customersWebhookSecret): CustomerEvent {
  const id = header(webhook, 'webhook-id');
  const timestamp = header(webhook, 'webhook-timestamp');
  if (Math.abs(Number(timestamp) * 1000 - now) > 5 * 60 * 1000) throw new Error('stale webhook-timestamp');
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const expected = createHmac('sha256', key).update(`${id}.${timestamp}.${webhook.rawBody}`).digest();
  const ok = header(webhook, 'webhook-signature')
    .split(' ')
    .some((signature) => {
      const [version, value] = signature.split(',');
      const given = Buffer.from(value ?? '', 'base64');
      return version === 'v1' && given.length === expected.length && timingSafeEqual(given, expected);
    });
  if (!ok) throw new Error('bad webhook-signature');
  return JSON.parse(webhook.rawBody) as CustomerEvent;
}

const get = (path: string, headers: Record<string, string> = {}) => fetch(`${sim.url}${path}`, { headers: { ...auth, ...headers } });

beforeAll(async () => {
  sim = await createCustomersSimulator({ dataset, clock: () => now });
  admin = simAdmin(sim.url);
});
afterAll(() => sim.close());
beforeEach(async () => {
  now = NOW;
  await admin.reset();
  receiver = await startReceiver();
  sim.webhooks.configure([{ url: `${receiver.url}/webhooks/customers` }], [1, 1]);
});
afterEach(() => receiver.close());

describe('customer service webhooks', () => {
  it('changes a customer and announces a thin, signed customer.updated; reads see the new record and ETag', async () => {
    const record = dataset.customers[4]!;
    const oldEtag = `W/"${record.id}-v${record.version}"`;
    const response = await admin.mutate({ action: 'updateCustomer', id: record.id, email: 'New.Address@example.com' });
    expect(response.status).toBe(200);
    const changed = (await response.json()) as { email: string; version: number; etag: string; updatedAt: string };
    expect(changed).toMatchObject({ email: 'new.address@example.com', version: record.version + 1, updatedAt: new Date(NOW).toISOString() });
    await sim.webhooks.settled();

    expect(receiver.received).toHaveLength(1);
    const webhook = receiver.received[0]!;
    expect(header(webhook, 'webhook-id')).toMatch(/^msg_/);
    expect(header(webhook, 'webhook-timestamp')).toBe(String(NOW / 1000));
    expect(verified(webhook)).toEqual({
      type: 'customer.updated',
      timestamp: new Date(NOW).toISOString(),
      data: { id: record.id, etag: changed.etag, updatedAt: changed.updatedAt },
    });

    const read = await get(`/v1/customers/${record.id}`, { 'if-none-match': oldEtag });
    expect(read.status).toBe(200);
    expect(read.headers.get('etag')).toBe(changed.etag);
    expect(changed.etag).not.toBe(oldEtag);
    expect(await read.json()).toMatchObject({ email: 'new.address@example.com' });
    const listed = (await (await get('/v1/customers?email=new.address@example.com')).json()) as { data: Array<{ id: string }> };
    expect(listed.data.map((c) => c.id)).toEqual([record.id]);
    const batch = await fetch(`${sim.url}/v1/customers/batch-get`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ ids: [record.id], known: { [record.id]: oldEtag } }),
    });
    expect(await batch.json()).toMatchObject({ data: [{ id: record.id, etag: changed.etag }], notModified: [] });
  });

  it('deletes a customer: customer.deleted, then 404 until reset', async () => {
    const record = dataset.customers[5]!;
    expect((await admin.mutate({ action: 'deleteCustomer', id: record.id })).status).toBe(200);
    await sim.webhooks.settled();
    expect(verified(receiver.received[0]!)).toEqual({ type: 'customer.deleted', timestamp: new Date(NOW).toISOString(), data: { id: record.id } });
    expect((await get(`/v1/customers/${record.id}`)).status).toBe(404);
    await admin.reset();
    expect((await get(`/v1/customers/${record.id}`)).status).toBe(200);
  });

  it('retries with the same webhook-id and body, re-signed with the attempt’s timestamp', async () => {
    receiver.answers.push(500, 502);
    receiver.respond = () => {
      now += 1000;
      return receiver.answers.shift() ?? 200;
    };
    await admin.mutate({ action: 'updateCustomer', id: dataset.customers[6]!.id, name: 'Renamed' });
    await sim.webhooks.settled();

    const ids = receiver.received.map((webhook) => header(webhook, 'webhook-id'));
    expect(ids).toHaveLength(3);
    expect(new Set(ids).size).toBe(1);
    expect(new Set(receiver.received.map((webhook) => webhook.rawBody)).size).toBe(1);
    expect(new Set(receiver.received.map((webhook) => header(webhook, 'webhook-timestamp'))).size).toBe(3);
    for (const webhook of receiver.received) expect(verified(webhook).type).toBe('customer.updated');
    expect(sim.webhooks.deliveries()).toEqual([
      { id: ids[0], url: `${receiver.url}/webhooks/customers`, types: ['customer.updated'], attempts: 3, lastStatus: 200, delivered: true, pending: false },
    ]);
  });

  it('answers bad mutations in the service’s error format and announces nothing', async () => {
    const missing = await admin.mutate({ action: 'updateCustomer', id: 'cust_nope', name: 'x' });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: { code: 'not_found', message: "No customer with id 'cust_nope'" } });
    const bad = await admin.mutate({ action: 'updateCustomer', id: dataset.customers[0]!.id, email: 'not-an-address' });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { code: 'invalid_request' } });
    await sim.webhooks.settled();
    expect(receiver.received).toEqual([]);
  });

  it('signStandardWebhook forges the headers the simulator sends', async () => {
    await admin.mutate({ action: 'updateCustomer', id: dataset.customers[7]!.id, name: 'Forged' });
    await sim.webhooks.settled();
    const webhook = receiver.received[0]!;
    const id = header(webhook, 'webhook-id');
    expect(signStandardWebhook(SIM_CREDENTIALS.customersWebhookSecret, id, NOW / 1000, webhook.rawBody)).toEqual({
      'webhook-id': id,
      'webhook-timestamp': String(NOW / 1000),
      'webhook-signature': header(webhook, 'webhook-signature'),
    });
  });
});
