/** One cumulative bucket of a Prometheus histogram: observations less than or equal to `le` seconds. */
export interface Bucket {
  readonly le: number;
  readonly count: number;
}

/**
 * The q-quantile (0–1) of a histogram from its cumulative buckets, the way PromQL's
 * `histogram_quantile` estimates it: linear interpolation inside the bucket the rank falls in,
 * the lowest bucket starting at 0, and the highest finite bound when the rank falls in +Inf (the
 * histogram cannot say more). `null` when nothing was observed.
 * https://prometheus.io/docs/prometheus/latest/querying/functions/#histogram_quantile
 */
export function histogramQuantile(q: number, buckets: readonly Bucket[]): number | null {
  if (!(q >= 0 && q <= 1)) throw new RangeError(`a quantile is between 0 and 1: ${q}`);
  const sorted = [...buckets].sort((a, b) => a.le - b.le);
  const total = sorted.at(-1)?.count ?? 0;
  if (total <= 0) return null;
  const rank = q * total;
  let lower = 0;
  let below = 0;
  for (const { le, count } of sorted) {
    if (count >= rank) {
      if (le === Number.POSITIVE_INFINITY) return lower;
      const inBucket = count - below;
      return inBucket === 0 ? le : lower + (le - lower) * ((rank - below) / inBucket);
    }
    lower = le;
    below = count;
  }
  return lower;
}
