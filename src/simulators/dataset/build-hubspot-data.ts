import type { ContactDealAssociation, CustomerRecord, HubSpotObject } from './dataset.ts';
import { DATASET_WINDOW, DAY_MS } from './dataset-window.ts';
import type { SeededRandom } from './seeded-random.ts';

export interface HubSpotData {
  contacts: HubSpotObject[];
  deals: HubSpotObject[];
  contactDeals: ContactDealAssociation[];
  /** customer id → the value for `externalRefs.hubspot` */
  refs: Map<string, string>;
  danglingRefs: string[];
  byEmailOnly: string[];
  emailMismatch: string[];
}

const LINKED_SHARE = 0.8;
const EMAIL_ONLY_SHARE = 0.08;
const DANGLING_COUNT = 5;
const MISMATCH_COUNT = 3;
const FIRST_CONTACT_ID = 1001;
const FIRST_DEAL_ID = 30001;
const LIFECYCLE_STAGES = [
  'subscriber', 'lead', 'marketingqualifiedlead', 'salesqualifiedlead',
  'opportunity', 'customer', 'evangelist', 'other',
];
const DEAL_STAGES = [
  'appointmentscheduled', 'qualifiedtobuy', 'presentationscheduled', 'decisionmakerboughtin',
  'contractsent', 'closedwon', 'closedlost',
];
const DEAL_NAMES = ['Annual plan', 'Pro upgrade', 'Onboarding package', 'Enterprise renewal', 'Add-on seats', 'Consulting'];

/**
 * HubSpot contacts for about 80% of the customers (linked by `externalRefs.hubspot`) and about 8%
 * more that only share an email with a customer, each with 0–2 deals. Never more than two: the
 * gateway's call-count targets assume at most 100 deals per 50 customers.
 */
export function buildHubSpotData(random: SeededRandom, people: readonly CustomerRecord[]): HubSpotData {
  const order = random.shuffle(people.map((_, index) => index));
  const linkedEnd = Math.round(people.length * LINKED_SHARE);
  const emailOnlyEnd = linkedEnd + Math.round(people.length * EMAIL_ONLY_SHARE);
  const linked = new Set(order.slice(0, linkedEnd));
  const mismatched = new Set(order.slice(0, MISMATCH_COUNT));
  const emailOnly = new Set(order.slice(linkedEnd, emailOnlyEnd));
  const dangling = new Set(order.slice(emailOnlyEnd, emailOnlyEnd + DANGLING_COUNT));
  const data: HubSpotData = {
    contacts: [], deals: [], contactDeals: [], refs: new Map(),
    danglingRefs: [], byEmailOnly: [], emailMismatch: [],
  };
  let nextContactId = FIRST_CONTACT_ID;
  let nextDealId = FIRST_DEAL_ID;
  let nextDanglingId = 990001;

  people.forEach((person, index) => {
    if (dangling.has(index)) {
      data.refs.set(person.id, String(nextDanglingId++));
      data.danglingRefs.push(person.id);
      return;
    }
    if (!linked.has(index) && !emailOnly.has(index)) return;
    const email = mismatched.has(index) ? person.email.replace('@', '+old@') : person.email;
    const contact = buildContact(random, String(nextContactId++), person, email);
    data.contacts.push(contact);
    if (linked.has(index)) data.refs.set(person.id, contact.id);
    if (emailOnly.has(index)) data.byEmailOnly.push(person.id);
    if (mismatched.has(index)) data.emailMismatch.push(person.id);

    const dealCount = random.weighted([[0, 45], [1, 35], [2, 20]]);
    for (let n = 0; n < dealCount; n++) {
      const deal = buildDeal(random, String(nextDealId++), contact);
      data.deals.push(deal);
      data.contactDeals.push({ contactId: contact.id, dealId: deal.id });
    }
  });
  return data;
}

function buildContact(random: SeededRandom, id: string, person: CustomerRecord, email: string): HubSpotObject {
  const createdMs = clampToWindow(Date.parse(person.createdAt) + random.int(-30, 30) * DAY_MS + random.int(0, 999));
  const modifiedMs = clampToWindow(createdMs + random.int(0, 200) * DAY_MS + random.int(0, 86_399_999));
  const [firstname, ...rest] = person.name.split(' ');
  return hubSpotObject(id, createdMs, modifiedMs, {
    email,
    firstname: random.chance(0.05) ? null : (firstname ?? null),
    lastname: rest.join(' ') || null,
    lifecyclestage: random.chance(0.1) ? null : random.pick(LIFECYCLE_STAGES),
    createdate: new Date(createdMs).toISOString(),
    lastmodifieddate: new Date(modifiedMs).toISOString(),
    hs_object_id: id,
  });
}

function buildDeal(random: SeededRandom, id: string, contact: HubSpotObject): HubSpotObject {
  const createdMs = clampToWindow(Date.parse(contact.createdAt) + random.int(0, 300) * DAY_MS + random.int(0, 86_399_999));
  const modifiedMs = clampToWindow(createdMs + random.int(0, 90) * DAY_MS);
  const currency = random.weighted([['USD', 75], ['EUR', 15], ['JPY', 3], [null, 7]] as const);
  const stage = random.pick(DEAL_STAGES);
  const closed = stage === 'closedwon' || stage === 'closedlost';
  const closeMs = closed ? modifiedMs : DATASET_WINDOW.endMs + random.int(1, 180) * DAY_MS;
  return hubSpotObject(id, createdMs, modifiedMs, {
    dealname: `${contact.properties.lastname ?? 'Unknown'} - ${random.pick(DEAL_NAMES)}`,
    amount: random.chance(0.1) ? null : dealAmount(random, currency),
    dealstage: stage,
    pipeline: 'default',
    closedate: closed || random.chance(0.5) ? new Date(closeMs).toISOString() : null,
    createdate: new Date(createdMs).toISOString(),
    hs_lastmodifieddate: new Date(modifiedMs).toISOString(),
    deal_currency_code: currency,
    hs_object_id: id,
  });
}

/** HubSpot amounts are decimal strings; yen amounts have no fraction. */
function dealAmount(random: SeededRandom, currency: string | null): string {
  if (currency === 'JPY') return String(random.int(10, 2000) * 100);
  const whole = random.int(100, 50_000);
  return random.chance(0.5) ? String(whole) : `${whole}.${String(random.int(0, 99)).padStart(2, '0')}`;
}

function hubSpotObject(
  id: string,
  createdMs: number,
  modifiedMs: number,
  properties: Record<string, string | null>,
): HubSpotObject {
  return {
    id,
    properties,
    createdAt: new Date(createdMs).toISOString(),
    updatedAt: new Date(modifiedMs).toISOString(),
    archived: false,
  };
}

function clampToWindow(ms: number): number {
  return Math.min(DATASET_WINDOW.endMs, Math.max(DATASET_WINDOW.startMs, ms));
}
