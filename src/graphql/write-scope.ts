import type { Scope } from '../auth/principal.ts';
import type { ProviderName } from '../errors.ts';
import { WRITES } from '../providers/registry.ts';

const WRITE_SCOPES: Record<ProviderName, Scope> = { customers: 'customers:write', stripe: 'payments:write', hubspot: 'crm:write' };

/** The scope a queued write's status needs: the one its mutation needed. Unknown mutations need one nobody has by accident. */
export function writeScopeOf(mutation: string): Scope {
  const provider = WRITES.find((write) => write.mutation === mutation)?.provider;
  return provider ? WRITE_SCOPES[provider] : 'ops:write';
}
