import type { Budget, BudgetState, RateLimitStore } from './rate-limit-store.ts';

/** Units per window of each budget; 0 means unlimited. */
export interface RateLimitPolicy {
  /** Requests of one client (all its requests to /graphql, refused ones excepted). */
  clientRequests: number;
  /** Operation cost units of one client (the operation-cost estimate, 1 per operation without one). */
  clientCost: number;
  /** Requests of all the clients of one tenant together. */
  tenantRequests: number;
  /** Operation cost units of all the clients of one tenant together. */
  tenantCost: number;
}

/** A tenant's own budgets where they differ from the defaults (the tenants file supplies them). */
export type RateLimitOverride = Partial<RateLimitPolicy>;

export interface ClientRateLimiterOptions {
  store: RateLimitStore;
  defaults: RateLimitPolicy;
  /** One window for every budget, in whole seconds (RateLimit-Policy's `w` is an Integer of seconds). */
  windowMs: number;
  policyFor?: (tenantId: string) => RateLimitOverride | undefined;
}

export type PolicyName = 'client-requests' | 'client-cost' | 'tenant-requests' | 'tenant-cost';

export interface RateLimitDecision {
  allowed: boolean;
  /** Whole seconds until the same amount fits every budget; 0 when allowed. */
  retryAfterSeconds: number;
  /** The budget that refused (the one with the longest wait). */
  refusedBy: PolicyName | undefined;
  /** RateLimit-Policy and RateLimit, and Retry-After when refused; empty when nothing is limited. */
  headers: Readonly<Record<string, string>>;
}

const UNLIMITED: RateLimitDecision = { allowed: true, retryAfterSeconds: 0, refusedBy: undefined, headers: {} };

/**
 * Per-client and per-tenant budgets, in requests and in operation cost units. One `consume`
 * checks and spends the four budgets together, all or nothing, in one store call.
 */
export class ClientRateLimiter {
  constructor(private readonly options: ClientRateLimiterOptions) {
    const { windowMs, defaults } = options;
    if (!(Number.isInteger(windowMs) && windowMs >= 1000 && windowMs % 1000 === 0)) throw new TypeError(`windowMs must be a whole number of seconds, in ms: ${windowMs}`);
    checkRateLimitPolicy(defaults, windowMs);
  }

  /** Spends `amount` for `who`, or nothing if any of the four budgets would be exceeded. Never waits. */
  async consume(who: { tenantId: string; clientId: string }, amount: { requests: number; cost: number }): Promise<RateLimitDecision> {
    const policy = { ...this.options.defaults, ...this.options.policyFor?.(who.tenantId) };
    checkRateLimitPolicy(policy, this.options.windowMs);
    const { windowMs } = this.options;
    const tenant = `{${encodeURIComponent(who.tenantId)}}`;
    const client = `${tenant}:client:${encodeURIComponent(who.clientId)}`;
    // The limit and window are in the key: a debt is counted in ms × limit, so a changed budget
    // starts afresh instead of misreading the old one.
    const all: Array<{ name: PolicyName; budget: Budget }> = [
      { name: 'client-requests', budget: { key: `${client}:requests:${policy.clientRequests}/${windowMs}`, limit: policy.clientRequests, windowMs, amount: amount.requests } },
      { name: 'client-cost', budget: { key: `${client}:cost:${policy.clientCost}/${windowMs}`, limit: policy.clientCost, windowMs, amount: amount.cost } },
      { name: 'tenant-requests', budget: { key: `${tenant}:tenant:requests:${policy.tenantRequests}/${windowMs}`, limit: policy.tenantRequests, windowMs, amount: amount.requests } },
      { name: 'tenant-cost', budget: { key: `${tenant}:tenant:cost:${policy.tenantCost}/${windowMs}`, limit: policy.tenantCost, windowMs, amount: amount.cost } },
    ];
    const limited = all.filter(({ budget }) => budget.limit > 0);
    if (limited.length === 0) return UNLIMITED;
    const { allowed, states } = await this.options.store.consume(limited.map(({ budget }) => budget));
    return decide(limited, states, allowed, windowMs);
  }
}

/**
 * The fields of draft-ietf-httpapi-ratelimit-headers-11: RateLimit-Policy (§3) lists every
 * budget as a Quota Policy Item with `q` and `w` (§3.1.1, §3.1.3); RateLimit (§4) names the
 * most constrained one with `r`, the units left (§4.1.1), and `t`, seconds (§4.1.2). Cost units
 * are not in the draft's quota unit registry (§10.3), so no `qu` is sent; the policy's name
 * says what it counts. On a refusal `t` is the Retry-After, as §6 asks that Retry-After not
 * end before the effective window does; otherwise it is the time until that budget is whole.
 */
function decide(limited: Array<{ name: PolicyName; budget: Budget }>, states: BudgetState[], allowed: boolean, windowMs: number): RateLimitDecision {
  const policy = limited.map(({ name, budget }) => `"${name}";q=${budget.limit};w=${windowMs / 1000}`).join(', ');
  if (!allowed) {
    const worst = states.reduce((most, state, i) => (state.waitMs > states[most]!.waitMs ? i : most), 0);
    const retryAfterSeconds = Math.max(1, Math.ceil(states[worst]!.waitMs / 1000));
    const name = limited[worst]!.name;
    return {
      allowed,
      retryAfterSeconds,
      refusedBy: name,
      headers: { 'Retry-After': String(retryAfterSeconds), 'RateLimit-Policy': policy, RateLimit: `"${name}";r=${states[worst]!.remaining};t=${retryAfterSeconds}` },
    };
  }
  // Most constrained: the smallest share left, and of equals the one that takes longest to refill.
  const share = (i: number) => states[i]!.remaining / limited[i]!.budget.limit;
  const tightest = states.reduce((most, state, i) => (share(i) < share(most) || (share(i) === share(most) && state.resetMs > states[most]!.resetMs) ? i : most), 0);
  const state = states[tightest]!;
  return {
    allowed,
    retryAfterSeconds: 0,
    refusedBy: undefined,
    headers: { 'RateLimit-Policy': policy, RateLimit: `"${limited[tightest]!.name}";r=${state.remaining};t=${Math.ceil(state.resetMs / 1000)}` },
  };
}

/** Limits are whole units, and a debt (ms × limit, see rate-limit-store.ts) must stay an exact integer. */
export function checkRateLimitPolicy(policy: RateLimitPolicy, windowMs: number): void {
  for (const [name, value] of Object.entries(policy)) {
    if (!(Number.isInteger(value) && value >= 0 && value * windowMs <= Number.MAX_SAFE_INTEGER)) {
      throw new TypeError(`${name} must be a non-negative integer (0: unlimited) at most ${Math.floor(Number.MAX_SAFE_INTEGER / windowMs)}: ${value}`);
    }
  }
}
