import { randomBytes } from 'node:crypto';
import { request } from 'undici';
import { signHubSpotV3, signStandardWebhook, signStripe } from '../../src/simulators/index.ts';

/** One webhook request as a provider would send it: the exact body and its signed headers. */
export interface SignedDelivery {
  body: string;
  headers: Record<string, string>;
}

export interface DeliveryAnswer {
  status: number;
  body: unknown;
}

/** `POST /webhooks/<provider>[/<tenant>]` on the gateway whose GraphQL endpoint is `graphqlUrl`. */
export function webhookUrl(graphqlUrl: string, provider: string, tenant?: string): string {
  return new URL(`/webhooks/${provider}${tenant === undefined ? '' : `/${tenant}`}`, graphqlUrl).toString();
}

export async function deliver(url: string, delivery: SignedDelivery): Promise<DeliveryAnswer> {
  const response = await request(url, { method: 'POST', headers: { 'content-type': 'application/json', ...delivery.headers }, body: delivery.body });
  const text = await response.body.text();
  return { status: response.statusCode, body: text === '' ? undefined : (JSON.parse(text) as unknown) };
}

/** Stripe's `Stripe-Signature` over the body, at `nowMs` (the signature's `t`). */
export function stripeDelivery(secret: string, event: object, nowMs: number): SignedDelivery {
  const body = JSON.stringify(event);
  return { body, headers: signStripe(secret, Math.floor(nowMs / 1000), body) };
}

/** The same bytes signed again at another time, as Stripe does on every retry (or as a replayer would). */
export function resignStripe(secret: string, body: string, nowMs: number): SignedDelivery {
  return { body, headers: signStripe(secret, Math.floor(nowMs / 1000), body) };
}

/** A Standard Webhooks delivery of the customer service; `id` is the `webhook-id`, the event's id. */
export function customersDelivery(secret: string, id: string, event: object, nowMs: number): SignedDelivery {
  const body = JSON.stringify(event);
  return { body, headers: signStandardWebhook(secret, id, Math.floor(nowMs / 1000), body) };
}

/** HubSpot's v3 signature covers the full URI posted to. */
export function hubspotDelivery(clientSecret: string, url: string, events: readonly object[], nowMs: number): SignedDelivery {
  const body = JSON.stringify(events);
  return { body, headers: signHubSpotV3(clientSecret, 'POST', url, body, nowMs) };
}

/** A fresh provider-style id: `evt_…`, `msg_…`. */
export function eventId(prefix: string): string {
  return `${prefix}_${randomBytes(12).toString('hex')}`;
}

/** `POST /_sim/mutate`: a change made in the provider's dashboard, which sends its webhooks. */
export async function mutate(simulatorUrl: string, body: unknown): Promise<unknown> {
  const response = await request(new URL('/_sim/mutate', simulatorUrl), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const text = await response.body.text();
  if (response.statusCode !== 200) throw new Error(`/_sim/mutate: ${response.statusCode} ${text}`);
  return JSON.parse(text) as unknown;
}

/** `POST /_sim/faults` (replaces every fault; `{}` clears them). */
export async function setFaults(simulatorUrl: string, faults: Record<string, unknown>): Promise<void> {
  const response = await request(new URL('/_sim/faults', simulatorUrl), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(faults) });
  await response.body.dump();
  if (response.statusCode !== 200) throw new Error(`/_sim/faults: HTTP ${response.statusCode}`);
}
