import { describe, expect, it } from 'vitest';
import { cpuPerResponse, nearest, slopePerMinute, summarizeSoak, thin, type MemorySample } from '../../bench/soak-stats.ts';

const MiB = 2 ** 20;

/** Samples every `every` seconds from 0 to `duration`, RSS given in MiB by `rss(t)`. */
function series(duration: number, every: number, rss: (t: number) => number, heap?: (t: number) => number): MemorySample[] {
  const samples: MemorySample[] = [];
  for (let t = 0; t <= duration; t += every) {
    samples.push({ atSeconds: t, rssBytes: rss(t) * MiB, ...(heap ? { heapUsedBytes: heap(t) * MiB } : {}), responses: 100 });
  }
  return samples;
}

describe('the soak summary', () => {
  it('calls a gateway that levels off after filling its caches flat, whatever it grew before', () => {
    // Grows 100 MiB in the first two minutes, then holds at 180 MiB.
    const samples = series(600, 5, (t) => (t < 120 ? 80 + (100 * t) / 120 : 180));
    const summary = summarizeSoak(samples, 600, 185 * MiB);
    expect(summary.rssSlopeMiBPerMinute).toBeCloseTo(0, 6);
    expect(summary.rssGrowthAfterSettledBytes).toBe(0);
    expect(summary.flat).toBe(true);
    expect(summary.underTarget).toBe(true);
    expect(summary.rssBytes).toEqual({ start: 80 * MiB, middle: 180 * MiB, end: 180 * MiB, max: 180 * MiB });
  });

  it('calls a steady leak of 2 MiB a minute not flat, and measures it', () => {
    const samples = series(600, 5, (t) => 150 + (2 * t) / 60);
    const summary = summarizeSoak(samples, 600, null);
    expect(summary.rssSlopeMiBPerMinute).toBeCloseTo(2, 6);
    expect(summary.rssGrowthAfterSettledBytes).toBe(16 * MiB);
    expect(summary.flat).toBe(false);
    expect(summary.underTarget).toBe(true);
  });

  it('misses the target when the process peaked above 200 MiB between two samples', () => {
    const summary = summarizeSoak(series(60, 5, () => 150), 60, 230 * MiB);
    expect(summary.flat).toBe(true);
    expect(summary.underTarget).toBe(false);
    expect(summary.peakRssBytes).toBe(230 * MiB);
  });

  it('has no growth-after-settling figure for a soak shorter than the settling time', () => {
    const summary = summarizeSoak(series(60, 5, () => 150), 60, null);
    expect(summary.rssGrowthAfterSettledBytes).toBeNull();
  });

  it('summarises the heap where the probe answered and leaves it out where it never did', () => {
    const withHeap = summarizeSoak(series(60, 5, () => 150, (t) => 60 + t / 60), 60, null);
    expect(withHeap.heapUsedBytes?.end).toBe(61 * MiB);
    expect(withHeap.heapSlopeMiBPerMinute).toBeCloseTo(1, 6);
    const without = summarizeSoak(series(60, 5, () => 150), 60, null);
    expect(without.heapUsedBytes).toBeNull();
    expect(without.heapSlopeMiBPerMinute).toBeNull();
  });

  it('refuses an empty series, saying what it got', () => {
    expect(() => summarizeSoak([], 60, null)).toThrow(/at least one sample: 0/);
  });
});

describe('the least-squares slope', () => {
  it('is in MiB per minute', () => {
    expect(slopePerMinute([[0, 0], [60, MiB]])).toBeCloseTo(1, 9);
    expect(slopePerMinute([[0, 10 * MiB], [30, 9 * MiB], [60, 8 * MiB]])).toBeCloseTo(-2, 9);
  });

  it('sees through noise around a trend', () => {
    const points = Array.from({ length: 61 }, (_, i) => [i * 5, (100 + (3 * i * 5) / 60 + (i % 2 === 0 ? 4 : -4)) * MiB] as const);
    expect(slopePerMinute(points)).toBeCloseTo(3, 1);
  });

  it('has no slope for one point, or for points all taken at once', () => {
    expect(slopePerMinute([[5, MiB]])).toBeNull();
    expect(slopePerMinute([[5, MiB], [5, 2 * MiB]])).toBeNull();
  });
});

describe('picking samples', () => {
  it('takes the nearest sample, the earlier on a tie', () => {
    const samples = [{ atSeconds: 0 }, { atSeconds: 10 }, { atSeconds: 20 }];
    expect(nearest(samples, 14)).toEqual({ atSeconds: 10 });
    expect(nearest(samples, 15)).toEqual({ atSeconds: 10 });
    expect(nearest(samples, 99)).toEqual({ atSeconds: 20 });
  });

  it('thins a long series to evenly spread rows, keeping the first and the last', () => {
    const values = Array.from({ length: 121 }, (_, i) => i);
    const rows = thin(values, 21);
    expect(rows).toHaveLength(21);
    expect(rows[0]).toBe(0);
    expect(rows[20]).toBe(120);
    expect(rows[10]).toBe(60);
    expect(thin([1, 2, 3], 21)).toEqual([1, 2, 3]);
  });
});

describe('CPU per response', () => {
  it('divides the CPU time between the first and the last sample by the responses in between', () => {
    const samples: MemorySample[] = [
      { atSeconds: 0, rssBytes: MiB, responses: 999, cpuSeconds: 10 },
      { atSeconds: 5, rssBytes: MiB, responses: 100, cpuSeconds: 11 },
      { atSeconds: 10, rssBytes: MiB, responses: 300, cpuSeconds: 12 },
    ];
    // 2 CPU seconds over 400 responses; the 999 counted before the first sample are not in the span.
    expect(cpuPerResponse(samples)).toBeCloseTo(5, 9);
  });

  it('has no figure without two CPU readings or without responses', () => {
    expect(cpuPerResponse([{ atSeconds: 0, rssBytes: MiB, responses: 5, cpuSeconds: 1 }])).toBeNull();
    expect(cpuPerResponse([{ atSeconds: 0, rssBytes: MiB, responses: 0 }, { atSeconds: 5, rssBytes: MiB, responses: 10 }])).toBeNull();
    expect(cpuPerResponse([{ atSeconds: 0, rssBytes: MiB, responses: 0, cpuSeconds: 1 }, { atSeconds: 5, rssBytes: MiB, responses: 0, cpuSeconds: 2 }])).toBeNull();
  });
});
