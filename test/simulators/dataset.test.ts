import { describe, expect, it } from 'vitest';
import { buildDataset, DatasetLookup } from '../../src/simulators/index.ts';

const dataset = buildDataset();
const lookup = new DatasetLookup(dataset);
const share = (count: number) => count / dataset.customers.length;

describe('the seeded dataset', () => {
  it('is identical for the same seed and different for another', () => {
    expect(buildDataset(42)).toEqual(dataset);
    expect(buildDataset(7).customers[0]).not.toEqual(dataset.customers[0]);
  });

  it('has 1000 customers with ordered ids, unique lower-case emails and fixed dates', () => {
    const ids = dataset.customers.map((c) => c.id);
    expect(ids[0]).toBe('cust_0001');
    expect(ids[999]).toBe('cust_1000');
    expect([...ids].sort()).toEqual(ids);
    const emails = dataset.customers.map((c) => c.email);
    expect(new Set(emails).size).toBe(1000);
    for (const customer of dataset.customers) {
      expect(customer.email).toBe(customer.email.toLowerCase());
      expect(customer.version).toBeGreaterThanOrEqual(1);
      expect(Date.parse(customer.updatedAt)).toBeGreaterThanOrEqual(Date.parse(customer.createdAt));
      expect(Date.parse(customer.updatedAt)).toBeLessThan(Date.UTC(2025, 6, 1));
    }
  });

  it('links about 85% of customers to Stripe and about 80% to HubSpot', () => {
    expect(share(dataset.customers.filter((c) => lookup.stripeCustomerOf(c.id)).length)).toBeCloseTo(0.85, 1);
    expect(share(dataset.customers.filter((c) => lookup.contactOf(c.id)).length)).toBeCloseTo(0.8, 1);
    expect(dataset.stripe.customers.every((c) => /^cus_[A-Za-z0-9]{14}$/.test(c.id))).toBe(true);
  });

  it('has the awkward cases: dangling refs, email-only contacts, mismatched emails', () => {
    const { anomalies } = dataset;
    expect(anomalies.danglingStripeRefs).toHaveLength(5);
    expect(anomalies.danglingHubspotRefs).toHaveLength(5);
    expect(anomalies.hubspotEmailMismatch).toHaveLength(3);
    expect(share(anomalies.hubspotByEmailOnly.length)).toBeCloseTo(0.08, 2);
    for (const id of anomalies.danglingStripeRefs) {
      expect(lookup.customer(id)?.externalRefs.stripe).toMatch(/^cus_/);
      expect(lookup.stripeCustomerOf(id)).toBeUndefined();
    }
    for (const id of anomalies.danglingHubspotRefs) {
      expect(lookup.customer(id)?.externalRefs.hubspot).toMatch(/^\d+$/);
      expect(lookup.contactOf(id)).toBeUndefined();
    }
    for (const id of anomalies.hubspotByEmailOnly) {
      const customer = lookup.customer(id);
      expect(customer?.externalRefs.hubspot).toBeNull();
      expect(lookup.contactByEmail(customer?.email ?? '')).toBeDefined();
    }
    for (const id of anomalies.hubspotEmailMismatch) {
      expect(lookup.contactOf(id)?.properties.email).not.toBe(lookup.customer(id)?.email);
    }
  });

  it('gives Stripe customers 0-6 charges, each paired with its PaymentIntent, newest first', () => {
    const intents = new Map(dataset.stripe.paymentIntents.map((p) => [p.id, p]));
    for (const charge of dataset.stripe.charges) {
      expect(intents.get(charge.payment_intent)?.latest_charge).toBe(charge.id);
      expect(charge.amount_refunded).toBeLessThanOrEqual(charge.amount);
      expect(charge.refunded).toBe(charge.amount_refunded === charge.amount);
    }
    for (const customer of dataset.customers) expect(lookup.chargesOf(customer.id).length).toBeLessThanOrEqual(6);
    const created = dataset.stripe.charges.map((c) => c.created);
    expect([...created].sort((a, b) => b - a)).toEqual(created);
    const statuses = new Set(dataset.stripe.charges.map((c) => c.status));
    expect(statuses).toEqual(new Set(['succeeded', 'pending', 'failed']));
    const currencies = dataset.stripe.charges.map((c) => c.currency);
    expect(currencies.filter((c) => c === 'usd').length).toBeGreaterThan(currencies.length / 2);
    expect(currencies).toContain('eur');
    expect(dataset.stripe.charges.filter((c) => c.currency === 'jpy').every((c) => c.amount % 100 === 0)).toBe(true);
    expect(dataset.stripe.charges.some((c) => c.amount_refunded > 0 && !c.refunded)).toBe(true);
    expect(dataset.stripe.charges.some((c) => c.description === null)).toBe(true);
  });

  it('gives every contact at most two deals with HubSpot-shaped properties', () => {
    for (const contact of dataset.hubspot.contacts) {
      expect(lookup.dealsOfContact(contact.id).length).toBeLessThanOrEqual(2);
      for (const value of Object.values(contact.properties)) expect(value === null || typeof value === 'string').toBe(true);
    }
    for (const deal of dataset.hubspot.deals) {
      expect(deal.properties.amount ?? '1').toMatch(/^\d+(\.\d{2})?$/);
      expect(deal.properties.pipeline).toBe('default');
      expect(deal.properties.hs_object_id).toBe(deal.id);
    }
    const codes = new Set(dataset.hubspot.deals.map((d) => d.properties.deal_currency_code));
    expect(codes).toEqual(new Set(['USD', 'EUR', 'JPY', null]));
  });
});
