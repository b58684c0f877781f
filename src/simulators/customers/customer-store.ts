import type { CustomerRecord } from '../dataset/dataset.ts';
import { customerEtag } from './entity-tag.ts';

export interface CustomerQuery {
  /** Only ids after this one (exclusive). */
  after?: string;
  limit: number;
  email?: string;
  stripeRef?: string;
  hubspotRef?: string;
}

/** Read-only view of the customer records, ordered by id as the service lists them. */
export class CustomerStore {
  readonly #ordered: readonly CustomerRecord[];
  readonly #byId: Map<string, CustomerRecord>;

  constructor(records: readonly CustomerRecord[]) {
    this.#ordered = [...records].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    this.#byId = new Map(records.map((record) => [record.id, record]));
  }

  get(id: string): CustomerRecord | undefined {
    return this.#byId.get(id);
  }

  page(query: CustomerQuery): { items: CustomerRecord[]; hasMore: boolean } {
    const email = query.email?.toLowerCase();
    const items: CustomerRecord[] = [];
    for (const record of this.#ordered) {
      if (query.after !== undefined && record.id <= query.after) continue;
      if (email !== undefined && record.email !== email) continue;
      if (query.stripeRef !== undefined && record.externalRefs.stripe !== query.stripeRef) continue;
      if (query.hubspotRef !== undefined && record.externalRefs.hubspot !== query.hubspotRef) continue;
      if (items.length === query.limit) return { items, hasMore: true };
      items.push(record);
    }
    return { items, hasMore: false };
  }
}

/** The wire record, a copy so no caller can reach into the dataset. */
export function customerJson(record: CustomerRecord): CustomerRecord {
  return {
    id: record.id,
    email: record.email,
    name: record.name,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
    externalRefs: { stripe: record.externalRefs.stripe, hubspot: record.externalRefs.hubspot },
    version: record.version,
  };
}

/** The wire record plus its `etag`, as batch-get and list return it. */
export function customerJsonWithEtag(record: CustomerRecord): CustomerRecord & { etag: string } {
  return { ...customerJson(record), etag: customerEtag(record) };
}
