import { Signature } from '@hubspot/api-client';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  buildDataset,
  createHubSpotSimulator,
  HUBSPOT_APP_ID,
  HUBSPOT_PORTAL_ID,
  SIM_CREDENTIALS,
  signHubSpotV3,
  type HubSpotWebhookEvent,
  type SimulatorHandle,
} from '../../src/simulators/index.ts';
import { simAdmin } from './sim-admin.ts';
import { header, startReceiver, type ReceivedWebhook, type WebhookReceiver } from './webhook-receiver.ts';

const dataset = buildDataset();
// Near the real time, since the SDK checks timestamps against it (5 minutes); tests move it.
let now = Date.now();
let sim: SimulatorHandle;
let admin: ReturnType<typeof simAdmin>;
let receiver: WebhookReceiver;
/** The endpoint as configured; HubSpot signs this exact uri, query included. */
let endpoint: string;

/** Checked the way a HubSpot app checks it: the official SDK's v3 signature over the uri it configured. */
function verified(webhook: ReceivedWebhook): HubSpotWebhookEvent[] {
  const valid = Signature.isValid({
    signatureVersion: 'v3',
    signature: header(webhook, 'x-hubspot-signature-v3'),
    clientSecret: SIM_CREDENTIALS.hubspotClientSecret,
    method: webhook.method,
    url: endpoint,
    requestBody: webhook.rawBody,
    timestamp: Number(header(webhook, 'x-hubspot-request-timestamp')),
  });
  if (!valid) throw new Error('bad HubSpot signature');
  return JSON.parse(webhook.rawBody) as HubSpotWebhookEvent[];
}

const contact = dataset.hubspot.contacts[3]!;
const deal = dataset.hubspot.deals[2]!;
const get = async (path: string) =>
  fetch(`${sim.url}${path}`, { headers: { authorization: `Bearer ${SIM_CREDENTIALS.hubspotToken}` } });

beforeAll(async () => {
  sim = await createHubSpotSimulator({ dataset, clock: () => now });
  admin = simAdmin(sim.url);
});
afterAll(() => sim.close());
beforeEach(async () => {
  await admin.reset();
  receiver = await startReceiver();
  endpoint = `${receiver.url}/webhooks/hubspot?tenant=acme`;
  sim.webhooks.configure([{ url: endpoint }], [1, 1]);
});
afterEach(() => receiver.close());

