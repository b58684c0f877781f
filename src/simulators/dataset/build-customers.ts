import type { CustomerRecord } from './dataset.ts';
import { DATASET_WINDOW, DAY_MS, floorToSecond } from './dataset-window.ts';
import type { SeededRandom } from './seeded-random.ts';

const FIRST_NAMES = [
  'Ada', 'Alan', 'Grace', 'Linus', 'Margaret', 'Dennis', 'Barbara', 'Ken', 'Frances', 'Edsger',
  'Katherine', 'Donald', 'Radia', 'Tim', 'Hedy', 'John', 'Sophie', 'Niklaus', 'Joan', 'Bjarne',
  'Anita', 'Guido', 'Mary', 'James', 'Shafi', 'Leslie', 'Jean', 'Brian', 'Lynn', 'Yukihiro',
  'Chioma', 'José', 'Zoë', 'Mateo', 'Aiyana', 'Søren', 'Priya', 'Wei', 'Fatima', 'Olu',
];
const LAST_NAMES = [
  'Lovelace', 'Turing', 'Hopper', 'Torvalds', 'Hamilton', 'Ritchie', 'Liskov', 'Thompson',
  'Allen', 'Dijkstra', 'Johnson', 'Knuth', 'Perlman', 'Berners-Lee', 'Lamarr', 'McCarthy',
  'Wilson', 'Wirth', 'Clarke', 'Stroustrup', 'Borg', 'van Rossum', 'Keller', 'Gosling',
  'Goldwasser', 'Lamport', 'Sammet', 'Kernighan', 'Conway', 'Matsumoto', 'Okafor', 'García',
  "O'Neill", 'Nakamura', 'Kristensen', 'Patel', 'Zhang', 'Haddad', 'Adeyemi', 'Müller',
];
const DOMAINS = ['example.com', 'example.org', 'example.net', 'mail.example.com'];

/**
 * The customer service's records, `cust_0001` upward. Creation times grow with the id, as they
 * would with a sequence, and every record starts unlinked: the Stripe and HubSpot builders decide
 * the external refs.
 */
export function buildCustomers(random: SeededRandom, count: number): CustomerRecord[] {
  const span = DATASET_WINDOW.endMs - DATASET_WINDOW.startMs;
  const createdTimes = Array.from({ length: count }, () =>
    floorToSecond(DATASET_WINDOW.startMs + random.next() * span * 0.8),
  ).sort((a, b) => a - b);
  const usedEmails = new Set<string>();

  return createdTimes.map((createdMs, index) => {
    const first = random.pick(FIRST_NAMES);
    const last = random.pick(LAST_NAMES);
    const version = random.weighted([[1, 40], [random.int(2, 3), 40], [random.int(4, 8), 20]]);
    const updatedMs =
      version === 1
        ? createdMs
        : floorToSecond(
            Math.min(DATASET_WINDOW.endMs, createdMs + random.int(1, 400 * 24) * (DAY_MS / 24)),
          );
    return {
      id: `cust_${String(index + 1).padStart(4, '0')}`,
      email: uniqueEmail(`${emailPart(first)}.${emailPart(last)}`, random.pick(DOMAINS), usedEmails),
      name: `${first} ${last}`,
      createdAt: new Date(createdMs).toISOString(),
      updatedAt: new Date(updatedMs).toISOString(),
      externalRefs: { stripe: null, hubspot: null },
      version,
    };
  });
}

/** Lower-case ASCII letters only: "García" → "garcia", "Berners-Lee" → "bernerslee". */
function emailPart(name: string): string {
  return name
    .normalize('NFD')
    .replace(/[^A-Za-z]/g, '')
    .toLowerCase();
}

function uniqueEmail(local: string, domain: string, used: Set<string>): string {
  let candidate = `${local}@${domain}`;
  for (let n = 2; used.has(candidate); n++) candidate = `${local}${n}@${domain}`;
  used.add(candidate);
  return candidate;
}
