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

/** Clients whose budgets' keys and policy field are kept made; forgotten all at once past this. */
const MAX_PLANS = 10_000;

/**
 * What `consume` would otherwise work out on every call for one client: its limited budgets'
 * keys and the RateLimit-Policy field. Made again when its tenant's override is another object.
 */
interface Plan {
  override: RateLimitOverride | undefined;
  budgets: ReadonlyArray<{ name: PolicyName; key: string; limit: number; counts: 'requests' | 'cost' }>;
  policyField: string;
}

/**
 * Per-client and per-tenant budgets, in requests and in operation cost units. One `consume`
 * checks and spends the four budgets together, all or nothing, in one store call.
 */
export class ClientRateLimiter {
  private readonly plans = new Map<string, Plan>();

  constructor(private readonly options: ClientRateLimiterOptions) {
    const { windowMs, defaults } = options;
    if (!(Number.isInteger(windowMs) && windowMs >= 1000 && windowMs % 1000 === 0)) throw new TypeError(`windowMs must be a whole number of seconds, in ms: ${windowMs}`);
    checkRateLimitPolicy(defaults, windowMs);
  }

  /** Spends `amount` for `who`, or nothing if any of the four budgets would be exceeded. Never waits. */
  async consume(who: { tenantId: string; clientId: string }, amount: { requests: number; cost: number }): Promise<RateLimitDecision> {
    return this.consumeNow(who, amount);
  }

  /**
   * `consume`, answered in place when the store can (the in-process one): the hook that spends a
   * request on every request then costs no promise. Throws where `consume` would reject.
   */
  consumeNow(who: { tenantId: string; clientId: string }, amount: { requests: number; cost: number }): RateLimitDecision | Promise<RateLimitDecision> {
    const plan = this.planOf(who);
    if (plan.budgets.length === 0) return UNLIMITED;
    const { windowMs, store } = this.options;
    const budgets: Budget[] = [];
    for (const { key, limit, counts } of plan.budgets) budgets.push({ key, limit, windowMs, amount: amount[counts] });
    if (store.consumeNow) {
      const { allowed, states } = store.consumeNow(budgets);
      return decide(plan, states, allowed);
    }
    return store.consume(budgets).then(({ allowed, states }) => decide(plan, states, allowed));
  }

  // Private: each client's plan.

  private planOf(who: { tenantId: string; clientId: string }): Plan {
    const override = this.options.policyFor?.(who.tenantId);
    const id = `${who.tenantId}\n${who.clientId}`;
    const known = this.plans.get(id);
    if (known && known.override === override) return known;
    const plan = this.makePlan(who, override);
    if (this.plans.size >= MAX_PLANS) this.plans.clear();
    this.plans.set(id, plan);
    return plan;
  }

  private makePlan(who: { tenantId: string; clientId: string }, override: RateLimitOverride | undefined): Plan {
    const policy = { ...this.options.defaults, ...override };
    checkRateLimitPolicy(policy, this.options.windowMs);
    const { windowMs } = this.options;
    const tenant = `{${encodeURIComponent(who.tenantId)}}`;
    const client = `${tenant}:client:${encodeURIComponent(who.clientId)}`;
    // The limit and window are in the key: a debt is counted in ms × limit, so a changed budget
    // starts afresh instead of misreading the old one.
    const all: Plan['budgets'] = [
      { name: 'client-requests', key: `${client}:requests:${policy.clientRequests}/${windowMs}`, limit: policy.clientRequests, counts: 'requests' },
      { name: 'client-cost', key: `${client}:cost:${policy.clientCost}/${windowMs}`, limit: policy.clientCost, counts: 'cost' },
      { name: 'tenant-requests', key: `${tenant}:tenant:requests:${policy.tenantRequests}/${windowMs}`, limit: policy.tenantRequests, counts: 'requests' },
      { name: 'tenant-cost', key: `${tenant}:tenant:cost:${policy.tenantCost}/${windowMs}`, limit: policy.tenantCost, counts: 'cost' },
    ];
    const budgets = all.filter((budget) => budget.limit > 0);
    const policyField = budgets.map(({ name, limit }) => `"${name}";q=${limit};w=${windowMs / 1000}`).join(', ');
    return { override, budgets, policyField };
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
function decide(plan: Plan, states: BudgetState[], allowed: boolean): RateLimitDecision {
  const limited = plan.budgets;
  const policy = plan.policyField;
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
  let tightest = 0;
  for (let i = 1; i < states.length; i += 1) {
    const share = states[i]!.remaining / limited[i]!.limit;
    const least = states[tightest]!.remaining / limited[tightest]!.limit;
    if (share < least || (share === least && states[i]!.resetMs > states[tightest]!.resetMs)) tightest = i;
  }
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
