import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  buildDataset,
  createHubSpotSimulator,
  SIM_CREDENTIALS,
  type HubSpotWebhookEvent,
  type SimulatorHandle,
} from '../../src/simulators/index.ts';
import { simAdmin } from './sim-admin.ts';
import { startReceiver, type WebhookReceiver } from './webhook-receiver.ts';

const dataset = buildDataset();
const bearer = { authorization: `Bearer ${SIM_CREDENTIALS.hubspotToken}` };
const NOW = Date.UTC(2026, 3, 1, 8);
let sim: SimulatorHandle;
let admin: ReturnType<typeof simAdmin>;
let receiver: WebhookReceiver;

const [contact, other] = [dataset.hubspot.contacts[5]!, dataset.hubspot.contacts[6]!];
const send = (method: string, path: string, body: unknown, headers: Record<string, string> = bearer) =>
  fetch(`${sim.url}${path}`, { method, headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(body) });
const get = async (path: string) => (await fetch(`${sim.url}${path}`, { headers: bearer })).json() as Promise<Record<string, unknown>>;
const patchContact = (id: string, properties: Record<string, unknown>) => send('PATCH', `/crm/v3/objects/contacts/${id}`, { properties });
const note = (properties: Record<string, unknown>, contactIds: string[] = [contact.id], typeId = 202) =>
  send('POST', '/crm/v3/objects/notes', {
    properties,
    associations: contactIds.map((id) => ({ to: { id }, types: [{ associationCategory: 'HUBSPOT_DEFINED', associationTypeId: typeId }] })),
  });
const events = async () => {
  await sim.webhooks.settled();
  return receiver.received.flatMap((webhook) => JSON.parse(webhook.rawBody) as HubSpotWebhookEvent[]);
};

beforeAll(async () => {
  sim = await createHubSpotSimulator({ dataset, clock: () => NOW });
  admin = simAdmin(sim.url);
});
afterAll(() => sim.close());
beforeEach(async () => {
  await admin.reset();
  receiver = await startReceiver();
  sim.webhooks.configure([{ url: `${receiver.url}/webhooks/hubspot` }], [1]);
});
afterEach(() => receiver.close());

