import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { toGlobalId } from '../../../src/model/global-id.ts';
import { DatasetLookup } from '../../../src/simulators/index.ts';
import { eventually } from '../../support/eventually.ts';
import { GatewayStack } from '../../support/gateway-stack.ts';
import { QUICK_WRITES } from '../../support/quick-writes.ts';

const UPDATE_CONTACT = `mutation($input: UpdateCrmContactInput!, $deferred: Boolean) {
  updateCrmContact(input: $input, allowDeferred: $deferred) {
    status operationId
    crmContact { id firstName lastName lifecycleStage }
    userErrors { code field }
  }
}`;

const ADD_NOTE = `mutation($input: AddCrmNoteInput!, $key: String) {
  addCrmNote(input: $input, idempotencyKey: $key) {
    status operationId
    note { id body }
    crmContact { id }
    userErrors { code field }
  }
}`;

const CONTACT_OF = `query($id: ID!) { customer(id: $id) { crmContact { id firstName lastName lifecycleStage } } }`;
const WRITE_STATUS = `query($id: ID!) {
  writeStatus(id: $id) { state error { code } payload { ... on UpdateCrmContactPayload { status crmContact { firstName lifecycleStage } } } }
}`;

interface ContactView {
  id: string;
  firstName: string | null;
  lastName: string | null;
  lifecycleStage: string | null;
}

interface UpdateContactAnswer {
  updateCrmContact: {
    status: string;
    operationId: string | null;
    crmContact: ContactView | null;
    userErrors: Array<{ code: string; field: string[] | null }>;
  } | null;
}

interface AddNoteAnswer {
  addCrmNote: {
    status: string;
    operationId: string | null;
    note: { id: string; body: string } | null;
    crmContact: { id: string } | null;
    userErrors: Array<{ code: string; field: string[] | null }>;
  } | null;
}

interface WriteStatusAnswer {
  writeStatus: { state: string; error: { code: string } | null; payload: { status: string; crmContact: { firstName: string | null; lifecycleStage: string | null } | null } | null } | null;
}

const NOTES_ROUTE = 'POST /crm/v3/objects/notes';
const CONTACT_PATCH_ROUTE = 'PATCH /crm/v3/objects/contacts/:id';

/**
 * HubSpot writes through the embedded default. The queue retries every 10 to 50 ms and the
 * circuit half-opens after 20 ms, so a queued write waits for the outage's end, not for
 * production's backoff; nothing here sleeps.
 */
