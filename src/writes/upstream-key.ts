import { createHash, randomUUID } from 'node:crypto';

/**
 * The idempotency key sent to a provider for one mutation field: derived from the client's key,
 * its tenant and principal and the field's response path, so that two clients (or two tenants)
 * using the same key never collide at the provider, two mutations of one request get two keys,
 * and a repeat of the request sends the same key again. Without a client key (a write that
 * needs none), a fresh one. Hashed: the client's key is never sent on in clear. Stripe takes
 * up to 255 characters; this is 43.
 */
export function upstreamKeyOf(tenantId: string, clientId: string, clientKey: string | undefined, path: string): string {
  if (clientKey === undefined) return `trib_${randomUUID()}`;
  return `trib_${createHash('sha256').update(`${tenantId}\n${clientId}\n${clientKey}\n${path}`).digest('base64url').slice(0, 38)}`;
}
