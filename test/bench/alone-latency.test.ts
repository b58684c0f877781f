import { describe, expect, it } from 'vitest';
import { ALONE_SYSTEMS, FLOORS, floorMs, percentile, summarizeAlone } from '../../bench/alone-latency.ts';
import { SYSTEMS } from '../../bench/systems.ts';
import { WORKLOAD_IDS } from '../../bench/workloads.ts';

describe('one operation alone', () => {
  it('puts W1 four chained round trips from the client, W2 (a customer with a HubSpot ref) three, W0 none, and W3 and W4 on W1', () => {
    expect(WORKLOAD_IDS.map((id) => FLOORS[id].roundTrips)).toEqual([0, 4, 3, 4, 4]);
    expect(FLOORS.W3.sameAs).toBe('W1');
    expect(FLOORS.W4.sameAs).toBe('W1');
    expect(FLOORS.W1.sameAs).toBeUndefined();
    expect(floorMs('W2', 20)).toBe(60);
    expect(floorMs('W0', 20)).toBe(0);
    expect(floorMs('W1', 5)).toBe(20);
  });

  it('times only the systems that keep nothing between operations', () => {
    expect(ALONE_SYSTEMS).toEqual(['ceiling', 'naive', 'tributary-cold']);
    for (const id of ALONE_SYSTEMS) expect(SYSTEMS[id]).toBeDefined();
  });

  it('takes the median and the p90 between closest ranks, whatever the order', () => {
    expect(percentile([5, 1, 3], 50)).toBe(3);
    expect(percentile([4, 1, 3, 2], 50)).toBe(2.5);
    const twenty = Array.from({ length: 20 }, (_, i) => 20 - i); // 20 … 1
    expect(percentile(twenty, 50)).toBe(10.5);
    expect(percentile(twenty, 90)).toBeCloseTo(18.1, 10);
    expect(percentile([7], 90)).toBe(7);
    expect(percentile([1, 9], 0)).toBe(1);
    expect(percentile([1, 9], 100)).toBe(9);
  });

  it('refuses no samples and a percentile outside 0–100', () => {
    expect(() => percentile([], 50)).toThrow(/at least one value: 0/);
    expect(() => percentile([1], 101)).toThrow(/from 0 to 100: 101/);
    expect(() => percentile([1], Number.NaN)).toThrow(/from 0 to 100/);
  });

  it('reports the median over the floor, and none for a system that calls no provider above a floor', () => {
    const samples = [83, 82, 90, 81, 84];
    expect(summarizeAlone(samples, 80, true)).toEqual({ samplesMs: samples, medianMs: 83, p90Ms: 87.6, floorMs: 80, overFloorMs: 3 });
    expect(summarizeAlone([1.5, 0.5, 1], 80, false).overFloorMs).toBeNull();
    // W0's floor is 0: what every system spends there is its own, the ceiling's included.
    expect(summarizeAlone([1.5, 0.5, 1], 0, false).overFloorMs).toBe(1);
  });
});