describe('CRM writes', () => {
  let stack: GatewayStack;
  let lookup: DatasetLookup;

  beforeAll(async () => {
    stack = await GatewayStack.start(QUICK_WRITES);
    lookup = new DatasetLookup(stack.dataset);
  });
  afterAll(() => stack?.close());
  beforeEach(() => stack.resetAll());

  /** Customers whose HubSpot ref names a contact that exists; `skip` picks another one. */
  const withContact = (skip = 0) => {
    const customer = stack.dataset.customers.filter((c) => lookup.contactOf(c.id) !== undefined)[skip]!;
    const contact = lookup.contactOf(customer.id)!;
    return { id: toGlobalId('Customer', customer.id), contact, contactGid: toGlobalId('CrmContact', contact.id) };
  };
  const hubspotGet = async <T,>(path: string): Promise<T> => {
    const response = await request(new URL(path, stack.simulators.hubspot.url), { headers: { authorization: `Bearer ${stack.simulators.credentials.hubspotToken}` } });
    expect(response.statusCode).toBe(200);
    return (await response.body.json()) as T;
  };
  const notesOf = async (contactId: string) =>
    (await hubspotGet<{ results: Array<{ toObjectId: string | number }> }>(`/crm/v4/objects/contacts/${contactId}/associations/notes`)).results.map((r) => String(r.toObjectId));
  const hubspotRequests = async () => (await stack.simStats('hubspot')).requests;
  const contactOf = async (id: string) => (await stack.query<{ customer: { crmContact: ContactView | null } | null }>(CONTACT_OF, { id })).data?.customer?.crmContact ?? null;

  describe('updateCrmContact', () => {
    it('changes the lifecycle stage and names, and the next query shows them rather than a cached copy', async () => {
      const { id, contact, contactGid } = withContact();
      const stage = contact.properties.lifecyclestage === 'evangelist' ? 'OPPORTUNITY' : 'EVANGELIST';
      expect(await contactOf(id)).toMatchObject({ id: contactGid });

      const answer = await stack.post<UpdateContactAnswer>(UPDATE_CONTACT, { input: { customerId: id, lifecycleStage: stage, firstName: 'Augusta', lastName: 'King' } });

      expect(answer.body.errors).toBeUndefined();
      const expected = { id: contactGid, firstName: 'Augusta', lastName: 'King', lifecycleStage: stage };
      expect(answer.body.data?.updateCrmContact).toEqual({ status: 'SUCCEEDED', operationId: null, crmContact: expected, userErrors: [] });
      expect(await contactOf(id)).toEqual(expected);
      expect((await stack.simStats('hubspot')).byRoute[CONTACT_PATCH_ROUTE]).toEqual({ '200': 1 });
    });

    it('answers CRM_CONTACT_NOT_FOUND for a customer without a HubSpot contact, and patches nothing', async () => {
      const customer = stack.dataset.customers.find((c) => c.externalRefs.hubspot === null && lookup.contactByEmail(c.email) === undefined)!;

      const answer = await stack.post<UpdateContactAnswer>(UPDATE_CONTACT, { input: { customerId: toGlobalId('Customer', customer.id), firstName: 'Nobody' } });

      expect(answer.body.data?.updateCrmContact).toEqual({
        status: 'FAILED',
        operationId: null,
        crmContact: null,
        userErrors: [{ code: 'CRM_CONTACT_NOT_FOUND', field: ['input', 'customerId'] }],
      });
      expect((await stack.simStats('hubspot')).byRoute[CONTACT_PATCH_ROUTE]).toBeUndefined();
    });

    it('queues the change while HubSpot is down and applies it once HubSpot is back', async () => {
      const { id, contact } = withContact(1);
      const stage = contact.properties.lifecyclestage === 'customer' ? 'LEAD' : 'CUSTOMER';
      await stack.simAdmin('hubspot', 'faults', { outage: true });

      const answer = await stack.post<UpdateContactAnswer>(UPDATE_CONTACT, { input: { customerId: id, lifecycleStage: stage, firstName: 'Deferred' }, deferred: true });

      expect(answer.body.errors).toBeUndefined();
      const payload = answer.body.data?.updateCrmContact;
      expect(payload).toMatchObject({ status: 'QUEUED', crmContact: null, userErrors: [] });
      expect(payload?.operationId).toEqual(expect.any(String));

      await stack.simAdmin('hubspot', 'faults', {});
      let status: WriteStatusAnswer['writeStatus'] = null;
      await eventually(async () => {
        status = (await stack.query<WriteStatusAnswer>(WRITE_STATUS, { id: payload!.operationId })).data?.writeStatus ?? null;
        return status?.state !== 'QUEUED';
      });
      expect(status).toEqual({ state: 'SUCCEEDED', error: null, payload: { status: 'SUCCEEDED', crmContact: { firstName: 'Deferred', lifecycleStage: stage } } });
      expect(await contactOf(id)).toMatchObject({ firstName: 'Deferred', lifecycleStage: stage });
      expect((await stack.simStats('hubspot')).byRoute[CONTACT_PATCH_ROUTE]?.['200']).toBe(1);
    });
  });

  describe('addCrmNote', () => {
    it('refuses a note without an Idempotency-Key with HTTP 400 before anything is sent', async () => {
      const answer = await stack.post<AddNoteAnswer>(ADD_NOTE, { input: { customerId: withContact().id, body: 'Called about the invoice' } });

      expect(answer.status).toBe(400);
      expect(answer.body.errors?.map((e) => e.extensions?.['code'])).toEqual(['IDEMPOTENCY_KEY_REQUIRED']);
      expect(await hubspotRequests()).toBe(0);
    });

    it('keeps no key for a request another check refused, so the corrected request runs with it', async () => {
      const { id } = withContact(1);
      // Over MAX_STRING_ARGUMENT_LENGTH: refused by the limits before execution, beside the key's check.
      const tooLong = await stack.post<AddNoteAnswer>(ADD_NOTE, { input: { customerId: id, body: 'x'.repeat(2000) } }, { 'idempotency-key': 'note-refused-first' });
      // A request error answered in application/json: 200, as GraphQL over HTTP asks; the code says it was refused.
      expect(tooLong.status).toBe(200);
      expect(tooLong.body.data).toBeUndefined();
      expect(tooLong.body.errors?.[0]?.extensions?.['code']).toBe('BAD_USER_INPUT');

      const corrected = await stack.post<AddNoteAnswer>(ADD_NOTE, { input: { customerId: id, body: 'Short and sweet' } }, { 'idempotency-key': 'note-refused-first' });
      expect(corrected.status).toBe(200);
      expect(corrected.body.data?.addCrmNote?.status).toBe('SUCCEEDED');
    });

    it('logs the note once on the contact and replays the answer to a repeat with the same key, sending nothing', async () => {
      const { id, contact, contactGid } = withContact();
      const variables = { input: { customerId: id, body: 'Called about the <b>invoice</b>' } };

      const first = await stack.post<AddNoteAnswer>(ADD_NOTE, variables, { 'idempotency-key': 'note-once' });

      expect(first.status).toBe(200);
      expect(first.headers['idempotent-replayed']).toBeUndefined();
      const payload = first.body.data!.addCrmNote!;
      expect(payload).toMatchObject({ status: 'SUCCEEDED', operationId: null, note: { body: 'Called about the <b>invoice</b>' }, crmContact: { id: contactGid }, userErrors: [] });
      const noteId = payload.note!.id;
      const stored = await hubspotGet<{ id: string; properties: Record<string, string | null> }>(`/crm/v3/objects/notes/${noteId}?properties=hs_note_body`);
      expect(stored).toMatchObject({ id: noteId, properties: { hs_note_body: 'Called about the <b>invoice</b>' } });
      expect(await notesOf(contact.id)).toEqual([noteId]);

      const before = await hubspotRequests();
      const repeat = await stack.post<AddNoteAnswer>(ADD_NOTE, variables, { 'idempotency-key': 'note-once' });

      expect(repeat.status).toBe(200);
      expect(repeat.headers['idempotent-replayed']).toBe('true');
      expect(repeat.body.data).toEqual(first.body.data);
      expect(await hubspotRequests()).toBe(before);
      expect((await stack.simStats('hubspot')).byRoute[NOTES_ROUTE]).toEqual({ '201': 1 });
    });

    it('takes the idempotencyKey argument like the header', async () => {
      const { id, contact } = withContact();
      const variables = { input: { customerId: id, body: 'Sent the contract' }, key: 'note-by-argument' };

      const first = await stack.post<AddNoteAnswer>(ADD_NOTE, variables);
      expect(first.status).toBe(200);
      const noteId = first.body.data?.addCrmNote?.note?.id;
      expect(first.body.data?.addCrmNote?.status).toBe('SUCCEEDED');

      const before = await hubspotRequests();
      const repeat = await stack.post<AddNoteAnswer>(ADD_NOTE, variables);

      expect(repeat.headers['idempotent-replayed']).toBe('true');
      expect(repeat.body.data?.addCrmNote?.note?.id).toBe(noteId);
      expect(await hubspotRequests()).toBe(before);
      expect(await notesOf(contact.id)).toEqual([noteId]);
    });

    it('answers WRITE_OUTCOME_UNKNOWN when HubSpot logged the note but its answer was lost, and never sends it twice', async () => {
      const { id, contact, contactGid } = withContact();
      // The contact is found from the cache, so the only HubSpot call under the fault is the note.
      expect(await contactOf(id)).toMatchObject({ id: contactGid });
      await stack.simAdmin('hubspot', 'faults', { resetAfterRate: 1 });
      const variables = { input: { customerId: id, body: 'Left a voicemail' } };

      const answer = await stack.post<AddNoteAnswer>(ADD_NOTE, variables, { 'idempotency-key': 'note-lost-answer' });
      const retried = await stack.post<AddNoteAnswer>(ADD_NOTE, variables, { 'idempotency-key': 'note-lost-answer' });

      expect(answer.body.data?.addCrmNote ?? null).toBeNull();
      expect(answer.body.errors?.map((e) => e.extensions?.['code'])).toEqual(['WRITE_OUTCOME_UNKNOWN']);
      // The client's retry with its key hears the same, rather than logging the note again.
      expect(retried.headers['idempotent-replayed']).toBe('true');
      expect(retried.body.errors?.map((e) => e.extensions?.['code'])).toEqual(['WRITE_OUTCOME_UNKNOWN']);
      expect((await stack.simStats('hubspot')).byRoute[NOTES_ROUTE]).toEqual({ '0': 1 });
      await stack.simAdmin('hubspot', 'faults', {});
      expect(await notesOf(contact.id)).toHaveLength(1);
    });
  });
});
