import { createHmac } from 'node:crypto';

/**
 * The `Stripe-Signature` header of one delivery: `t=<unix s>,v1=<hex HMAC-SHA256>` over
 * `${t}.${body}`, keyed with the whole endpoint secret, `whsec_` included
 * (https://docs.stripe.com/webhooks#verify-manually). Tests use it to forge deliveries.
 */
export function signStripe(secret: string, timestampSec: number, body: string): { 'stripe-signature': string } {
  const v1 = createHmac('sha256', secret).update(`${timestampSec}.${body}`, 'utf8').digest('hex');
  return { 'stripe-signature': `t=${timestampSec},v1=${v1}` };
}
