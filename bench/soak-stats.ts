/**
 * The arithmetic of a soak, kept free of processes and clocks so it can be tested alone: what a
 * series of memory samples says about peak, level and trend.
 */

/** One reading of the system's process during a soak. Sizes in bytes. */
export interface MemorySample {
  /** Seconds since the measured load started (0: right after the warm-up). */
  atSeconds: number;
  /** VmRSS: what the operating system counts against the process. */
  rssBytes: number;
  /** From the memory probe; absent when it did not answer in time. */
  heapUsedBytes?: number;
  heapTotalBytes?: number;
  externalBytes?: number;
  /** Used bytes per V8 space. */
  spaces?: Record<string, number>;
  /** Garbage collections since the process started. */
  gc?: { minor: number; major: number; pauseMs: number };
  /** Responses received since the previous sample. */
  responses: number;
  /** CPU seconds (user + system) the process has used since it started. */
  cpuSeconds?: number;
}

/**
 * The hardening issue's target for the warm gateway under W3: RSS under 200 MiB, and flat. "Flat"
 * is read as growing by less than 1 MiB a minute over the second half of the soak, i.e. less than
 * 5 MiB over the second half of a 10-minute soak: below that, what is left is noise of the
 * allocator and the collector, not something that accumulates.
 */
export const RSS_TARGET_BYTES = 200 * 2 ** 20;
export const FLAT_SLOPE_MIB_PER_MINUTE = 1;
/** The point the "flat" is also checked from: after two minutes every cache is full. */
export const SETTLED_AT_SECONDS = 120;

export interface SoakSummary {
  samples: number;
  /** VmHWM at the end: the highest RSS the process ever had, sampled or not. */
  peakRssBytes: number | null;
  /** RSS at the first, the middle and the last sample of the measured load. */
  rssBytes: { start: number; middle: number; end: number; max: number };
  /** Least-squares slope of RSS over the second half of the soak, MiB per minute. */
  rssSlopeMiBPerMinute: number | null;
  /** RSS at the end minus RSS at SETTLED_AT_SECONDS; null when the soak is not longer than that. */
  rssGrowthAfterSettledBytes: number | null;
  /** The same for V8's used heap, where the probe answered. */
  heapUsedBytes: { start: number; middle: number; end: number; max: number } | null;
  heapSlopeMiBPerMinute: number | null;
  flat: boolean | null;
  underTarget: boolean | null;
  /**
   * CPU milliseconds the process spent per response between the first and the last sample: what
   * a runtime flag costs, readable on a machine whose other load moves req/s.
   */
  cpuMsPerResponse: number | null;
}

/** Summarises a soak's samples; `peakRssBytes` is the process's own VmHWM, read at the end. */
export function summarizeSoak(samples: readonly MemorySample[], durationSeconds: number, peakRssBytes: number | null): SoakSummary {
  if (samples.length === 0) throw new TypeError('a soak summary needs at least one sample: 0');
  const half = durationSeconds / 2;
  const secondHalf = samples.filter((s) => s.atSeconds >= half);
  const rssSlope = slopePerMinute(secondHalf.map((s) => [s.atSeconds, s.rssBytes]));
  const withHeap = samples.filter((s): s is MemorySample & { heapUsedBytes: number } => s.heapUsedBytes !== undefined);
  const settled = durationSeconds > SETTLED_AT_SECONDS ? nearest(samples, SETTLED_AT_SECONDS) : undefined;
  const last = samples[samples.length - 1] as MemorySample;
  const maxRss = Math.max(...samples.map((s) => s.rssBytes), peakRssBytes ?? 0);
  return {
    samples: samples.length,
    peakRssBytes,
    rssBytes: levels(samples, durationSeconds, (s) => s.rssBytes),
    rssSlopeMiBPerMinute: rssSlope,
    rssGrowthAfterSettledBytes: settled === undefined ? null : last.rssBytes - settled.rssBytes,
    heapUsedBytes: withHeap.length === 0 ? null : levels(withHeap, durationSeconds, (s) => s.heapUsedBytes),
    heapSlopeMiBPerMinute: slopePerMinute(withHeap.filter((s) => s.atSeconds >= half).map((s) => [s.atSeconds, s.heapUsedBytes])),
    flat: rssSlope === null ? null : rssSlope < FLAT_SLOPE_MIB_PER_MINUTE,
    underTarget: maxRss < RSS_TARGET_BYTES,
    cpuMsPerResponse: cpuPerResponse(samples),
  };
}

/** CPU ms per response from the first to the last sample that has a CPU reading. */
export function cpuPerResponse(samples: readonly MemorySample[]): number | null {
  const timed = samples.filter((s) => s.cpuSeconds !== undefined);
  const first = timed[0];
  const last = timed[timed.length - 1];
  if (first === undefined || last === undefined || first === last) return null;
  // A sample's responses arrived before it was taken: the first one's belong to before the span.
  const responses = samples.filter((s) => s.atSeconds > first.atSeconds && s.atSeconds <= last.atSeconds).reduce((sum, s) => sum + s.responses, 0);
  if (responses === 0) return null;
  return (((last.cpuSeconds ?? 0) - (first.cpuSeconds ?? 0)) * 1000) / responses;
}

/**
 * The least-squares slope of bytes over seconds, in MiB per minute; null for fewer than two
 * points or when they were all taken at the same time.
 */
export function slopePerMinute(points: ReadonlyArray<readonly [seconds: number, bytes: number]>): number | null {
  if (points.length < 2) return null;
  const n = points.length;
  const meanX = points.reduce((sum, [x]) => sum + x, 0) / n;
  const meanY = points.reduce((sum, [, y]) => sum + y, 0) / n;
  let covariance = 0;
  let variance = 0;
  for (const [x, y] of points) {
    covariance += (x - meanX) * (y - meanY);
    variance += (x - meanX) ** 2;
  }
  if (variance === 0) return null;
  return ((covariance / variance) * 60) / 2 ** 20;
}

/** The sample taken closest to `atSeconds` (the earlier one on a tie). */
export function nearest<T extends { atSeconds: number }>(samples: readonly T[], atSeconds: number): T {
  let best = samples[0];
  if (best === undefined) throw new TypeError('nearest needs at least one sample: 0');
  for (const sample of samples) if (Math.abs(sample.atSeconds - atSeconds) < Math.abs(best.atSeconds - atSeconds)) best = sample;
  return best;
}

function levels<T extends MemorySample>(samples: readonly T[], durationSeconds: number, value: (s: T) => number) {
  const first = samples[0] as T;
  const last = samples[samples.length - 1] as T;
  return {
    start: value(first),
    middle: value(nearest(samples, durationSeconds / 2)),
    end: value(last),
    max: Math.max(...samples.map(value)),
  };
}

/**
 * At most `rows` samples, evenly spread and always with the first and the last: what the printed
 * table shows of a long soak (the JSON keeps every sample).
 */
export function thin<T>(samples: readonly T[], rows: number): T[] {
  if (samples.length <= rows) return [...samples];
  const picked = new Set<number>();
  for (let i = 0; i < rows; i += 1) picked.add(Math.round((i * (samples.length - 1)) / (rows - 1)));
  return [...picked].sort((a, b) => a - b).map((index) => samples[index] as T);
}
