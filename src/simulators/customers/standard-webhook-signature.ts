import { createHmac } from 'node:crypto';

/**
 * Standard Webhooks 1.0 headers for one attempt: `webhook-signature: v1,<base64 HMAC-SHA256>`
 * over `${id}.${timestamp}.${body}`. The key is the secret's base64 part, decoded: the spec's
 * secrets are `whsec_` plus base64 of the key bytes
 * (https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md).
 * Tests use it to forge deliveries.
 */
export function signStandardWebhook(
  secret: string,
  id: string,
  timestampSec: number,
  body: string,
): { 'webhook-id': string; 'webhook-timestamp': string; 'webhook-signature': string } {
  const key = Buffer.from(secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret, 'base64');
  const signature = createHmac('sha256', key).update(`${id}.${timestampSec}.${body}`, 'utf8').digest('base64');
  return { 'webhook-id': id, 'webhook-timestamp': String(timestampSec), 'webhook-signature': `v1,${signature}` };
}