describe('HubSpot simulator webhooks', () => {
  it('updates a contact and sends one signed request with a propertyChange per changed property', async () => {
    const response = await admin.mutate({
      action: 'updateContact',
      id: contact.id,
      properties: { lifecyclestage: 'customer', firstname: 'Ada', email: contact.properties.email },
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ id: contact.id, properties: { lifecyclestage: 'customer', firstname: 'Ada' } });
    await sim.webhooks.settled();

    expect(receiver.received).toHaveLength(1);
    const webhook = receiver.received[0]!;
    expect(webhook.path).toBe('/webhooks/hubspot?tenant=acme');
    expect(header(webhook, 'x-hubspot-signature-version')).toBe('v3');
    expect(header(webhook, 'content-type')).toBe('application/json');
    const events = verified(webhook);
    expect(events.map((event) => [event.propertyName, event.propertyValue])).toEqual([
      ['lifecyclestage', 'customer'],
      ['firstname', 'Ada'],
    ]);
    for (const event of events) {
      expect(event).toMatchObject({
        subscriptionType: 'contact.propertyChange',
        objectId: Number(contact.id),
        portalId: HUBSPOT_PORTAL_ID,
        appId: HUBSPOT_APP_ID,
        occurredAt: now,
        attemptNumber: 0,
        changeSource: 'CRM',
      });
    }
    expect(new Set(events.map((event) => event.eventId)).size).toBe(2);

    const read = (await (await get(`/crm/v3/objects/contacts/${contact.id}?properties=lifecyclestage,firstname`)).json()) as {
      properties: Record<string, string>;
      updatedAt: string;
    };
    expect(read.properties).toMatchObject({ lifecyclestage: 'customer', firstname: 'Ada', lastmodifieddate: new Date(now).toISOString() });
    expect(read.updatedAt).toBe(new Date(now).toISOString());
  });

  it('retries with the same events, a growing attemptNumber and a fresh signature', async () => {
    receiver.answers.push(500, 500);
    receiver.respond = () => {
      now += 1000;
      return receiver.answers.shift() ?? 200;
    };
    await admin.mutate({ action: 'updateDeal', id: deal.id, properties: { dealstage: 'closedwon' } });
    await sim.webhooks.settled();

    const batches = receiver.received.map((webhook) => verified(webhook));
    expect(batches.map((events) => events.map((event) => event.attemptNumber))).toEqual([[0], [1], [2]]);
    expect(new Set(batches.map((events) => events[0]?.eventId)).size).toBe(1);
    expect(batches[0]?.[0]).toMatchObject({ subscriptionType: 'deal.propertyChange', objectId: Number(deal.id), propertyName: 'dealstage', propertyValue: 'closedwon' });
    expect(new Set(receiver.received.map((webhook) => header(webhook, 'x-hubspot-signature-v3'))).size).toBe(3);
    expect(sim.webhooks.deliveries()).toMatchObject([{ id: String(batches[0]?.[0]?.eventId), attempts: 3, lastStatus: 200, delivered: true }]);
  });

  it('splits more than 100 changes into requests of at most 100 events', async () => {
    const properties = Object.fromEntries(Array.from({ length: 150 }, (_, i) => [`custom_${i}`, String(i)]));
    await admin.mutate({ action: 'updateContact', id: contact.id, properties });
    await sim.webhooks.settled();
    expect(receiver.received.map((webhook) => verified(webhook).length).sort((a, b) => a - b)).toEqual([50, 100]);
  });

  it('sends nothing when no value changes', async () => {
    const response = await admin.mutate({ action: 'updateContact', id: contact.id, properties: { email: contact.properties.email } });
    expect(response.status).toBe(200);
    await sim.webhooks.settled();
    expect(receiver.received).toEqual([]);
  });

  it('deletes a contact: contact.deletion, then 404 and no association through the API, until reset', async () => {
    const { contactId, dealId } = dataset.hubspot.contactDeals[0]!;
    const dealContacts = async () =>
      ((await (await get(`/crm/v4/objects/deals/${dealId}/associations/contacts`)).json()) as { results: Array<{ toObjectId: number | string }> })
        .results.map((result) => String(result.toObjectId));
    expect(await dealContacts()).toContain(contactId);

    const response = await admin.mutate({ action: 'deleteContact', id: contactId });
    expect(await response.json()).toMatchObject({ id: contactId, archived: true });
    await sim.webhooks.settled();
    expect(verified(receiver.received[0]!)).toMatchObject([{ subscriptionType: 'contact.deletion', objectId: Number(contactId) }]);
    expect((await get(`/crm/v3/objects/contacts/${contactId}`)).status).toBe(404);
    expect(await dealContacts()).not.toContain(contactId);
    await admin.reset();
    expect((await get(`/crm/v3/objects/contacts/${contactId}`)).status).toBe(200);
    expect(await dealContacts()).toContain(contactId);
  });

  it('answers bad mutations in HubSpot’s error format', async () => {
    const missing = await admin.mutate({ action: 'updateContact', id: '999999999', properties: { firstname: 'x' } });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ status: 'error', category: 'OBJECT_NOT_FOUND', correlationId: expect.any(String) });
    const readOnly = await admin.mutate({ action: 'updateContact', id: contact.id, properties: { hs_object_id: '1' } });
    expect(readOnly.status).toBe(400);
    expect(await readOnly.json()).toMatchObject({ category: 'VALIDATION_ERROR' });
  });

  it('signHubSpotV3 forges the headers the simulator sends', async () => {
    await admin.mutate({ action: 'updateContact', id: contact.id, properties: { firstname: 'Grace' } });
    await sim.webhooks.settled();
    const webhook = receiver.received[0]!;
    const timestamp = Number(header(webhook, 'x-hubspot-request-timestamp'));
    expect(signHubSpotV3(SIM_CREDENTIALS.hubspotClientSecret, 'POST', endpoint, webhook.rawBody, timestamp)).toEqual({
      'x-hubspot-signature-v3': header(webhook, 'x-hubspot-signature-v3'),
      'x-hubspot-request-timestamp': String(timestamp),
      'x-hubspot-signature-version': 'v3',
    });
  });
});
