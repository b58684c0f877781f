import { describe, expect, it } from 'vitest';
import { SEARCH_MAX_CLAUSES, SEARCH_MAX_PAGES, searchFirstPages } from '../../../src/providers/stripe/charge-search.ts';
import type { StripeClient, WireChargeSearchPage } from '../../../src/providers/stripe/client.ts';
import type { WireCharge } from '../../../src/providers/stripe/wire.ts';
import type { CallContext } from '../../../src/upstream/call-context.ts';

let serial = 0;
function charge(customer: string, created: number): WireCharge {
  serial += 1;
  return { id: `ch_${serial}`, object: 'charge', amount: 100, amount_refunded: 0, currency: 'usd', created, customer, description: null, refunded: false, status: 'succeeded' };
}

/** A Stripe that answers search from `charges` in pages of `pageSize`, in the given (not necessarily newest-first) order. */
function fakeStripe(charges: WireCharge[], pageSize = 100, fail?: (query: string) => boolean) {
  const queries: string[] = [];
  const client = {
    async searchCharges(query: string, page: string | null): Promise<WireChargeSearchPage> {
      queries.push(query);
      if (fail?.(query)) throw Object.assign(new Error('Stripe is down'), { code: 'UPSTREAM_UNAVAILABLE' });
      const wanted = new Set([...query.matchAll(/customer:'([^']+)'/g)].map((m) => m[1]));
      const matching = charges.filter((c) => c.customer !== null && wanted.has(c.customer));
      const offset = page === null ? 0 : Number(page);
      const end = offset + pageSize;
      return { charges: matching.slice(offset, end), nextPage: end < matching.length ? String(end) : null };
    },
  };
  return { client: client as unknown as StripeClient, queries };
}

const call = {} as CallContext;
const ids = (n: number) => Array.from({ length: n }, (_, i) => `cus_${i}`);

describe('Stripe first pages of charges through Search', () => {
  it('asks once per ten customers, their clauses joined with OR', async () => {
    const { client, queries } = fakeStripe(ids(23).map((id, i) => charge(id, 1000 + i)));
    const pages = await searchFirstPages(client, ids(23), call);
    expect(queries).toHaveLength(3);
    for (const query of queries) expect(query.split(' OR ').length).toBeLessThanOrEqual(SEARCH_MAX_CLAUSES);
    expect(queries[0]).toBe(ids(10).map((id) => `customer:'${id}'`).join(' OR '));
    expect([...pages.keys()].sort()).toEqual(ids(23).sort());
    expect(pages.get('cus_4')).toEqual({ charges: [expect.objectContaining({ customer: 'cus_4' })], hasMore: false });
  });

  it('reads a batch to its end and sorts each customer newest first, whatever order search answers in', async () => {
    const all = [charge('cus_0', 5), charge('cus_1', 9), charge('cus_0', 7), charge('cus_0', 6), charge('cus_1', 1)];
    const { client, queries } = fakeStripe(all, 2);
    const pages = await searchFirstPages(client, ['cus_0', 'cus_1', 'cus_2'], call);
    expect(queries).toHaveLength(3);
    expect((pages.get('cus_0') as { charges: WireCharge[] }).charges.map((c) => c.created)).toEqual([7, 6, 5]);
    expect(pages.get('cus_2')).toEqual({ charges: [], hasMore: false });
  });

  it('keeps at most 100 charges and ends the page before a second it would split, so a list continues it exactly', async () => {
    // 98 in distinct seconds, then 5 in one second: the page ends after the 98.
    const many = [...Array.from({ length: 98 }, (_, i) => charge('cus_0', 10_000 - i)), ...Array.from({ length: 5 }, () => charge('cus_0', 500))];
    const { client } = fakeStripe(many);
    const page = (await searchFirstPages(client, ['cus_0'], call)).get('cus_0') as { charges: WireCharge[]; hasMore: boolean };
    expect(page.hasMore).toBe(true);
    expect(page.charges).toHaveLength(98);
    expect(page.charges.at(-1)!.created).toBe(10_000 - 97);
  });

  it(`leaves a batch longer than ${SEARCH_MAX_PAGES} pages to lists`, async () => {
    const { client, queries } = fakeStripe(Array.from({ length: 3 * 10 + 1 }, (_, i) => charge('cus_0', i)), 10);
    const pages = await searchFirstPages(client, ['cus_0', 'cus_1'], call);
    expect(queries).toHaveLength(SEARCH_MAX_PAGES);
    expect(pages.has('cus_0')).toBe(false);
    expect(pages.has('cus_1')).toBe(false);
  });

  it('gives every customer of a failed batch its error, and leaves ids it cannot quote to lists', async () => {
    const { client, queries } = fakeStripe([], 100, (query) => query.includes('cus_0'));
    const pages = await searchFirstPages(client, ['cus_0', "cus_x' OR customer:'cus_y", ...ids(12).slice(1)], call);
    expect(pages.get('cus_0')).toBeInstanceOf(Error);
    expect(pages.get('cus_9')).toBeInstanceOf(Error);
    expect(pages.get('cus_10')).toEqual({ charges: [], hasMore: false });
    expect(pages.has("cus_x' OR customer:'cus_y")).toBe(false);
    expect(queries.join(' ')).not.toContain('cus_x');
  });
});
