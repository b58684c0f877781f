import type { Dataset, HubSpotObject } from '../dataset/dataset.ts';
import type { ObjectType } from './object-type.ts';

type Plural = ObjectType['plural'];
/** What an association may join: the CRM objects, and the notes (engagements) logged on contacts. */
export type AssociatedPlural = Plural | 'notes';

/** Note ids come from HubSpot's engagement id space, far from contact and deal ids. */
const FIRST_NOTE_ID = 50_000_000_001;

/** A property that changed: its name and new value (null when it was cleared). */
export interface PropertyChange {
  name: string;
  value: string | null;
}

/**
 * The portal's CRM data: objects by type, contacts by email, notes logged through the API,
 * associations both ways. A deep copy of the seeded data, so writes can change it and `reset()`
 * can return to the seed (and forget every note) without touching the shared Dataset.
 */
export class HubSpotStore {
  readonly #dataset: Dataset;
  #objects: Record<Plural, { ordered: HubSpotObject[]; byId: Map<string, HubSpotObject> }> = {
    contacts: { ordered: [], byId: new Map() },
    deals: { ordered: [], byId: new Map() },
  };
  #contactsByEmail = new Map<string, HubSpotObject>();
  #associations = new Map<string, string[]>();
  #notes = new Map<string, HubSpotObject>();
  // Never restarts, not even on reset: a note id a test saw before a reset stays unknown after it.
  #nextNoteId = FIRST_NOTE_ID;

  constructor(dataset: Dataset) {
    this.#dataset = dataset;
    this.reset();
  }

  reset(): void {
    const { contacts, deals, contactDeals } = structuredClone(this.#dataset.hubspot);
    const index = (objects: HubSpotObject[]) => ({
      ordered: [...objects].sort((a, b) => Number(a.id) - Number(b.id)),
      byId: new Map(objects.map((object) => [object.id, object])),
    });
    this.#objects = { contacts: index(contacts), deals: index(deals) };
    this.#contactsByEmail = new Map();
    for (const contact of contacts) {
      const email = contact.properties.email;
      if (email) this.#contactsByEmail.set(email.toLowerCase(), contact);
    }
    this.#associations = new Map();
    this.#notes = new Map();
    for (const { contactId, dealId } of contactDeals) {
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
  associated(from: AssociatedPlural, id: string, to: AssociatedPlural): string[] {
    return this.#associations.get(`${from}:${id}:${to}`) ?? [];
  }

  /** Logs a note (properties as given, plus the ones HubSpot sets) on the given contacts. */
  createNote(properties: Record<string, string | null>, contactIds: readonly string[], now: number): HubSpotObject {
    const id = String(this.#nextNoteId++);
    const at = new Date(now).toISOString();
    const note: HubSpotObject = {
      id,
      properties: { ...properties, hs_createdate: at, hs_lastmodifieddate: at, hs_object_id: id },
      createdAt: at,
      updatedAt: at,
      archived: false,
    };
    this.#notes.set(id, note);
    for (const contactId of new Set(contactIds)) {
      this.#link(`contacts:${contactId}:notes`, id);
      this.#link(`notes:${id}:contacts`, contactId);
    }
    return note;
  }

  note(id: string): HubSpotObject | undefined {
    return this.#notes.get(id);
  }

  /**
   * Sets properties and, when any value differs, moves the modified date and `updatedAt` to
   * `now`. Returns the changes, in the order given; none when every value was already set.
   */
  update(type: ObjectType, object: HubSpotObject, properties: Record<string, string | null>, now: number): PropertyChange[] {
    const changes = Object.entries(properties)
      .filter(([name, value]) => (object.properties[name] ?? null) !== value)
      .map(([name, value]) => ({ name, value }));
    if (changes.length === 0) return changes;
    const oldEmail = object.properties.email?.toLowerCase();
    for (const { name, value } of changes) object.properties[name] = value;
    const modified = new Date(now).toISOString();
    object.properties[type.modifiedProperty] = modified;
    object.updatedAt = modified;
    if (type.plural === 'contacts') {
      const newEmail = object.properties.email?.toLowerCase();
      if (oldEmail !== newEmail) {
        if (oldEmail) this.#contactsByEmail.delete(oldEmail);
        if (newEmail) this.#contactsByEmail.set(newEmail, object);
      }
    }
    return changes;
  }

  /** Removes an object and its associations; HubSpot drops the associations of a deleted record. */
  remove(type: ObjectType, object: HubSpotObject): void {
    const objects = this.#objects[type.plural];
    objects.byId.delete(object.id);
    objects.ordered = objects.ordered.filter((candidate) => candidate !== object);
    const email = object.properties.email?.toLowerCase();
    if (type.plural === 'contacts' && email) this.#contactsByEmail.delete(email);
    const others: AssociatedPlural[] = type.plural === 'contacts' ? ['deals', 'notes'] : ['contacts'];
    for (const other of others) {
      for (const otherId of this.associated(type.plural, object.id, other)) {
        const key = `${other}:${otherId}:${type.plural}`;
        this.#associations.set(key, this.associated(other, otherId, type.plural).filter((id) => id !== object.id));
      }
      this.#associations.delete(`${type.plural}:${object.id}:${other}`);
    }
  }

  #link(key: string, id: string): void {
    const ids = this.#associations.get(key) ?? [];
    ids.push(id);
    ids.sort((a, b) => Number(a) - Number(b));
    this.#associations.set(key, ids);
  }
}
