import type { z } from 'zod';
import { ErrorCode, UpstreamError, type ProviderName } from '../errors.ts';

/**
 * Checks a provider payload against its wire schema at the provider boundary. A mismatch is the
 * provider's fault, not the client's: UPSTREAM_BAD_RESPONSE naming the offending path.
 */
export function parseWire<S extends z.ZodType>(provider: ProviderName, schema: S, body: unknown, what: string): z.output<S> {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const path = issue?.path.join('.') || '(root)';
  throw new UpstreamError(
    ErrorCode.UpstreamBadResponse,
    provider,
    `${provider} sent an unexpected ${what}`,
    { detail: `${path}: ${issue?.message ?? 'invalid'}` },
  );
}
