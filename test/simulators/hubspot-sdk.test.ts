import { Client } from '@hubspot/api-client';
import { AssociationSpecAssociationCategoryEnum } from '@hubspot/api-client/lib/codegen/crm/objects/notes/index.js';
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
let now = Date.UTC(2026, 0, 1);
let sim: SimulatorHandle;
let admin: ReturnType<typeof simAdmin>;

const client = (accessToken: string = SIM_CREDENTIALS.hubspotToken) =>
  new Client({ accessToken, basePath: sim.url, numberOfApiCallRetries: 0 });

/** The SDK throws ApiException; this resolves to it so tests can look at code and body. */
const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (error: unknown) => error as { code: number; body: Record<string, unknown>; headers: Record<string, string> },
  );

beforeAll(async () => {
  sim = await createHubSpotSimulator({ dataset, clock: () => now });
  admin = simAdmin(sim.url);
});
afterAll(() => sim.close());
beforeEach(() => admin.reset());

const contactWithDeals = dataset.hubspot.contacts.find((c) => lookup.dealsOfContact(c.id).length === 2)!;
const contactWithoutDeals = dataset.hubspot.contacts.find((c) => lookup.dealsOfContact(c.id).length === 0)!;

describe('HubSpot simulator through the official @hubspot/api-client', () => {
  it('gets a contact with only the requested properties plus the ones HubSpot always sends', async () => {
    const contact = await client().crm.contacts.basicApi.getById(contactWithDeals.id, ['email', 'lifecyclestage']);
    expect(contact.id).toBe(contactWithDeals.id);
    expect(Object.keys(contact.properties).sort()).toEqual(['createdate', 'email', 'hs_object_id', 'lastmodifieddate', 'lifecyclestage']);
    expect(contact.properties.email).toBe(contactWithDeals.properties.email);
  });

  it('batch-reads contacts by id and by email, reporting missing ones in a 207', async () => {
    const ids = dataset.hubspot.contacts.slice(0, 5).map((c) => c.id);
    const complete = await client().crm.contacts.batchApi.read({ inputs: ids.map((id) => ({ id })), properties: ['email'], propertiesWithHistory: [] });
    expect(complete.status).toBe('COMPLETE');
    expect(complete.results.map((r) => r.id).sort()).toEqual([...ids].sort());
    expect(complete.results.map((r) => r.id)).not.toEqual(ids);

    const partial = await client().crm.contacts.batchApi.read({ inputs: [{ id: ids[0]! }, { id: '999999' }], properties: [], propertiesWithHistory: [] });
    expect(partial.results.map((r) => r.id)).toEqual([ids[0]]);
    expect('numErrors' in partial && partial.numErrors).toBe(1);
    expect('errors' in partial && partial.errors?.[0]).toMatchObject({ category: 'OBJECT_NOT_FOUND', context: { ids: ['999999'] } });

    const email = contactWithDeals.properties.email!;
    const byEmail = await client().crm.contacts.batchApi.read({
      inputs: [{ id: email.toUpperCase() }], idProperty: 'email', properties: ['firstname'], propertiesWithHistory: [],
    });
    expect(byEmail.results.map((r) => [r.id, r.properties.email])).toEqual([[contactWithDeals.id, email]]);
  });

  it('batch-reads deals and their contact associations (v4)', async () => {
    const dealIds = lookup.dealsOfContact(contactWithDeals.id).map((d) => d.id);
    const deals = await client().crm.deals.batchApi.read({ inputs: dealIds.map((id) => ({ id })), properties: ['amount', 'dealstage'], propertiesWithHistory: [] });
    expect(deals.results.map((d) => d.id).sort()).toEqual(dealIds);
    expect(Object.keys(deals.results[0]!.properties).sort()).toEqual(['amount', 'createdate', 'dealstage', 'hs_lastmodifieddate', 'hs_object_id']);

    const associations = await client().crm.associations.v4.batchApi.getPage('contacts', 'deals', {
      inputs: [{ id: contactWithDeals.id }, { id: contactWithoutDeals.id }],
    });
    expect(associations.results).toEqual([
      { _from: { id: contactWithDeals.id }, to: dealIds.map((id) => ({ toObjectId: Number(id), associationTypes: [{ category: 'HUBSPOT_DEFINED', typeId: 4, label: null }] })) },
    ]);
    expect('errors' in associations && associations.errors?.[0]).toMatchObject({
      category: 'OBJECT_NOT_FOUND',
      subCategory: 'crm.associations.NO_ASSOCIATIONS_FOUND',
    });
  });

  it('pages one contact\'s deal associations, batch and single, and takes the cursor back (v4)', async () => {
    await admin.faults({ associationPageSize: 1 });
    const dealIds = lookup.dealsOfContact(contactWithDeals.id).map((d) => d.id);
    const v4 = client().crm.associations.v4;

    const first = await v4.batchApi.getPage('contacts', 'deals', { inputs: [{ id: contactWithDeals.id }] });
    expect(first.results.map((r) => r.to.map((t) => String(t.toObjectId)))).toEqual([[dealIds[0]]]);
    const after = first.results[0]?.paging?.next?.after;
    expect(after).toEqual(expect.any(String));
    const second = await v4.batchApi.getPage('contacts', 'deals', { inputs: [{ id: contactWithDeals.id, after: after! }] });
    expect(second.results).toEqual([
      { _from: { id: contactWithDeals.id }, to: [{ toObjectId: Number(dealIds[1]), associationTypes: [{ category: 'HUBSPOT_DEFINED', typeId: 4, label: null }] }] },
    ]);

    const page = await v4.basicApi.getPage('contacts', contactWithDeals.id, 'deals');
    expect(page.results.map((r) => String(r.toObjectId))).toEqual([dealIds[0]]);
    const last = await v4.basicApi.getPage('contacts', contactWithDeals.id, 'deals', page.paging?.next?.after);
    expect(last.results.map((r) => String(r.toObjectId))).toEqual([dealIds[1]]);
    expect(last.paging).toBeUndefined();
  });

  it('updates a contact with basicApi.update and surfaces a refused option as ApiException with its errors', async () => {
    const updated = await client().crm.contacts.basicApi.update(contactWithDeals.id, { properties: { lifecyclestage: 'opportunity', jobtitle: 'Buyer' } });
    expect(updated.id).toBe(contactWithDeals.id);
    expect(updated.properties).toMatchObject({ lifecyclestage: 'opportunity', jobtitle: 'Buyer', hs_object_id: contactWithDeals.id });
    expect(updated.updatedAt).toEqual(new Date(now));
    expect(updated.archived).toBe(false);

    const refused = await failure(client().crm.contacts.basicApi.update(contactWithDeals.id, { properties: { lifecyclestage: 'vip' } }));
    expect(refused.code).toBe(400);
    expect(refused.body).toMatchObject({ category: 'VALIDATION_ERROR', errors: [{ code: 'INVALID_OPTION', context: { propertyName: ['lifecyclestage'] } }] });
    const missing = await failure(client().crm.contacts.basicApi.update('999999', { properties: { firstname: 'x' } }));
    expect(missing.code).toBe(404);
  });

  it('logs a note on a contact with objects.notes.basicApi.create and finds it through the v4 associations', async () => {
    const note = await client().crm.objects.notes.basicApi.create({
      properties: { hs_note_body: 'Refund of 15.00 issued', hs_timestamp: String(now) },
      associations: [{ to: { id: contactWithoutDeals.id }, types: [{ associationCategory: AssociationSpecAssociationCategoryEnum.HubspotDefined, associationTypeId: 202 }] }],
    });
    expect(note.properties).toMatchObject({ hs_note_body: 'Refund of 15.00 issued', hs_timestamp: new Date(now).toISOString(), hs_object_id: note.id });
    const read = await client().crm.objects.notes.basicApi.getById(note.id, ['hs_note_body']);
    expect(read.properties.hs_note_body).toBe('Refund of 15.00 issued');
    const page = await client().crm.associations.v4.basicApi.getPage('contacts', contactWithoutDeals.id, 'notes');
    expect(page.results.map((r) => [String(r.toObjectId), r.associationTypes[0]?.typeId])).toEqual([[note.id, 201]]);

    const untimed = await failure(client().crm.objects.notes.basicApi.create({ properties: { hs_note_body: 'when?' }, associations: [] }));
    expect(untimed.code).toBe(400);
    expect(untimed.body.category).toBe('VALIDATION_ERROR');
  });

  it('exchanges the refresh token for an access token that works until it expires', async () => {
    const token = await client().oauth.tokensApi.create(
      'refresh_token', undefined, undefined,
      SIM_CREDENTIALS.hubspotClientId, SIM_CREDENTIALS.hubspotClientSecret, SIM_CREDENTIALS.hubspotRefreshToken,
    );
    expect(token).toMatchObject({ refreshToken: SIM_CREDENTIALS.hubspotRefreshToken, expiresIn: 1800, tokenType: 'bearer' });
    const contact = await client(token.accessToken).crm.contacts.basicApi.getById(contactWithDeals.id);
    expect(contact.id).toBe(contactWithDeals.id);

    now += 1801 * 1000;
    const expired = await failure(client(token.accessToken).crm.contacts.basicApi.getById(contactWithDeals.id));
    expect(expired.code).toBe(401);
    expect(expired.body.category).toBe('EXPIRED_AUTHENTICATION');

    const badSecret = await failure(client().oauth.tokensApi.create('refresh_token', undefined, undefined, SIM_CREDENTIALS.hubspotClientId, 'nope', SIM_CREDENTIALS.hubspotRefreshToken));
    expect(badSecret.code).toBe(400);
  });

  it('surfaces 404 and 401 as ApiException with the HubSpot error body', async () => {
    const missing = await failure(client().crm.contacts.basicApi.getById('999999'));
    expect(missing.code).toBe(404);
    expect(missing.body).toMatchObject({ message: 'resource not found', correlationId: expect.any(String) });

    const unauthorized = await failure(client('pat-na1-not-a-token').crm.contacts.basicApi.getById('1001'));
    expect(unauthorized.code).toBe(401);
    expect(unauthorized.body.category).toBe('INVALID_AUTHENTICATION');
  });

  it('surfaces 429 as ApiException once the token is over its ten-second budget', async () => {
    await admin.faults({ rateLimit: { limit: 1, windowMs: 10_000 } });
    await client().crm.contacts.basicApi.getById('1001');
    const limited = await failure(client().crm.contacts.basicApi.getById('1001'));
    expect(limited.code).toBe(429);
    expect(limited.body.message).toBe('You have reached your ten second limit.');
    expect(limited.headers['x-hubspot-ratelimit-remaining']).toBe('0');
  });
});
