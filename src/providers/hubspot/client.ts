import type { z } from 'zod';
import { ErrorCode, UpstreamError, WriteOutcomeUnknownError, isUpstreamError } from '../../errors.ts';
import type { UpstreamClient } from '../../upstream/upstream-client.ts';
import type { CallContext } from '../../upstream/call-context.ts';
import { parseWire } from '../../upstream/wire-validation.ts';
import { CONTACT_PROPERTIES, DEAL_PROPERTIES } from './mapper.ts';
import { wireAssociationsBatch, wireBatchRead, wireHubSpotError, wireObject, type WireObject } from './wire.ts';

/** HubSpot batch endpoints take at most 100 inputs (https://developers.hubspot.com/docs/api/crm/contacts). */
export const HUBSPOT_BATCH_SIZE = 100;

/**
 * Batch errors that mean "no such object" or "nothing associated": answers, not failures.
 * HubSpot reports an input without associations as OBJECT_NOT_FOUND with subCategory
 * crm.associations.NO_ASSOCIATIONS_FOUND.
 */
const ABSENT_CATEGORIES = new Set(['OBJECT_NOT_FOUND', 'NO_ASSOCIATIONS_FOUND']);

/** One input of the associations batch read: a contact, and where its next page starts. */
interface AssociationInput {
  id: string;
  after?: string;
}

/** HubSpot's association type of a note to a contact (HUBSPOT_DEFINED). */
const NOTE_TO_CONTACT = 202;

/** What a write came to: the object, HubSpot's refusal (400: `errors[].code`), or no such object (404). */
export type HubSpotWriteAnswer = { object: WireObject } | { refused: { codes: string[]; message: string } } | { notFound: true };

export class HubSpotClient {
  constructor(private readonly upstream: UpstreamClient) {}

  /** Contacts by id, or by email with `idProperty: "email"`; unknown ones are simply absent. */
  readContacts(keys: readonly string[], by: 'id' | 'email', call: CallContext): Promise<WireObject[]> {
    return this.batchRead('contacts', keys, CONTACT_PROPERTIES, by, call);
  }

  readDeals(ids: readonly string[], call: CallContext): Promise<WireObject[]> {
    return this.batchRead('deals', ids, DEAL_PROPERTIES, 'id', call);
  }

  /**
   * Every deal id associated with each contact (CRM v4 associations batch read). HubSpot pages
   * each contact's list on its own (`results[].paging.next.after`, sent back beside the id), so
   * the reads go in rounds: each round is one batch call for every contact that still has a page
   * to come, until none has.
   */
  async readDealIds(contactIds: readonly string[], call: CallContext): Promise<Map<string, string[]>> {
    const deals = new Map<string, string[]>();
    const cursorsSeen = new Map<string, Set<string>>();
    let inputs: AssociationInput[] = contactIds.map((id) => ({ id }));
    while (inputs.length > 0) {
      const response = await this.upstream.request({
        method: 'POST',
        path: '/crm/v4/associations/contacts/deals/batch/read',
        json: { inputs },
        expect: [207],
        resource: 'hubspot.dealIds',
        call,
      });
      const body = parseWire('hubspot', wireAssociationsBatch, response.body, 'associations batch');
      checkBatchErrors(body.errors);
      const next: AssociationInput[] = [];
      for (const result of body.results) {
        const list = deals.get(result.from.id) ?? [];
        if (list.length === 0) deals.set(result.from.id, list);
        for (const to of result.to) list.push(to.toObjectId);
        const after = result.paging?.next?.after;
        if (after === undefined) continue;
        // A cursor seen before (a cycle of any length) would loop for ever: HubSpot broke its promise.
        const seen = cursorsSeen.get(result.from.id) ?? new Set<string>();
        if (seen.has(after)) {
          throw new UpstreamError(ErrorCode.UpstreamBadResponse, 'hubspot', 'HubSpot sent an unexpected associations batch', { detail: `paging.next.after repeated for ${result.from.id}` });
        }
        cursorsSeen.set(result.from.id, seen.add(after));
        next.push({ id: result.from.id, after });
      }
      inputs = next;
    }
    return deals;
  }

  /**
   * `PATCH /crm/v3/objects/contacts/{id}`. It sets absolute values, so sending it again after a
   * lost answer leaves the contact as one send would: the pipeline may retry it.
   */
  async updateContact(id: string, properties: Record<string, string>, call: CallContext): Promise<HubSpotWriteAnswer> {
    const response = await this.upstream.request({
      method: 'PATCH',
      resource: 'write',
      path: `/crm/v3/objects/contacts/${encodeURIComponent(id)}`,
      json: { properties },
      idempotent: true,
      expect: [400, 404],
      call,
    });
    return writeAnswer(response.status, response.body);
  }

  /**
   * `POST /crm/v3/objects/notes`, associated with the contact. HubSpot has no idempotency key, so
   * this is sent once: never retried, and a failure after it may have reached HubSpot is
   * WRITE_OUTCOME_UNKNOWN (a second send could log the note twice).
   */
  async createNote(contactId: string, body: string, timestamp: string, call: CallContext): Promise<HubSpotWriteAnswer> {
    try {
      const response = await this.upstream.request({
        method: 'POST',
        resource: 'write',
        path: '/crm/v3/objects/notes',
        json: {
          properties: { hs_note_body: body, hs_timestamp: timestamp },
          associations: [{ to: { id: contactId }, types: [{ associationCategory: 'HUBSPOT_DEFINED', associationTypeId: NOTE_TO_CONTACT }] }],
        },
        expect: [400, 404],
        call,
      });
      return writeAnswer(response.status, response.body);
    } catch (error) {
      if (isUpstreamError(error) && error.mayHaveArrived) {
        throw new WriteOutcomeUnknownError('hubspot', 'HubSpot may or may not have logged the note (its answer was lost); look at the contact before sending it again');
      }
      throw error;
    }
  }

  private async batchRead(
    type: 'contacts' | 'deals',
    keys: readonly string[],
    properties: readonly string[],
    by: 'id' | 'email',
    call: CallContext,
  ): Promise<WireObject[]> {
    const response = await this.upstream.request({
      method: 'POST',
      path: `/crm/v3/objects/${type}/batch/read`,
      json: { inputs: keys.map((id) => ({ id })), properties: [...properties], ...(by === 'email' ? { idProperty: 'email' } : {}) },
      expect: [207],
      resource: type === 'deals' ? 'hubspot.deal' : by === 'email' ? 'hubspot.contactByEmail' : 'hubspot.contact',
      call,
    });
    const body = parseWire('hubspot', wireBatchRead, response.body, `${type} batch`);
    checkBatchErrors(body.errors);
    return body.results;
  }
}

/** A 207 lists per-input errors; anything but "not found" means HubSpot failed those inputs. */
function checkBatchErrors(errors: z.output<typeof wireBatchRead>['errors']): void {
  const failure = errors?.find((error) => !ABSENT_CATEGORIES.has(error.category));
  if (failure) {
    throw new UpstreamError(ErrorCode.UpstreamUnavailable, 'hubspot', 'HubSpot failed part of a batch read', { detail: failure.category, transient: true });
  }
}

function writeAnswer(status: number, body: unknown): HubSpotWriteAnswer {
  if (status === 404) return { notFound: true };
  if (status === 400) {
    const error = parseWire('hubspot', wireHubSpotError, body, 'error body');
    const codes = (error.errors ?? []).flatMap((entry) => (entry.code ? [entry.code] : []));
    return { refused: { codes: codes.length > 0 ? codes : [error.category], message: error.message } };
  }
  return { object: parseWire('hubspot', wireObject, body, 'object') };
}
