import { createHmac } from 'node:crypto';
import Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import type { WebhookRequest } from '../../../src/events/event.ts';
import { chargeOf, createStripeWebhookVerifier, stripeEventOf, stripeWebhookVerifier } from '../../../src/providers/stripe/index.ts';

const NOW = 1_750_000_000_000; // ms; every check reads this clock, never the machine's
const T = NOW / 1000;
const SECRET = 'whsec_test_new_0123456789abcdef';
const OLD_SECRET = 'whsec_test_old_fedcba9876543210';
const stripe = new Stripe('sk_test_unused');

const charge = {
  id: 'ch_3PabcXYZ',
  object: 'charge',
  amount: 2500,
  amount_refunded: 2500,
  currency: 'eur',
  created: T - 3600,
  customer: 'cus_Q1',
  description: null,
  refunded: true,
  status: 'succeeded',
  receipt_url: 'https://pay.stripe.com/receipts/x',
};
const event = {
  id: 'evt_1PabcXYZ',
  object: 'event',
  api_version: '2025-02-24.acacia',
  created: T - 5,
  type: 'charge.refunded',
  livemode: false,
  data: { object: charge, previous_attributes: { refunded: false } },
  pending_webhooks: 1,
  request: { id: 'req_1', idempotency_key: null },
};
const BODY = JSON.stringify(event);

/** What Stripe computes, written out here rather than taken from the code under test. */
function v1(secret: string, timestamp: number | string, body: string | Buffer): string {
  return createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex');
}

function delivery(header: string | undefined, body: string | Buffer = BODY): WebhookRequest {
  return {
    method: 'POST',
    url: 'https://gateway.example.com/webhooks/stripe/acme',
    headers: { 'content-type': 'application/json', 'stripe-signature': header },
    rawBody: Buffer.isBuffer(body) ? body : Buffer.from(body),
  };
}

function verify(header: string | undefined, secrets: readonly string[] = [SECRET], body: string | Buffer = BODY, now = NOW) {
  return stripeWebhookVerifier.verify(delivery(header, body), secrets, now);
}

