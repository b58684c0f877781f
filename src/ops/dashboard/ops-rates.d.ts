// The types of ops-rates.js, for the tests that import it (the page itself is plain JavaScript).
import type { BreakerStateName } from '../../telemetry.ts';
import type { OpsSnapshot } from '../ops-snapshot.ts';

export type Buckets = ReadonlyArray<readonly [le: number | null, count: number]>;

export interface ProviderRates {
  callsPerSecond: number | null;
  errorRate: number | null;
  p50Seconds: number | null;
  p99Seconds: number | null;
  cacheHitRate: number | null;
  /** null in a tenant's view, which has no cache figures. */
  staleAnswers: number | null;
  retries: number;
  refusals: number;
}

export interface GraphqlRates {
  requestsPerSecond: number | null;
  errorsPerRequest: number | null;
  p99Seconds: number | null;
}

export function quantile(q: number, buckets: Buckets): number | null;
export function providerRates(older: OpsSnapshot, latest: OpsSnapshot, name: keyof OpsSnapshot['providers']): ProviderRates;
export function graphqlRates(older: OpsSnapshot, latest: OpsSnapshot): GraphqlRates;
export function worstBreaker(breakers: Record<string, BreakerStateName>): BreakerStateName | 'unknown';
export function windowStart(history: readonly OpsSnapshot[], seconds: number): OpsSnapshot;
