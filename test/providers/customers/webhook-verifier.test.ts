import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { WebhookRequest } from '../../../src/events/event.ts';
import { createCustomersWebhookVerifier, customersEventOf, customersWebhookVerifier } from '../../../src/providers/customers/index.ts';

const NOW = 1_750_000_000_000; // ms; every check reads this clock, never the machine's
const T = String(NOW / 1000);
const KEY = Buffer.from('customer-service-signing-key-01!');
const OLD_KEY = Buffer.from('customer-service-signing-key-00!');
const SECRET = `whsec_${KEY.toString('base64')}`;
const OLD_SECRET = `whsec_${OLD_KEY.toString('base64')}`;
const ID = 'msg_2fWq8kRZ0b3c';

const body = {
  type: 'customer.updated',
  timestamp: '2025-06-15T14:26:30.000Z',
  data: { id: 'cust_0001', email: 'ada@example.com', version: 4 },
};
const BODY = JSON.stringify(body);

/** What a Standard Webhooks sender computes, written out here rather than taken from the code under test. */
function v1(key: Buffer, id: string, timestamp: string, raw: string | Buffer): string {
  return `v1,${createHmac('sha256', key).update(`${id}.${timestamp}.`).update(raw).digest('base64')}`;
}

interface Delivery {
  id?: string | undefined;
  timestamp?: string | undefined;
  signature?: string | undefined;
  body?: string | Buffer;
}

/** A key given as undefined leaves that header out; a key not given takes the default. */
function verify(delivery: Delivery, secrets: readonly string[] = [SECRET], now = NOW) {
  const id = 'id' in delivery ? delivery.id : ID;
  const timestamp = 'timestamp' in delivery ? delivery.timestamp : T;
  const raw = delivery.body ?? BODY;
  const signature = 'signature' in delivery ? delivery.signature : v1(KEY, id ?? '', timestamp ?? '', raw);
  const request: WebhookRequest = {
    method: 'POST',
    url: 'https://gateway.example.com/webhooks/customers/acme',
    headers: { 'webhook-id': id, 'webhook-timestamp': timestamp, 'webhook-signature': signature },
    rawBody: Buffer.isBuffer(raw) ? raw : Buffer.from(raw),
  };
  return customersWebhookVerifier.verify(request, secrets, now);
}