describe('Stripe webhook verifier', () => {
  it('accepts a delivery signed by the official SDK and reads its one event', () => {
    const header = stripe.webhooks.generateTestHeaderString({ payload: BODY, secret: SECRET, timestamp: T });

    const result = verify(header);

    expect(result).toEqual({
      ok: true,
      events: [{ provider: 'stripe', id: 'evt_1PabcXYZ', type: 'charge.refunded', occurredAt: (T - 5) * 1000, payload: event }],
    });
  });

  it('accepts a signature computed independently with node:crypto', () => {
    expect(verify(`t=${T},v1=${v1(SECRET, T, BODY)}`).ok).toBe(true);
  });

  it('keeps the whole event as the payload, fields it does not check included', () => {
    const result = verify(`t=${T},v1=${v1(SECRET, T, BODY)}`);
    expect(result.ok && result.events[0]?.payload).toMatchObject({ api_version: '2025-02-24.acacia', data: { previous_attributes: { refunded: false } } });
  });

  describe('secret rotation', () => {
    it('accepts a delivery signed with the old secret while both are configured', () => {
      expect(verify(`t=${T},v1=${v1(OLD_SECRET, T, BODY)}`, [SECRET, OLD_SECRET]).ok).toBe(true);
    });

    it('accepts a delivery signed with the new secret while both are configured', () => {
      expect(verify(`t=${T},v1=${v1(SECRET, T, BODY)}`, [SECRET, OLD_SECRET]).ok).toBe(true);
    });

    it('accepts a header carrying one v1 per secret when only one of them is configured', () => {
      const header = `t=${T},v1=${v1(OLD_SECRET, T, BODY)},v1=${v1(SECRET, T, BODY)}`;
      expect(verify(header, [SECRET]).ok).toBe(true);
      expect(verify(header, [OLD_SECRET]).ok).toBe(true);
    });
  });

  it('accepts when any of several v1 values matches, whatever its place', () => {
    const wrong = v1('whsec_someone_else', T, BODY);
    expect(verify(`t=${T},v1=${wrong},v1=${wrong},v1=${v1(SECRET, T, BODY)}`).ok).toBe(true);
    expect(verify(`t=${T},v1=${v1(SECRET, T, BODY)},v1=${wrong}`).ok).toBe(true);
  });

  it('ignores v0 and unknown schemes', () => {
    const right = v1(SECRET, T, BODY);
    expect(verify(`t=${T},v0=${right}`)).toEqual({ ok: false, reason: 'bad-signature' });
    expect(verify(`t=${T},v0=abc,v9=${right},v1=${right}`).ok).toBe(true);
  });

  it('refuses a delivery signed with another secret', () => {
    expect(verify(`t=${T},v1=${v1('whsec_someone_else', T, BODY)}`)).toEqual({ ok: false, reason: 'bad-signature' });
  });

  it('refuses a body with one byte changed', () => {
    const header = `t=${T},v1=${v1(SECRET, T, BODY)}`;
    const tampered = Buffer.from(BODY);
    tampered[tampered.indexOf('2500')] = '9'.charCodeAt(0);
    expect(verify(header, [SECRET], tampered)).toEqual({ ok: false, reason: 'bad-signature' });
  });

  it('refuses a signature made for another timestamp', () => {
    expect(verify(`t=${T + 1},v1=${v1(SECRET, T, BODY)}`)).toEqual({ ok: false, reason: 'bad-signature' });
  });

  it('refuses stale and future timestamps beyond 300 s, and accepts them at 300 s', () => {
    const signedAt = (t: number) => `t=${t},v1=${v1(SECRET, t, BODY)}`;
    expect(verify(signedAt(T - 301))).toEqual({ ok: false, reason: 'stale-timestamp' });
    expect(verify(signedAt(T + 301))).toEqual({ ok: false, reason: 'stale-timestamp' });
    expect(verify(signedAt(T - 300)).ok).toBe(true);
    expect(verify(signedAt(T + 300)).ok).toBe(true);
  });

  it('checks the signature before the clock, so a forger learns nothing about it', () => {
    expect(verify(`t=${T - 3600},v1=${v1('whsec_someone_else', T - 3600, BODY)}`)).toEqual({ ok: false, reason: 'bad-signature' });
  });

  it('takes its tolerance from the options', () => {
    const strict = createStripeWebhookVerifier({ toleranceMs: 10 * 1000 });
    const header = `t=${T - 11},v1=${v1(SECRET, T - 11, BODY)}`;
    expect(strict.verify(delivery(header), [SECRET], NOW)).toEqual({ ok: false, reason: 'stale-timestamp' });
    expect(() => createStripeWebhookVerifier({ toleranceMs: 0 })).toThrow('toleranceMs must be a positive number: 0');
  });

  it('refuses a delivery without the header as missing-signature', () => {
    expect(verify(undefined)).toEqual({ ok: false, reason: 'missing-signature' });
    expect(verify('')).toEqual({ ok: false, reason: 'missing-signature' });
  });

  it.each([
    ['no structure at all', 'garbage'],
    ['no timestamp', `v1=${v1(SECRET, T, BODY)}`],
    ['no v1', `t=${T}`],
    ['a timestamp that is not a number', `t=abc,v1=${v1(SECRET, 'abc', BODY)}`],
    ['two timestamps', `t=${T},t=${T + 1},v1=${v1(SECRET, T, BODY)}`],
    ['an empty v1', `t=${T},v1=`],
    ['only separators', ',,,=,='],
  ])('refuses a header with %s as bad-signature', (_, header) => {
    expect(verify(header)).toEqual({ ok: false, reason: 'bad-signature' });
  });

  it('never takes an empty secret as a key', () => {
    expect(verify(`t=${T},v1=${v1('', T, BODY)}`, [''])).toEqual({ ok: false, reason: 'bad-signature' });
    expect(verify(`t=${T},v1=${v1(SECRET, T, BODY)}`, [])).toEqual({ ok: false, reason: 'bad-signature' });
  });

  describe('a correctly signed body it cannot use is malformed', () => {
    const signed = (body: string) => verify(`t=${T},v1=${v1(SECRET, T, body)}`, [SECRET], body);

    it.each([
      ['not JSON', '{"id":'],
      ['not an object', '[]'],
      ['an id that is not an event id', JSON.stringify({ ...event, id: 'ch_1' })],
      ['no type', JSON.stringify({ ...event, type: undefined })],
      ['created not in seconds', JSON.stringify({ ...event, created: '2025-01-01' })],
      ['no data.object', JSON.stringify({ ...event, data: {} })],
      ['a charge that is not one', JSON.stringify({ ...event, data: { object: { ...charge, amount: '25.00' } } })],
    ])('%s', (_, body) => {
      expect(signed(body)).toEqual({ ok: false, reason: 'malformed' });
    });

    it('but a charge.dispute event carries a Dispute, which is no malformed charge', () => {
      const dispute = { ...event, type: 'charge.dispute.created', data: { object: { id: 'dp_1', object: 'dispute', charge: 'ch_3PabcXYZ' } } };
      const result = signed(JSON.stringify(dispute));
      expect(result.ok).toBe(true);
      const parsed = result.ok ? stripeEventOf(result.events[0]?.payload) : undefined;
      expect(parsed && chargeOf(parsed)).toBeUndefined();
    });
  });

  it('reads the charge of a charge event as the wire charge the connector uses', () => {
    const result = verify(`t=${T},v1=${v1(SECRET, T, BODY)}`);
    const parsed = result.ok ? stripeEventOf(result.events[0]?.payload) : undefined;
    // Fields the connector does not read (receipt_url) are left out, as wire validation does.
    const { receipt_url: _unread, ...wire } = charge;
    expect(parsed && chargeOf(parsed)).toEqual(wire);
    expect(stripeEventOf({ id: 'nope' })).toBeUndefined();
  });

  it('never throws on hostile input', () => {
    const headers = ['t=', '=', 't==1', `t=${'9'.repeat(400)},v1=00`, 'v1=\u0000,t=1', `t=${T},${'v1=zz,'.repeat(2000)}`];
    const bodies = [Buffer.alloc(0), Buffer.from([0xff, 0xfe, 0x00]), Buffer.from('{"__proto__":{"id":"evt_x"}}'), Buffer.from('null')];
    for (const header of headers) {
      for (const body of bodies) {
        expect(() => verify(header, [SECRET, ''], body)).not.toThrow();
      }
    }
    for (const body of bodies) {
      expect(verify(`t=${T},v1=${v1(SECRET, T, body)}`, [SECRET], body)).toEqual({ ok: false, reason: 'malformed' });
    }
  });
});
