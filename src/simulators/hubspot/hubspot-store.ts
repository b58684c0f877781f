import type { Dataset, HubSpotObject } from '../dataset/dataset.ts';
import type { ObjectType } from './object-type.ts';

/** Read-only CRM data: objects by type, contacts by email, associations both ways. */
export class HubSpotStore {
  readonly #objects: Record<ObjectType['plural'], { ordered: HubSpotObject[]; byId: Map<string, HubSpotObject> }>;
  readonly #contactsByEmail = new Map<string, HubSpotObject>();
  readonly #associations = new Map<string, string[]>();

  constructor(dataset: Dataset) {
    const index = (objects: HubSpotObject[]) => ({
      ordered: [...objects].sort((a, b) => Number(a.id) - Number(b.id)),
      byId: new Map(objects.map((object) => [object.id, object])),
    });
    this.#objects = { contacts: index(dataset.hubspot.contacts), deals: index(dataset.hubspot.deals) };
    for (const contact of dataset.hubspot.contacts) {
      const email = contact.properties.email;
      if (email) this.#contactsByEmail.set(email.toLowerCase(), contact);
    }
    for (const { contactId, dealId } of dataset.hubspot.contactDeals) {
      this.#link(`contacts:${contactId}:deals`, dealId);
      this.#link(`deals:${dealId}:contacts`, contactId);
    }
  }

  /** By id, or by a unique property (`email`, case-insensitive as HubSpot stores it). */
  find(type: ObjectType, value: string, idProperty?: string): HubSpotObject | undefined {
    if (idProperty === 'email') return type.plural === 'contacts' ? this.#contactsByEmail.get(value.toLowerCase()) : undefined;
    return this.#objects[type.plural].byId.get(value);
  }

  /** Objects in ascending numeric id order, from `after` (inclusive) on. */
  page(type: ObjectType, after: number, limit: number): { items: HubSpotObject[]; hasMore: boolean } {
    const from = this.#objects[type.plural].ordered.filter((object) => Number(object.id) >= after);
    return { items: from.slice(0, limit), hasMore: from.length > limit };
  }

  /** Ids of the `to` objects associated with one `from` object, ascending. */
  associated(from: ObjectType['plural'], id: string, to: ObjectType['plural']): string[] {
    return this.#associations.get(`${from}:${id}:${to}`) ?? [];
  }

  #link(key: string, id: string): void {
    const ids = this.#associations.get(key) ?? [];
    ids.push(id);
    ids.sort((a, b) => Number(a) - Number(b));
    this.#associations.set(key, ids);
  }
}
