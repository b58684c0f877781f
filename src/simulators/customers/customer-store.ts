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

/** What `PATCH /v1/customers/{id}` and `POST /_sim/mutate` may change on a record. */
export interface CustomerChange {
  email?: string;
  name?: string;
}

/**
 * The customer records, ordered by id as the service lists them: a deep copy of the seeded ones,
 * so `POST /_sim/mutate` can change them and `reset()` can return to the seed without touching
 * the shared Dataset.
 */
export class CustomerStore {
  readonly #seed: readonly CustomerRecord[];
  #ordered: CustomerRecord[] = [];
  #byId = new Map<string, CustomerRecord>();

  constructor(records: readonly CustomerRecord[]) {
    this.#seed = records;
    this.reset();
  }

  reset(): void {
    const records = [...structuredClone(this.#seed)];
    this.#ordered = records.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    this.#byId = new Map(records.map((record) => [record.id, record]));
  }

  /**
   * Applies the change; when anything differs the record gets a new `version` (so a new ETag)
   * and `updatedAt`. Returns whether it changed.
   */
  update(record: CustomerRecord, change: CustomerChange, now: number): boolean {
    const email = change.email?.toLowerCase() ?? record.email;
    const name = change.name ?? record.name;
    if (email === record.email && name === record.name) return false;
    record.email = email;
    record.name = name;
    record.version += 1;
    record.updatedAt = new Date(now).toISOString();
    return true;
  }

  remove(record: CustomerRecord): void {
    this.#byId.delete(record.id);
    this.#ordered = this.#ordered.filter((candidate) => candidate !== record);
  }

  get(id: string): CustomerRecord | undefined {
    return this.#byId.get(id);
  }

  /** The customer holding an email, compared case-insensitively (records store it lower-case). */
  withEmail(email: string): CustomerRecord | undefined {
    const wanted = email.toLowerCase();
    return this.#ordered.find((record) => record.email === wanted);
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
