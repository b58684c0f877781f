import { timingSafeEqual } from 'node:crypto';

/**
 * Whether any expected signature equals any received one, for every provider's webhook verifier.
 * Every pair is compared, whatever matched first, so the time taken tells nothing about which
 * secret (old or new, during a rotation) or which of several signatures matched. Only a length
 * mismatch returns early, and lengths are no secret.
 */
export function anySignatureMatches(expected: readonly Buffer[], received: readonly Buffer[]): boolean {
  let matched = false;
  for (const want of expected) {
    for (const got of received) {
      const equal = want.length === got.length && timingSafeEqual(want, got);
      matched = equal || matched;
    }
  }
  return matched;
}

/** A verified body's JSON, or undefined when it is none (the verifier then says `malformed`). */
export function parseWebhookJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
}