describe('HubSpot simulator: PATCH /crm/v3/objects/contacts/{id}', () => {
  it('sets properties and answers the SimplePublicObject, sending one propertyChange per changed property', async () => {
    const response = await patchContact(contact.id, { lifecyclestage: 'evangelist', firstname: 'Ada', email: contact.properties.email });
    expect(response.status).toBe(200);
    const modified = new Date(NOW).toISOString();
    expect(await response.json()).toEqual({
      id: contact.id,
      properties: {
        createdate: contact.properties.createdate,
        email: contact.properties.email,
        firstname: 'Ada',
        hs_object_id: contact.id,
        lastmodifieddate: modified,
        lifecyclestage: 'evangelist',
      },
      createdAt: contact.createdAt,
      updatedAt: modified,
      archived: false,
    });
    const changed = (await events()).map((event) => [event.subscriptionType, event.objectId, event.propertyName, event.propertyValue]);
    const expected = [['contact.propertyChange', Number(contact.id), 'firstname', 'Ada']];
    if (contact.properties.lifecyclestage !== 'evangelist') expected.unshift(['contact.propertyChange', Number(contact.id), 'lifecyclestage', 'evangelist']);
    expect(changed).toEqual(expected);
    expect(await get(`/crm/v3/objects/contacts/${contact.id}?properties=firstname,lifecyclestage`)).toMatchObject({
      properties: { firstname: 'Ada', lifecyclestage: 'evangelist' },
    });
  });

  it('clears an enumeration with an empty string or null, and sends nothing when nothing changes', async () => {
    expect((await patchContact(contact.id, { lifecyclestage: '' })).status).toBe(200);
    expect((await patchContact(contact.id, { lifecyclestage: null, hs_lead_status: null })).status).toBe(200);
    expect((await events()).map((event) => event.propertyName)).toContain('lifecyclestage');
    receiver.received.length = 0;
    expect((await patchContact(contact.id, { email: contact.properties.email })).status).toBe(200);
    expect(await events()).toEqual([]);
  });

  it('refuses unknown properties, options outside the default lifecycle stages and read-only properties, all at once, changing nothing', async () => {
    const response = await patchContact(contact.id, { favourite_colour: 'teal', lifecyclestage: 'champion', hs_object_id: '1', firstname: 'Kept Out' });
    expect(response.status).toBe(400);
    const body = (await response.json()) as { status: string; category: string; message: string; correlationId: string; errors: unknown[] };
    expect(body).toMatchObject({ status: 'error', category: 'VALIDATION_ERROR', correlationId: expect.any(String) });
    expect(body.message).toMatch(/^Property values were not valid: \[/);
    expect(body.errors).toEqual([
      { message: 'Property "favourite_colour" does not exist', code: 'PROPERTY_DOESNT_EXIST', context: { propertyName: ['favourite_colour'] } },
      { message: expect.stringContaining('champion was not one of the allowed options'), code: 'INVALID_OPTION', context: { propertyName: ['lifecyclestage'] } },
      { message: expect.any(String), code: 'READ_ONLY_VALUE', context: { propertyName: ['hs_object_id'] } },
    ]);
    expect(await get(`/crm/v3/objects/contacts/${contact.id}`)).toMatchObject({ properties: { firstname: contact.properties.firstname } });
    expect(await events()).toEqual([]);
  });

  it('refuses another contact’s email with 409 CONFLICT, and answers 404 OBJECT_NOT_FOUND for unknown and deleted contacts', async () => {
    const conflict = await patchContact(contact.id, { email: other.properties.email!.toUpperCase() });
    expect(conflict.status).toBe(409);
    expect(await conflict.json()).toMatchObject({ category: 'CONFLICT', message: `Contact already exists. Existing ID: ${other.id}` });

    expect((await patchContact('999999', { firstname: 'x' })).status).toBe(404);
    await admin.mutate({ action: 'deleteContact', id: other.id });
    const deleted = await patchContact(other.id, { firstname: 'x' });
    expect(deleted.status).toBe(404);
    expect(await deleted.json()).toMatchObject({ status: 'error', category: 'OBJECT_NOT_FOUND', message: 'resource not found' });
  });

  it('finds the contact by email with idProperty=email', async () => {
    const response = await send('PATCH', `/crm/v3/objects/contacts/${encodeURIComponent(contact.properties.email!)}?idProperty=email`, {
      properties: { jobtitle: 'Analyst' },
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ id: contact.id, properties: { jobtitle: 'Analyst' } });
  });
});

describe('HubSpot simulator: notes', () => {
  it('creates a note on a contact: 201 with the note, readable by id and from the contact’s v4 associations, forgotten on reset', async () => {
    const response = await note({ hs_note_body: 'Refunded order 6735', hs_timestamp: '2026-03-31T10:00:00Z' });
    expect(response.status).toBe(201);
    const created = (await response.json()) as { id: string };
    const at = new Date(NOW).toISOString();
    expect(created).toEqual({
      id: expect.stringMatching(/^\d+$/),
      properties: {
        hs_createdate: at,
        hs_lastmodifieddate: at,
        hs_note_body: 'Refunded order 6735',
        hs_object_id: created.id,
        hs_timestamp: '2026-03-31T10:00:00.000Z',
      },
      createdAt: at,
      updatedAt: at,
      archived: false,
    });
    expect(await get(`/crm/v3/objects/notes/${created.id}`)).toMatchObject({
      properties: { hs_object_id: created.id, hs_createdate: at, hs_lastmodifieddate: at },
    });
    expect(await get(`/crm/v3/objects/notes/${created.id}?properties=hs_note_body`)).toMatchObject({ properties: { hs_note_body: 'Refunded order 6735' } });
    expect(await get(`/crm/v4/objects/contacts/${contact.id}/associations/notes`)).toEqual({
      results: [{ toObjectId: Number(created.id), associationTypes: [{ category: 'HUBSPOT_DEFINED', typeId: 201, label: null }] }],
    });
    expect(await get(`/crm/v4/objects/notes/${created.id}/associations/contacts`)).toEqual({
      results: [{ toObjectId: Number(contact.id), associationTypes: [{ category: 'HUBSPOT_DEFINED', typeId: 202, label: null }] }],
    });

    await admin.reset();
    expect((await fetch(`${sim.url}/crm/v3/objects/notes/${created.id}`, { headers: bearer })).status).toBe(404);
    expect(await get(`/crm/v4/objects/contacts/${contact.id}/associations/notes`)).toEqual({ results: [] });
  });

  it('takes hs_timestamp in epoch milliseconds and requires it', async () => {
    const millis = await note({ hs_note_body: 'x', hs_timestamp: String(Date.UTC(2026, 0, 2)) });
    expect(await millis.json()).toMatchObject({ properties: { hs_timestamp: '2026-01-02T00:00:00.000Z' } });
    const missing = await note({ hs_note_body: 'no time' });
    expect(missing.status).toBe(400);
    expect(await missing.json()).toMatchObject({
      category: 'VALIDATION_ERROR',
      errors: [{ code: 'REQUIRED_PROPERTY', context: { propertyName: ['hs_timestamp'] } }],
    });
  });

  it('refuses an association with an unknown contact or of another type with 400 VALIDATION_ERROR, creating nothing', async () => {
    const unknown = await note({ hs_note_body: 'x', hs_timestamp: '2026-03-31T10:00:00Z' }, [contact.id, '999999']);
    expect(unknown.status).toBe(400);
    expect(await unknown.json()).toMatchObject({ status: 'error', category: 'VALIDATION_ERROR', correlationId: expect.any(String), message: expect.stringContaining('999999') });
    const wrongType = await note({ hs_note_body: 'x', hs_timestamp: '2026-03-31T10:00:00Z' }, [contact.id], 279);
    expect(wrongType.status).toBe(400);
    expect(await get(`/crm/v4/objects/contacts/${contact.id}/associations/notes`)).toEqual({ results: [] });
  });

  it('serves the note routes behind the same authentication and stats as every route', async () => {
    const anonymous = await send('POST', '/crm/v3/objects/notes', { properties: { hs_timestamp: '0' } }, {});
    expect(anonymous.status).toBe(401);
    await note({ hs_note_body: 'x', hs_timestamp: '1' });
    const stats = await admin.stats();
    expect(stats.byRoute['POST /crm/v3/objects/notes']).toEqual({ '201': 1, '401': 1 });
  });
});
