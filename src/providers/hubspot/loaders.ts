import DataLoader from 'dataloader';
import type { CrmContactModel, CustomerModel, DealModel } from '../../model/types.ts';
import { loadEach } from '../../upstream/load-each.ts';
import type { UpstreamReport } from '../../upstream/upstream-report.ts';
import { HUBSPOT_BATCH_SIZE, type HubSpotClient } from './client.ts';

export interface HubSpotLoaders {
  contactById: DataLoader<string, CrmContactModel | null>;
  contactByEmail: DataLoader<string, CrmContactModel | null>;
  /** The customer's contact: by HubSpot ref when it has one, else by email. */
  contactOfCustomer: DataLoader<CustomerModel, CrmContactModel | null, string>;
  dealIdsOfContact: DataLoader<string, string[]>;
  dealById: DataLoader<string, DealModel | null>;
}

export function createHubSpotLoaders(client: HubSpotClient, report: UpstreamReport): HubSpotLoaders {
  const options = { maxBatchSize: HUBSPOT_BATCH_SIZE };
  const contactById = new DataLoader<string, CrmContactModel | null>(async (ids) => {
    const contacts = await client.readContacts(ids, 'id', report);
    const found = new Map(contacts.map((contact) => [contact.id, contact]));
    return ids.map((id) => found.get(id) ?? null);
  }, options);
  const contactByEmail = new DataLoader<string, CrmContactModel | null>(async (emails) => {
    const contacts = await client.readContacts(emails, 'email', report);
    const found = new Map(contacts.map((contact) => [contact.email?.toLowerCase(), contact]));
    for (const contact of contacts) contactById.prime(contact.id, contact);
    return emails.map((email) => found.get(email) ?? null);
  }, { ...options, cacheKeyFn: (email) => email.toLowerCase() });
  // Why one loader over both lookups: its batch settles only when the by-id and by-email reads
  // both have, so every customer's deals lookup that follows lands in one associations batch.
  // Without it the two reads would finish apart and split the next step into two HubSpot calls.
  const contactOfCustomer = new DataLoader<CustomerModel, CrmContactModel | null, string>(
    (customers) =>
      loadEach(customers, (customer) =>
        customer.hubspotRef !== null ? contactById.load(customer.hubspotRef) : contactByEmail.load(customer.email.toLowerCase()),
      ),
    { cacheKeyFn: (customer) => customer.id },
  );
  const dealIdsOfContact = new DataLoader<string, string[]>(async (contactIds) => {
    const deals = await client.readDealIds(contactIds, report);
    return contactIds.map((id) => deals.get(id) ?? []);
  }, options);
  const dealById = new DataLoader<string, DealModel | null>(async (ids) => {
    const deals = await client.readDeals(ids, report);
    const found = new Map(deals.map((deal) => [deal.id, deal]));
    return ids.map((id) => found.get(id) ?? null);
  }, options);
  return { contactById, contactByEmail, contactOfCustomer, dealIdsOfContact, dealById };
}
