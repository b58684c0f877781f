/**
 * One operation alone: its latency with nothing cached and nothing else in flight, against the
 * workload's floor (issue 13: cold W1 and W2 within 3 ms of it). The arithmetic is kept free of
 * processes and clocks so that it can be tested alone; bench/run.ts does the timing.
 */
import type { SystemId } from './systems.ts';
import type { WorkloadId } from './workloads.ts';

/** Operations sent one after another per (system, workload): the "median of 20". */
export const ALONE_RUNS = 20;

/**
 * The systems whose alone latency is measured: those that keep nothing between operations, so
 * that every one of the 20 is as cold as the first. tributary (warm), tributary (Redis) and
 * datasource-rest keep a cache (datasource-rest's stores nothing from these providers today, but
 * that is their headers' doing, not a promise); measuring them "alone" would time their cache
 * after the first operation, and restarting them 20 times would time their start-up.
 */
export const ALONE_SYSTEMS: readonly SystemId[] = ['ceiling', 'naive', 'tributary-cold'];

export interface Floor {
  /** Upstream answers that must arrive one after another on the critical path. */
  roundTrips: number;
  /** Why that many, from the providers' loaders. */
  why: string;
}

/**
 * The floor of each workload, in round trips; times the simulators' latency it is the least time
 * any gateway needs. W3 and W4 send W1's query (W4 with HubSpot's real quota, which one operation
 * alone does not reach), so their alone latency is W1's and is not measured again.
 */
export const FLOORS: Record<WorkloadId, Floor & { sameAs?: WorkloadId }> = {
  W0: { roundTrips: 0, why: 'no provider is called' },
  W1: {
    roundTrips: 4,
    // src/providers/*/loaders.ts: the page comes from the customer service; then Stripe lists
    // each customer's charges (one call per customer, all at once: 1 round trip) while HubSpot
    // reads contacts by id and by email (in parallel, one batch each: 1), then the contacts'
    // deal associations (1), then the deals (1); HubSpot's chain is the longer branch.
    why: 'customers page, then HubSpot contacts (by id and by email in parallel; Stripe charges beside them), associations, deals',
  },
  W2: {
    roundTrips: 3,
    // The customer by id; W2's customer has a HubSpot ref (bench/workloads.ts richestCustomer),
    // so its contact, its deal associations (keyed by the contact id the ref gives) and its Stripe
    // charges can all be read at once; then the deals. Without the ref the contact must be found
    // by email first, as W1's email-linked customers are: one more.
    why: 'customer by id, then its HubSpot contact, deal associations and Stripe charges together, then deals',
  },
  W3: { roundTrips: 4, why: 'as W1', sameAs: 'W1' },
  W4: { roundTrips: 4, why: 'as W1', sameAs: 'W1' },
};

export function floorMs(workload: WorkloadId, latencyMs: number): number {
  return FLOORS[workload].roundTrips * latencyMs;
}

/** What the results JSON keeps of one (system, workload)'s alone operations. */
export interface AloneLatency {
  /** Each operation's latency in ms, in the order sent. */
  samplesMs: number[];
  medianMs: number;
  p90Ms: number;
  floorMs: number;
  /**
   * Median minus floor; null for a system that calls no provider (the ceiling) on a workload
   * with a floor: it answers below the floor, and the difference says nothing.
   */
  overFloorMs: number | null;
}

export function summarizeAlone(samplesMs: readonly number[], floor: number, callsProviders: boolean): AloneLatency {
  const medianMs = percentile(samplesMs, 50);
  return {
    samplesMs: [...samplesMs],
    medianMs,
    p90Ms: percentile(samplesMs, 90),
    floorMs: floor,
    overFloorMs: callsProviders || floor === 0 ? medianMs - floor : null,
  };
}

/**
 * The p-th percentile with linear interpolation between closest ranks (the median of an even
 * count is the mean of the two middle values); throws on no samples.
 */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) throw new TypeError('a percentile needs at least one value: 0');
  if (!(p >= 0 && p <= 100)) throw new RangeError(`a percentile is from 0 to 100: ${p}`);
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p / 100) * (sorted.length - 1);
  const low = Math.floor(rank);
  const high = Math.ceil(rank);
  const lowValue = sorted[low] as number;
  return lowValue + ((sorted[high] as number) - lowValue) * (rank - low);
}
