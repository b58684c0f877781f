import type { Budget, BudgetState, RateLimitStore } from './rate-limit-store.ts';

export interface MemoryRateLimitStoreOptions {
  /** Milliseconds since the epoch (default `Date.now`); tests pass a clock they drive. */
  now?: () => number;
  /** Budgets kept at most; drained ones go first, then the least recently spent (default 100 000). */
  maxKeys?: number;
}

interface Entry {
  /** When it was last spent, ms. */
  at: number;
  /** ms × limit at `at`; see rate-limit-store.ts. */
  debt: number;
  /** When the debt has drained to nothing, ms: the entry then means no more than a missing one. */
  drainedAt: number;
}

const DEFAULT_MAX_KEYS = 100_000; // budgets: four per active client at most

/**
 * The budgets of this process alone: the store when there is no Redis, and the Redis store's
 * fallback while Redis is away. The same algorithm and integer arithmetic as the Redis script.
 */
export class MemoryRateLimitStore implements RateLimitStore {
  private readonly entries = new Map<string, Entry>();
  private readonly now: () => number;
  private readonly maxKeys: number;

  constructor(options: MemoryRateLimitStoreOptions = {}) {
    this.now = options.now ?? Date.now;
    this.maxKeys = options.maxKeys ?? DEFAULT_MAX_KEYS;
    if (!(Number.isInteger(this.maxKeys) && this.maxKeys > 0)) throw new TypeError(`maxKeys must be a positive integer: ${options.maxKeys}`);
  }

  async consume(budgets: readonly Budget[]): Promise<{ allowed: boolean; states: BudgetState[] }> {
    return this.consumeNow(budgets);
  }

  consumeNow(budgets: readonly Budget[]): { allowed: boolean; states: BudgetState[] } {
    const now = Math.floor(this.now());
    const debts: number[] = [];
    for (const budget of budgets) debts.push(this.debtOf(budget, now));
    const { allowed, states, after } = spendAll(budgets, debts);
    if (allowed) {
      for (let i = 0; i < budgets.length; i += 1) {
        const budget = budgets[i]!;
        if (budget.amount === 0) continue;
        this.entries.delete(budget.key); // re-inserted last: the Map's order is least recently spent first
        this.entries.set(budget.key, { at: now, debt: after[i]!, drainedAt: now + Math.ceil(after[i]! / budget.limit) });
      }
      if (this.entries.size > this.maxKeys) this.sweep(now);
    }
    return { allowed, states };
  }

  // Private: the debt now, and forgetting budgets.

  private debtOf(budget: Budget, now: number): number {
    const entry = this.entries.get(budget.key);
    if (!entry) return 0;
    return Math.max(0, entry.debt - Math.max(0, now - entry.at) * budget.limit);
  }

  private sweep(now: number): void {
    for (const [key, entry] of this.entries) if (entry.drainedAt <= now) this.entries.delete(key);
    for (const key of this.entries.keys()) {
      if (this.entries.size <= this.maxKeys) break;
      this.entries.delete(key);
    }
  }
}

/**
 * Every budget's answer to this call, all or nothing: `after` is each debt with the amount
 * spent, `states` what the caller is told (with nothing spent when refused).
 */
export function spendAll(budgets: readonly Budget[], debts: readonly number[]): { allowed: boolean; states: BudgetState[]; after: number[] } {
  // Plain loops: this runs twice for every request (its request, then its cost).
  const after: number[] = [];
  const waits: number[] = [];
  let allowed = true;
  for (let i = 0; i < budgets.length; i += 1) {
    const budget = budgets[i]!;
    after.push(debts[i]! + budget.amount * budget.windowMs);
    waits.push(waitOf(budget, after[i]!));
    if (waits[i] !== 0) allowed = false;
  }
  const states: BudgetState[] = [];
  for (let i = 0; i < budgets.length; i += 1) {
    const budget = budgets[i]!;
    const kept = allowed ? after[i]! : debts[i]!;
    states.push({ remaining: Math.floor((budget.windowMs * budget.limit - kept) / budget.windowMs), resetMs: Math.ceil(kept / budget.limit), waitMs: waits[i]! });
  }
  return { allowed, states, after };
}

function waitOf(budget: Budget, after: number): number {
  const capacity = budget.windowMs * budget.limit;
  if (after <= capacity) return 0;
  // More than the whole budget never fits; it is refused with a whole window, not a busy loop.
  if (budget.amount > budget.limit) return budget.windowMs;
  return Math.ceil((after - capacity) / budget.limit);
}
