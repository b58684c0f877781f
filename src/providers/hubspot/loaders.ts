import DataLoader from 'dataloader';
import type { CrmContactModel, CustomerModel, DealModel } from '../../model/types.ts';
import { mapOrBadResponse } from '../../errors.ts';
import type { ProviderCache } from '../../upstream/cache/entity-cache.ts';
import { loadEach } from '../../upstream/load-each.ts';
import { LoaderWithNow } from '../../upstream/loader-now.ts';
import type { CallContext } from '../../upstream/call-context.ts';
import { HUBSPOT_BATCH_SIZE, type HubSpotClient } from './client.ts';
import { toCrmContact, toDeal } from './mapper.ts';
import type { WireObject } from './wire.ts';

export interface HubSpotLoaders {
  contactById: DataLoader<string, CrmContactModel | null>;
  /** The customer's contact: by HubSpot ref when it has one, else by email. */
  contactOfCustomer: DataLoader<CustomerModel, CrmContactModel | null, string>;
  dealIdsOfContact: DataLoader<string, string[]>;
  /** The deal ids of the customer's contact; none when it has no contact. */
  dealIdsOfCustomer(customer: CustomerModel): Promise<string[]>;
  dealById: DataLoader<string, DealModel | null>;
  /**
   * Starts the contact reads of customers whose contacts the operation will ask for, now: a page
   * calls this as soon as it has its customers, so that HubSpot's reads, which three more round
   * trips follow (associations, deals), go out ahead of the calls of fields resolved before them.
   */
  prefetchContacts(customers: readonly CustomerModel[]): void;
  /**
   * What `contactOfCustomer`, `dealIdsOfCustomer` and `dealById` would give, when every entity
   * it takes is held by this operation or held fresh by the cache: at once, with no promise (see
   * LoaderWithNow); undefined when any is not, and the loaders are used then.
   */
  contactOfCustomerNow(customer: CustomerModel): CrmContactModel | null | undefined;
  dealIdsOfCustomerNow(customer: CustomerModel): string[] | undefined;
  dealNow(id: string): DealModel | null | undefined;
}

export interface HubSpotLoaderOptions {
  client: HubSpotClient;
  cache: ProviderCache;
  call: CallContext;
  defaultCurrency: string;
}

