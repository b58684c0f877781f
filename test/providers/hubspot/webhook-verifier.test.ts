import { createHmac } from 'node:crypto';
import { Signature } from '@hubspot/api-client';
import { describe, expect, it } from 'vitest';
import type { WebhookRequest } from '../../../src/events/event.ts';
import { createHubSpotWebhookVerifier, hubspotEventOf, hubspotWebhookVerifier } from '../../../src/providers/hubspot/index.ts';

const NOW = 1_750_000_000_000; // ms; every check reads this clock, never the machine's
const SECRET = 'yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy';
const OLD_SECRET = 'xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx';
const URL_PLAIN = 'https://gateway.example.com/webhooks/hubspot/acme';

function hubspotEvent(eventId: number, overrides: Record<string, unknown> = {}) {
  return {
    eventId,
    subscriptionId: 12345,
    portalId: 62515,
    appId: 54321,
    occurredAt: NOW - 2000 + eventId,
    subscriptionType: 'contact.propertyChange',
    attemptNumber: 0,
    objectId: 1001,
    propertyName: 'email',
    propertyValue: 'ada@example.com',
    changeSource: 'CRM',
    ...overrides,
  };
}
const BATCH = [hubspotEvent(1), hubspotEvent(2, { subscriptionType: 'deal.creation', objectId: 2002, propertyName: undefined })];
const BODY = JSON.stringify(BATCH);

/** What HubSpot computes, written out here rather than taken from the code under test. */
function v3(secret: string, method: string, signedUri: string, body: string | Buffer, timestamp: number | string): string {
  return createHmac('sha256', secret).update(`${method}${signedUri}`).update(body).update(String(timestamp)).digest('base64');
}

interface Delivery {
  signature?: string | undefined;
  timestamp?: string | undefined;
  url?: string;
  body?: string | Buffer;
}

/** A key given as undefined leaves that header out; a key not given takes the default. */
function verify(delivery: Delivery, secrets: readonly string[] = [SECRET], now = NOW) {
  const { signature, url = URL_PLAIN, body = BODY } = delivery;
  const timestamp = 'timestamp' in delivery ? delivery.timestamp : String(NOW);
  const request: WebhookRequest = {
    method: 'POST',
    url,
    headers: { 'x-hubspot-signature-v3': signature, 'x-hubspot-request-timestamp': timestamp },
    rawBody: Buffer.isBuffer(body) ? body : Buffer.from(body),
  };
  return hubspotWebhookVerifier.verify(request, secrets, now);
}

function signed(body: string, timestamp = NOW): Delivery {
  return { signature: v3(SECRET, 'POST', URL_PLAIN, body, timestamp), timestamp: String(timestamp), body };
}