describe('customer service webhook verifier (Standard Webhooks)', () => {
  it('accepts a signed delivery: id from webhook-id, type and time from the body', () => {
    expect(verify({})).toEqual({
      ok: true,
      events: [{ provider: 'customers', id: ID, type: 'customer.updated', occurredAt: Date.parse('2025-06-15T14:26:30.000Z'), payload: body }],
    });
  });

  it('matches the Standard Webhooks reference test vector', () => {
    // The vector the reference libraries test against (standard-webhooks, svix).
    const result = verify(
      { id: 'msg_p5jXN8AQM9LWM0D4loKWxJek', timestamp: '1614265330', signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=', body: '{"test": 2432232314}' },
      ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'],
      1614265330 * 1000,
    );
    // The signature holds; the body is no event of ours.
    expect(result).toEqual({ ok: false, reason: 'malformed' });
  });

  it('takes a secret without the whsec_ prefix as the base64 key itself', () => {
    expect(verify({}, [KEY.toString('base64')]).ok).toBe(true);
    expect(verify({}, [KEY.toString('utf8')])).toEqual({ ok: false, reason: 'bad-signature' });
  });

  it('accepts any v1 among several signatures and ignores other versions', () => {
    const wrong = v1(Buffer.from('someone else'), ID, T, BODY);
    const right = v1(KEY, ID, T, BODY);
    expect(verify({ signature: `v1a,${right.slice(3)} ${wrong} ${right}` }).ok).toBe(true);
    expect(verify({ signature: `${right} ${wrong}` }).ok).toBe(true);
    expect(verify({ signature: `v2,${right.slice(3)} v1a,${right.slice(3)}` })).toEqual({ ok: false, reason: 'bad-signature' });
  });

  it('accepts either secret while both are configured (rotation)', () => {
    expect(verify({ signature: v1(OLD_KEY, ID, T, BODY) }, [SECRET, OLD_SECRET]).ok).toBe(true);
    expect(verify({}, [OLD_SECRET, SECRET]).ok).toBe(true);
    expect(verify({ signature: `${v1(OLD_KEY, ID, T, BODY)} ${v1(KEY, ID, T, BODY)}` }, [OLD_SECRET]).ok).toBe(true);
  });

  it('refuses a delivery signed with another secret', () => {
    expect(verify({ signature: v1(OLD_KEY, ID, T, BODY) }, [SECRET])).toEqual({ ok: false, reason: 'bad-signature' });
  });

  it('refuses a body with one byte changed, or a signature made for another id', () => {
    const tampered = Buffer.from(BODY);
    tampered[tampered.indexOf('0001')] = '9'.charCodeAt(0);
    expect(verify({ signature: v1(KEY, ID, T, BODY), body: tampered })).toEqual({ ok: false, reason: 'bad-signature' });
    expect(verify({ signature: v1(KEY, 'msg_other', T, BODY) })).toEqual({ ok: false, reason: 'bad-signature' });
  });

  it('refuses timestamps more than 5 minutes old or ahead, and accepts them at 5 minutes', () => {
    const at = (offsetSeconds: number) => verify({ timestamp: String(NOW / 1000 + offsetSeconds) });
    expect(at(-301)).toEqual({ ok: false, reason: 'stale-timestamp' });
    expect(at(301)).toEqual({ ok: false, reason: 'stale-timestamp' });
    expect(at(-300).ok).toBe(true);
    expect(at(300).ok).toBe(true);
  });

  it('checks the signature before the clock, so a forger learns nothing about it', () => {
    const old = String(NOW / 1000 - 3600);
    expect(verify({ timestamp: old, signature: v1(OLD_KEY, ID, old, BODY) })).toEqual({ ok: false, reason: 'bad-signature' });
  });

  it('takes its tolerance from the options', () => {
    const strict = createCustomersWebhookVerifier({ toleranceMs: 1000 });
    const old = String(NOW / 1000 - 2);
    const request: WebhookRequest = {
      method: 'POST',
      url: 'https://gateway.example.com/webhooks/customers/acme',
      headers: { 'webhook-id': ID, 'webhook-timestamp': old, 'webhook-signature': v1(KEY, ID, old, BODY) },
      rawBody: Buffer.from(BODY),
    };
    expect(strict.verify(request, [SECRET], NOW)).toEqual({ ok: false, reason: 'stale-timestamp' });
    expect(() => createCustomersWebhookVerifier({ toleranceMs: -1 })).toThrow('toleranceMs must be a positive number: -1');
  });

  it.each([['id'], ['timestamp'], ['signature']] as const)('refuses a delivery without webhook-%s as missing-signature', (header) => {
    expect(verify({ [header]: undefined })).toEqual({ ok: false, reason: 'missing-signature' });
    expect(verify({ [header]: '' })).toEqual({ ok: false, reason: 'missing-signature' });
  });

  it.each([
    ['a timestamp that is not a number', { timestamp: 'now', signature: v1(KEY, ID, 'now', BODY) }],
    ['a timestamp in milliseconds', { timestamp: String(NOW), signature: v1(KEY, ID, String(NOW), BODY) }],
    ['a signature without a version', { signature: v1(KEY, ID, T, BODY).slice(3) }],
    ['an empty v1', { signature: 'v1,' }],
    ['a comma-separated list', { signature: `${v1(KEY, ID, T, BODY)},${v1(KEY, ID, T, BODY)}` }],
  ])('refuses %s as bad-signature', (_, garbage) => {
    expect(verify(garbage)).toEqual({ ok: false, reason: 'bad-signature' });
  });

  it('never takes an empty secret as a key', () => {
    expect(verify({ signature: v1(Buffer.alloc(0), ID, T, BODY) }, ['', 'whsec_'])).toEqual({ ok: false, reason: 'bad-signature' });
  });

  describe('the time of the change', () => {
    it('falls back to webhook-timestamp when the body has no timestamp', () => {
      const { timestamp: _, ...untimed } = body;
      const result = verify({ body: JSON.stringify(untimed) });
      expect(result.ok && result.events[0]?.occurredAt).toBe(NOW);
    });

    it('falls back to webhook-timestamp when the body timestamp is no date', () => {
      const result = verify({ body: JSON.stringify({ ...body, timestamp: 'last tuesday' }) });
      expect(result.ok && result.events[0]?.occurredAt).toBe(NOW);
    });
  });

  describe('a correctly signed body it cannot use is malformed', () => {
    it.each([
      ['not JSON', '{"type":'],
      ['an array', JSON.stringify([body])],
      ['no type', JSON.stringify({ ...body, type: '' })],
      ['no data', JSON.stringify({ type: 'customer.updated' })],
      ['data without an id', JSON.stringify({ ...body, data: { email: 'ada@example.com' } })],
      ['a timestamp that is not a string', JSON.stringify({ ...body, timestamp: NOW })],
    ])('%s', (_, raw) => {
      expect(verify({ body: raw })).toEqual({ ok: false, reason: 'malformed' });
    });
  });

  it('reads a stored payload back as a customer service event', () => {
    const result = verify({});
    expect(result.ok && customersEventOf(result.events[0]?.payload)).toEqual(body);
    expect(customersEventOf({ type: 'x' })).toBeUndefined();
  });

  it('never throws on hostile input', () => {
    const bodies = [Buffer.alloc(0), Buffer.from([0xff, 0xfe]), Buffer.from('null')];
    const signatures = ['v1,', ' ', 'v1,\u0000', `${'v1,AAAA '.repeat(2000)}`];
    for (const raw of bodies) {
      expect(verify({ body: raw })).toEqual({ ok: false, reason: 'malformed' });
      for (const signature of signatures) {
        expect(() => verify({ body: raw, signature }, [SECRET, '', 'whsec_!!!', '%%%'])).not.toThrow();
      }
    }
  });
});
