import { ErrorCode, UpstreamError } from '../../errors.ts';
import type { CrmContactModel, LifecycleStageModel } from '../../model/types.ts';
import type { AddCrmNotePayloadModel, UpdateCrmContactPayloadModel, UserErrorModel, WritePayloadModel } from '../../model/writes.ts';
import type { WriteDefinition, WriteOutcome } from '../../writes/write-definition.ts';
import type { WriteEnv } from '../write-env.ts';
import type { HubSpotWriteAnswer } from './client.ts';
import { hubspotStage } from './mapper.ts';

/** `updateCrmContact`'s input as stored with a deferred write: the customer service's id. */
export interface UpdateCrmContactInput {
  customerId: string;
  lifecycleStage: LifecycleStageModel | null;
  firstName: string | null;
  lastName: string | null;
}

/** `addCrmNote`'s input; `timestamp` is when the client asked, so a queued note keeps its moment. */
export interface AddCrmNoteInput {
  customerId: string;
  body: string;
  /** ISO 8601. */
  timestamp: string;
}

/** HubSpot's longest single-line text property value is 65,536 characters; names are kept far shorter. */
const MAX_NOTE = 65_536;
const MAX_NAME = 200;

/**
 * The contact is the one `Customer.crmContact` finds (the customer's HubSpot ref, else its
 * email), found when the write runs: a queued write finds it once HubSpot is back.
 */
async function contactOf(env: WriteEnv, customerId: string): Promise<CrmContactModel | UserErrorModel> {
  const customer = await env.customers.byId.load(customerId);
  if (!customer) return { code: 'CUSTOMER_NOT_FOUND', message: `No customer ${customerId}`, field: ['input', 'customerId'] };
  const contact = await env.hubspot.contactOfCustomer.load(customer);
  return contact ?? { code: 'CRM_CONTACT_NOT_FOUND', message: `Customer ${customerId} has no HubSpot contact`, field: ['input', 'customerId'] };
}

export const updateCrmContact: WriteDefinition<WriteEnv, UpdateCrmContactInput, UpdateCrmContactPayloadModel> = {
  mutation: 'updateCrmContact',
  provider: 'hubspot',
  needsKey: false,
  repeatable: true,
  deferrable: () => true,
  check(input) {
    const errors: UserErrorModel[] = [];
    if (input.lifecycleStage === null && input.firstName === null && input.lastName === null) {
      errors.push({ code: 'NOTHING_TO_CHANGE', message: 'Give a lifecycle stage, a first name or a last name', field: ['input'] });
    }
    for (const [field, value] of [['firstName', input.firstName], ['lastName', input.lastName]] as const) {
      if (value !== null && (value.trim() === '' || value.length > MAX_NAME)) errors.push({ code: 'INVALID_VALUE', message: `A name is 1 to ${MAX_NAME} characters, not blank`, field: ['input', field] });
    }
    return errors;
  },
  async run(env, input) {
    const contact = await contactOf(env, input.customerId);
    if (!('kind' in contact)) return refused(this, contact);
    const properties: Record<string, string> = {};
    if (input.lifecycleStage !== null) properties['lifecyclestage'] = hubspotStage(input.lifecycleStage);
    if (input.firstName !== null) properties['firstname'] = input.firstName;
    if (input.lastName !== null) properties['lastname'] = input.lastName;
    const answer = await env.clients.hubspot.updateContact(contact.id, properties, env.call);
    const failure = refusalOf(answer, input.customerId);
    if (failure) return refused(this, failure);
    // The answer holds only some properties: the contact is read again when asked for.
    env.hubspot.contactById.clear(contact.id);
    return {
      payload: { kind: 'UpdateCrmContactPayload', status: 'SUCCEEDED', operationId: null, userErrors: [], contactId: contact.id },
      effects: [
        { kind: 'invalidate', resource: 'hubspot.contact', id: contact.id },
        { kind: 'publish', topic: 'crmContact', key: contact.id },
      ],
    };
  },
  pending: (status, operationId, userErrors) => ({ kind: 'UpdateCrmContactPayload', status, operationId, userErrors, contactId: null }),
};

export const addCrmNote: WriteDefinition<WriteEnv, AddCrmNoteInput, AddCrmNotePayloadModel> = {
  mutation: 'addCrmNote',
  provider: 'hubspot',
  needsKey: true,
  repeatable: false,
  deferrable: () => true,
  check(input) {
    if (input.body.trim() === '' || input.body.length > MAX_NOTE) return [{ code: 'INVALID_VALUE', message: `A note is 1 to ${MAX_NOTE} characters, not blank`, field: ['input', 'body'] }];
    return [];
  },
  async run(env, input) {
    const contact = await contactOf(env, input.customerId);
    if (!('kind' in contact)) return refused(this, contact);
    const answer = await env.clients.hubspot.createNote(contact.id, input.body, input.timestamp, env.call);
    if (!('object' in answer)) return refused(this, refusalOf(answer, input.customerId)!);
    const note = answer.object;
    return {
      payload: {
        kind: 'AddCrmNotePayload',
        status: 'SUCCEEDED',
        operationId: null,
        userErrors: [],
        note: { id: note.id, body: note.properties['hs_note_body'] ?? input.body, timestamp: normalise(note.properties['hs_timestamp']) ?? input.timestamp },
        contactId: contact.id,
      },
      effects: [],
    };
  },
  pending: (status, operationId, userErrors) => ({ kind: 'AddCrmNotePayload', status, operationId, userErrors, note: null, contactId: null }),
};

/** HubSpot's refusals that are the client's business; anything else it refuses is the gateway's fault. */
function refusalOf(answer: HubSpotWriteAnswer, customerId: string): UserErrorModel | undefined {
  if ('object' in answer) return undefined;
  if ('notFound' in answer) return { code: 'CRM_CONTACT_NOT_FOUND', message: `Customer ${customerId}'s HubSpot contact no longer exists`, field: ['input', 'customerId'] };
  const { codes, message } = answer.refused;
  if (codes.includes('INVALID_OPTION')) return { code: 'UNKNOWN_LIFECYCLE_STAGE', message, field: ['input', 'lifecycleStage'] };
  throw new UpstreamError(ErrorCode.UpstreamRejected, 'hubspot', 'HubSpot rejected the change', { detail: codes.join(',') });
}

function refused<P extends WritePayloadModel>(definition: Pick<WriteDefinition<WriteEnv, never, P>, 'pending'>, error: UserErrorModel): WriteOutcome<P> {
  return { payload: definition.pending('FAILED', null, [error]), effects: [] };
}

/** HubSpot answers `hs_timestamp` as ISO 8601 or as epoch milliseconds; ours is ISO. */
function normalise(value: string | null | undefined): string | undefined {
  if (!value) return undefined;
  const date = /^\d+$/.test(value) ? new Date(Number(value)) : new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}