export function createHubSpotLoaders({ client, cache, call, defaultCurrency }: HubSpotLoaderOptions): HubSpotLoaders {
  const options = { maxBatchSize: HUBSPOT_BATCH_SIZE };
  const contacts = new LoaderWithNow<CrmContactModel | null>(async (ids) => {
    const found = await cache.load<WireObject>(
      'hubspot.contact',
      ids,
      async (missing, _known, callCtx) => ({ found: byId(missing, await client.readContacts(missing, 'id', callCtx)) }),
      call,
    );
    return ids.map((id) => mapOutcome(found.get(id), toCrmContact));
  }, (id) => cache.freshNow<WireObject, CrmContactModel | null>('hubspot.contact', id, call, (wire) => acceptedOutcome(wire, toCrmContact)), options);
  const contactById = contacts.loader;

  // Emails map to contact ids (pointers), so invalidating a contact by id is enough. The contacts
  // the lookup returned are stored and primed, so following the pointer costs no second call.
  const contactIds = new LoaderWithNow<string | null>(async (emails) => {
    const found = await cache.load<string>(
      'hubspot.contactByEmail',
      emails,
      async (missing, _known, callCtx) => {
        const contacts = await client.readContacts(missing, 'email', callCtx);
        for (const contact of contacts) contactById.prime(contact.id, toCrmContact(contact));
        const idOf = new Map(contacts.map((contact) => [contact.properties['email']?.toLowerCase(), contact.id]));
        return {
          found: new Map(missing.map((email) => [email, { value: idOf.get(email) ?? null }])),
          related: contacts.map((contact) => ({ resource: 'hubspot.contact' as const, id: contact.id, entity: { value: contact } })),
        };
      },
      call,
    );
    return emails.map((email) => found.get(email) ?? null);
  }, (email) => cache.freshNow<string, string | null>('hubspot.contactByEmail', email, call, (id) => id), { ...options, cacheKeyFn: (email) => email.toLowerCase() });
  const contactIdByEmail = contactIds.loader;

  // One loader over both lookups, so crmContact has one key per customer; the deals lookups do not
  // go through it (dealIdsOfCustomer), so that neither read waits for the other.
  const contactOfCustomer = new DataLoader<CustomerModel, CrmContactModel | null, string>(
    (customers) =>
      loadEach(customers, async (customer) => {
        const id = customer.hubspotRef ?? (await contactIdByEmail.load(customer.email.toLowerCase()));
        return id === null ? null : contactById.load(id);
      }),
    { cacheKeyFn: (customer) => customer.id },
  );

  // Deals lookups still finding their contact's id by email: the associations batch waits for
  // them (see dealIdsOfContact) so that one page's lookups make one HubSpot call.
  let idsAwaited = 0;
  const parked: Array<() => void> = [];
  const idArrived = () => {
    idsAwaited -= 1;
    if (idsAwaited === 0) for (const dispatch of parked.splice(0)) process.nextTick(dispatch);
  };

  /**
   * Why a schedule of its own: a customer's HubSpot ref is its contact's id, so its associations
   * can be read with the contact instead of after it (one round trip less), but a customer found
   * by email has its contact id only once that read is back. Dispatched as DataLoader would (the
   * tick after the loads), unless some lookup still awaits its id: then when the last one has it,
   * so a page mixing both kinds still makes one associations call.
   */
  const dealIdsSchedule = (dispatch: () => void) => {
    void Promise.resolve().then(() =>
      process.nextTick(() => {
        if (idsAwaited === 0) dispatch();
        else parked.push(dispatch);
      }),
    );
  };

  const dealIds = new LoaderWithNow<string[]>(async (contactIds) => {
    const found = await cache.load<string[]>(
      'hubspot.dealIds',
      contactIds,
      async (missing, _known, callCtx) => {
        const deals = await client.readDealIds(missing, callCtx);
        return { found: new Map(missing.map((id) => [id, { value: deals.get(id) ?? [] }])) };
      },
      call,
    );
    return contactIds.map((id) => {
      const outcome = found.get(id);
      return outcome instanceof Error ? outcome : (outcome ?? []);
    });
  }, (contactId) => cache.freshNow<string[], string[]>('hubspot.dealIds', contactId, call, (ids) => ids ?? []), { ...options, batchScheduleFn: dealIdsSchedule });
  const dealIdsOfContact = dealIds.loader;

  // Read with the contact, not after it; kept only when the contact exists, as when the read
  // followed it.
  const dealIdsWith = async (contactId: string): Promise<string[]> => {
    const [contact, ids] = await Promise.all([contactById.load(contactId), dealIdsOfContact.load(contactId).catch((error: Error) => error)]);
    if (contact === null) return [];
    if (ids instanceof Error) throw ids;
    return ids;
  };

  const dealIdsOfCustomer = async (customer: CustomerModel): Promise<string[]> => {
    if (customer.hubspotRef !== null) return dealIdsWith(customer.hubspotRef);
    idsAwaited += 1;
    let ids: Promise<string[]>;
    try {
      const contactId = await contactIdByEmail.load(customer.email.toLowerCase());
      if (contactId === null) return [];
      ids = dealIdsWith(contactId);
    } finally {
      // After the read above joined the associations batch: the batch may go now.
      idArrived();
    }
    return ids;
  };

  const toDealModel = (deal: WireObject) => toDeal(deal, defaultCurrency);
  const deals = new LoaderWithNow<DealModel | null>(async (ids) => {
    const found = await cache.load<WireObject>(
      'hubspot.deal',
      ids,
      async (missing, _known, callCtx) => ({ found: byId(missing, await client.readDeals(missing, callCtx)) }),
      call,
    );
    return ids.map((id) => mapOutcome(found.get(id), toDealModel));
  }, (id) => cache.freshNow<WireObject, DealModel | null>('hubspot.deal', id, call, (wire) => acceptedOutcome(wire, toDealModel)), options);
  const dealById = deals.loader;

  const prefetchContacts = (customers: readonly CustomerModel[]) => {
    for (const customer of customers) {
      const ref = customer.hubspotRef;
      const email = customer.email.toLowerCase();
      // Held already (counted now, as the load would have been): nothing to start.
      if ((ref !== null ? contacts.now(ref) : contactIds.now(email)) !== undefined) continue;
      const started = ref !== null ? contactById.load(ref) : contactIdByEmail.load(email);
      // Whoever asks for it later gets the same promise, and its error.
      started.catch(() => undefined);
    }
  };

  const contactIdNow = (customer: CustomerModel) => customer.hubspotRef ?? contactIds.now(customer.email.toLowerCase());
  const contactOfCustomerNow = (customer: CustomerModel) => {
    const id = contactIdNow(customer);
    return id === undefined || id === null ? id : contacts.now(id);
  };
  // As dealIdsWith: the contact and its associations are both read, and no contact means no deals.
  const dealIdsOfCustomerNow = (customer: CustomerModel) => {
    const id = contactIdNow(customer);
    if (id === undefined) return undefined;
    if (id === null) return [];
    const contact = contacts.now(id);
    const ids = dealIds.now(id);
    if (contact === undefined || ids === undefined) return undefined;
    return contact === null ? [] : ids;
  };

  return { contactById, contactOfCustomer, dealIdsOfContact, dealIdsOfCustomer, dealById, prefetchContacts, contactOfCustomerNow, dealIdsOfCustomerNow, dealNow: (id) => deals.now(id) };
}

/** HubSpot answers in its own order and leaves out what it does not have. */
function byId(ids: readonly string[], objects: readonly WireObject[]): Map<string, { value: WireObject | null }> {
  const found = new Map(objects.map((object) => [object.id, object]));
  return new Map(ids.map((id) => [id, { value: found.get(id) ?? null }]));
}

/** A fresh cached object's model for LoaderWithNow; undefined (left to the loader, which reports it) when it does not map. */
function acceptedOutcome<T>(wire: WireObject | null, map: (object: WireObject) => T): T | null | undefined {
  const outcome = mapOutcome(wire, map);
  return outcome instanceof Error ? undefined : outcome;
}

function mapOutcome<T>(outcome: WireObject | null | Error | undefined, map: (object: WireObject) => T): T | null | Error {
  if (outcome instanceof Error) return outcome;
  return outcome ? mapOrBadResponse('hubspot', outcome, map) : null;
}