describe('HubSpot webhook verifier', () => {
  it('accepts a batch and turns each element into one event', () => {
    const result = verify(signed(BODY));

    expect(result).toEqual({
      ok: true,
      events: [
        { provider: 'hubspot', id: `1:12345:contact.propertyChange:1001:email:${NOW - 1999}`, type: 'contact.propertyChange', occurredAt: NOW - 1999, payload: BATCH[0] },
        { provider: 'hubspot', id: `2:12345:deal.creation:2002::${NOW - 1998}`, type: 'deal.creation', occurredAt: NOW - 1998, payload: JSON.parse(JSON.stringify(BATCH[1])) },
      ],
    });
  });

  it("accepts a signature computed by HubSpot's own SDK", () => {
    const signature = Signature.getSignature('POST', 'v3', { signature: '', clientSecret: SECRET, requestBody: BODY, url: URL_PLAIN, timestamp: NOW });
    expect(verify({ signature, timestamp: String(NOW) }).ok).toBe(true);
  });

  it('accepts either secret while both are configured (rotation)', () => {
    const byOld = { ...signed(BODY), signature: v3(OLD_SECRET, 'POST', URL_PLAIN, BODY, NOW) };
    expect(verify(byOld, [SECRET, OLD_SECRET]).ok).toBe(true);
    expect(verify(signed(BODY), [OLD_SECRET, SECRET]).ok).toBe(true);
    expect(verify(byOld, [SECRET])).toEqual({ ok: false, reason: 'bad-signature' });
  });

  it('refuses a delivery signed with another secret', () => {
    expect(verify({ ...signed(BODY), signature: v3('someone-else', 'POST', URL_PLAIN, BODY, NOW) })).toEqual({ ok: false, reason: 'bad-signature' });
  });

  it('refuses a body with one byte changed', () => {
    const tampered = Buffer.from(BODY);
    tampered[tampered.indexOf('1001')] = '7'.charCodeAt(0);
    expect(verify({ ...signed(BODY), body: tampered })).toEqual({ ok: false, reason: 'bad-signature' });
  });

  it('refuses a signature made for another method or timestamp', () => {
    expect(verify({ ...signed(BODY), signature: v3(SECRET, 'PUT', URL_PLAIN, BODY, NOW) })).toEqual({ ok: false, reason: 'bad-signature' });
    expect(verify({ ...signed(BODY), timestamp: String(NOW - 1) })).toEqual({ ok: false, reason: 'bad-signature' });
  });

  it('refuses timestamps more than 5 minutes old or ahead, and accepts them at 5 minutes', () => {
    const fiveMinutes = 5 * 60 * 1000;
    expect(verify(signed(BODY, NOW - fiveMinutes - 1))).toEqual({ ok: false, reason: 'stale-timestamp' });
    expect(verify(signed(BODY, NOW + fiveMinutes + 1))).toEqual({ ok: false, reason: 'stale-timestamp' });
    expect(verify(signed(BODY, NOW - fiveMinutes)).ok).toBe(true);
    expect(verify(signed(BODY, NOW + fiveMinutes)).ok).toBe(true);
  });

  it('checks the signature before the clock, so a forger learns nothing about it', () => {
    const old = NOW - 3_600_000;
    expect(verify({ signature: v3('someone-else', 'POST', URL_PLAIN, BODY, old), timestamp: String(old) })).toEqual({ ok: false, reason: 'bad-signature' });
  });

  it('takes its tolerance from the options', () => {
    const strict = createHubSpotWebhookVerifier({ toleranceMs: 1000 });
    const delivery = signed(BODY, NOW - 1001);
    const request: WebhookRequest = {
      method: 'POST',
      url: URL_PLAIN,
      headers: { 'x-hubspot-signature-v3': delivery.signature, 'x-hubspot-request-timestamp': delivery.timestamp },
      rawBody: Buffer.from(BODY),
    };
    expect(strict.verify(request, [SECRET], NOW)).toEqual({ ok: false, reason: 'stale-timestamp' });
    expect(() => createHubSpotWebhookVerifier({ toleranceMs: Number.NaN })).toThrow('toleranceMs must be a positive number: NaN');
  });

  it('refuses a delivery without the signature or the timestamp as missing-signature', () => {
    expect(verify({ ...signed(BODY), signature: undefined })).toEqual({ ok: false, reason: 'missing-signature' });
    expect(verify({ ...signed(BODY), timestamp: undefined })).toEqual({ ok: false, reason: 'missing-signature' });
    expect(verify({ ...signed(BODY), timestamp: '' })).toEqual({ ok: false, reason: 'missing-signature' });
  });

  it.each([
    ['a timestamp that is not a number', { timestamp: 'yesterday' }],
    ['a timestamp in ISO form', { timestamp: new Date(NOW).toISOString() }],
    ['a signature that is no base64', { signature: '%%%not base64%%%' }],
    ['a signature in hex', { signature: createHmac('sha256', SECRET).update(`POST${URL_PLAIN}${BODY}${NOW}`).digest('hex') }],
  ])('refuses %s as bad-signature', (_, garbage) => {
    expect(verify({ ...signed(BODY), ...garbage })).toEqual({ ok: false, reason: 'bad-signature' });
  });

  describe('the signed URI', () => {
    const encoded = 'https://gateway.example.com/webhooks/hubspot/acme%3Aeu?tenant=acme%40example.com&next=%2Fdeals%3Fa%3D1&note=a%20b%26c&x=%28%29%21%24%27%2A%2C%3B';
    const asHubSpotSigns = "https://gateway.example.com/webhooks/hubspot/acme:eu?tenant=acme@example.com&next=/deals?a%3D1&note=a%20b%26c&x=()!$'*,;";

    function at(url: string, signedUri: string) {
      return verify({ url, signature: v3(SECRET, 'POST', signedUri, BODY, NOW), timestamp: String(NOW) });
    }

    it('includes the query string, in the order it was sent', () => {
      expect(at(`${URL_PLAIN}?tenant=acme&v=2`, `${URL_PLAIN}?tenant=acme&v=2`).ok).toBe(true);
      expect(at(`${URL_PLAIN}?tenant=acme&v=2`, `${URL_PLAIN}?v=2&tenant=acme`)).toEqual({ ok: false, reason: 'bad-signature' });
      expect(at(`${URL_PLAIN}?tenant=acme&v=2`, URL_PLAIN)).toEqual({ ok: false, reason: 'bad-signature' });
    });

    it("decodes the characters HubSpot's docs list (: / ? @ ! $ ' ( ) * , ;) and leaves every other escape alone", () => {
      expect(at(encoded, asHubSpotSigns).ok).toBe(true);
      expect(at(encoded, encoded)).toEqual({ ok: false, reason: 'bad-signature' });
      expect(at(encoded, decodeURIComponent(encoded))).toEqual({ ok: false, reason: 'bad-signature' });
    });

    it('reads lower-case escapes as the same characters', () => {
      expect(at(`${URL_PLAIN}?tenant=acme%3aeu%2c1`, `${URL_PLAIN}?tenant=acme:eu,1`).ok).toBe(true);
    });
  });

  describe('a correctly signed body it cannot use is malformed', () => {
    it.each([
      ['not JSON', '[{"eventId":'],
      ['an object, not a batch', JSON.stringify(hubspotEvent(1))],
      ['an empty batch', '[]'],
      ['more than 100 events', JSON.stringify(Array.from({ length: 101 }, (_, i) => hubspotEvent(i + 1)))],
      ['one invalid element among valid ones', JSON.stringify([hubspotEvent(1), hubspotEvent(2, { eventId: '2' }), hubspotEvent(3)])],
      ['an element without objectId', JSON.stringify([hubspotEvent(1, { objectId: undefined })])],
      ['an element with occurredAt as a date string', JSON.stringify([hubspotEvent(1, { occurredAt: new Date(NOW).toISOString() })])],
      ['an element that is null', JSON.stringify([hubspotEvent(1), null])],
    ])('%s', (_, body) => {
      expect(verify(signed(body))).toEqual({ ok: false, reason: 'malformed' });
    });

    it('but exactly 100 events are one delivery of 100 events', () => {
      const body = JSON.stringify(Array.from({ length: 100 }, (_, i) => hubspotEvent(i + 1)));
      const result = verify(signed(body));
      expect(result.ok && result.events.map((event) => event.id.split(':')[0])).toEqual(Array.from({ length: 100 }, (_, i) => String(i + 1)));
    });
  });

  it('reads a stored payload back as a HubSpot event', () => {
    const result = verify(signed(BODY));
    expect(result.ok && hubspotEventOf(result.events[0]?.payload)).toMatchObject({ eventId: 1, objectId: 1001, propertyName: 'email' });
    expect(hubspotEventOf({ eventId: 'x' })).toBeUndefined();
  });

  it('never throws on hostile input', () => {
    const bodies = [Buffer.alloc(0), Buffer.from([0xff, 0xfe]), Buffer.from('null'), Buffer.from(`[${'['.repeat(5000)}`)];
    const urls = ['', '%', '%zz', 'https://x/%E0%A4%A', '\u0000'];
    for (const body of bodies) {
      for (const url of urls) {
        expect(() => verify({ url, body, signature: v3(SECRET, 'POST', url, body, NOW), timestamp: String(NOW) }, [SECRET, ''])).not.toThrow();
        expect(() => verify({ url, body, signature: 'x', timestamp: '9'.repeat(400) })).not.toThrow();
      }
    }
  });
});

describe('HubSpot event ids', () => {
  it('tells apart two notifications that share an eventId (HubSpot does not promise it is unique), and repeats one id on redelivery', () => {
    const body = JSON.stringify([hubspotEvent(7, { propertyName: 'email' }), hubspotEvent(7, { propertyName: 'lifecyclestage', propertyValue: 'customer' })]);
    const first = verify(signed(body));
    const again = verify(signed(body));
    expect(first.ok && again.ok).toBe(true);
    const ids = first.ok ? first.events.map((event) => event.id) : [];
    expect(new Set(ids).size).toBe(2);
    expect(again.ok ? again.events.map((event) => event.id) : []).toEqual(ids);
  });
});
