// Rates and windows from two cumulative snapshots of /ops/stream (src/ops/ops-snapshot.ts).
// Plain JavaScript, served as is: the page has no build step. Types: ops-rates.d.ts.

/** The breaker states from best to worst: a card shows its worst tenant's. */
const BREAKER_ORDER = ['closed', 'half_open', 'open'];

/**
 * The q-quantile from cumulative buckets [[le, count], ...] (le null: +Inf), as PromQL's
 * histogram_quantile estimates it; null when nothing was observed. Same rule as
 * src/ops/histogram-quantile.ts, on the page's window of bucket differences.
 */
export function quantile(q, buckets) {
  const total = buckets.length === 0 ? 0 : buckets[buckets.length - 1][1];
  if (!(total > 0)) return null;
  const rank = q * total;
  let lower = 0;
  let below = 0;
  for (const [le, count] of buckets) {
    if (count >= rank) {
      if (le === null) return lower;
      const inBucket = count - below;
      return inBucket === 0 ? le : lower + (le - lower) * ((rank - below) / inBucket);
    }
    lower = le ?? lower;
    below = count;
  }
  return lower;
}

/** A counter's growth; a smaller value means the gateway restarted, and counts from zero. */
function growth(older, latest) {
  return latest >= older ? latest - older : latest;
}

/** Bucket-by-bucket growth between two cumulative bucket lists of one histogram. */
function bucketGrowth(older, latest) {
  const before = new Map(older.map(([le, count]) => [le, count]));
  return latest.map(([le, count]) => [le, growth(before.get(le) ?? 0, count)]);
}

const NO_LOOKUPS = { hit: 0, miss: 0, stale: 0, revalidated: 0, joined: 0 };

function sum(record) {
  return Object.values(record).reduce((a, b) => a + b, 0);
}

/**
 * One provider between two snapshots. The error rate counts what callers saw fail: attempts that
 * failed and calls refused without an attempt (an open circuit sends none, so failed attempts
 * alone would read 0 % while every call fails). null where the window saw no calls.
 */
export function providerRates(older, latest, name) {
  const a = older.providers[name];
  const b = latest.providers[name];
  const seconds = Math.max((latest.at - older.at) / 1000, 0.001);
  const attempts = growth(a.attempts, b.attempts);
  const failed = growth(a.errors, b.errors);
  const refused = growth(sum(a.refusals), sum(b.refusals));
  const calls = attempts + refused;
  // A tenant's view has no cache figures (ops-snapshot.ts): no lookups to rate.
  const ca = a.cache ?? NO_LOOKUPS;
  const cb = b.cache ?? NO_LOOKUPS;
  const hits = growth(ca.hit, cb.hit) + growth(ca.revalidated, cb.revalidated) + growth(ca.joined, cb.joined);
  const lookups = hits + growth(ca.miss, cb.miss) + growth(ca.stale, cb.stale);
  const window = older === latest ? b.latency.buckets : bucketGrowth(a.latency.buckets, b.latency.buckets);
  return {
    callsPerSecond: older === latest ? null : calls / seconds,
    errorRate: calls === 0 ? null : (failed + refused) / calls,
    p50Seconds: quantile(0.5, window),
    p99Seconds: quantile(0.99, window),
    cacheHitRate: lookups === 0 ? null : hits / lookups,
    staleAnswers: b.cache ? b.cache.stale : null,
    retries: b.retries,
    refusals: sum(b.refusals),
  };
}

/** The gateway's own GraphQL traffic between two snapshots. */
export function graphqlRates(older, latest) {
  const seconds = Math.max((latest.at - older.at) / 1000, 0.001);
  const requests = growth(older.graphql.requests, latest.graphql.requests);
  const window = older === latest ? latest.graphql.latency.buckets : bucketGrowth(older.graphql.latency.buckets, latest.graphql.latency.buckets);
  return {
    requestsPerSecond: older === latest ? null : requests / seconds,
    errorsPerRequest: requests === 0 ? null : growth(older.graphql.errors, latest.graphql.errors) / requests,
    p99Seconds: quantile(0.99, window),
  };
}

/** The worst state among a provider's tenants, or 'unknown' when the registry has none yet. */
export function worstBreaker(breakers) {
  const states = Object.values(breakers);
  if (states.length === 0) return 'unknown';
  return states.reduce((worst, state) => (BREAKER_ORDER.indexOf(state) > BREAKER_ORDER.indexOf(worst) ? state : worst), 'closed');
}

/** The snapshot `seconds` before the latest in a history ordered oldest first (the oldest when it is younger). */
export function windowStart(history, seconds) {
  const latest = history[history.length - 1];
  for (let i = history.length - 1; i >= 0; i -= 1) if (latest.at - history[i].at >= seconds * 1000) return history[i];
  return history[0];
}
