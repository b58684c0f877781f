import { describe, expect, it } from 'vitest';
import { breakdown, criticalPath, medianBreakdown, type OperationSpans } from '../../bench/critical-path-breakdown.ts';

/**
 * W2's shape: the customer, then three calls together, then the deals; times in ms from when the
 * client sent the operation. The side call (Stripe) answers first, so the path must follow the
 * HubSpot call that answered last, not the first one created.
 */
const W2_LIKE: OperationSpans = {
  sentAt: 0,
  endedAt: 70,
  serverStart: 0.5,
  serverFinish: 69,
  upstream: [
    { created: 1.5, sent: 1.6, arrived: 1.8, finished: 22.5, done: 23 },
    { created: 24, sent: 24.1, arrived: 24.3, finished: 45, done: 45.5 },
    { created: 24, sent: 24.4, arrived: 24.6, finished: 46, done: 46.5 },
    { created: 47, sent: 47.2, arrived: 47.3, finished: 67.5, done: 68 },
  ],
};

describe('where an operation alone spent its time over the floor', () => {
  it('follows the chain of answers back from the gateway answer, through the call that answered last', () => {
    expect(criticalPath(W2_LIKE).map((span) => span.done)).toEqual([23, 46.5, 68]);
  });

  it("splits the operation's time into the gateway's, the wire's and the simulators' shares, which add up to it", () => {
    const shares = breakdown(W2_LIKE);
    expect(shares['client and wire (in and out)']).toBeCloseTo(1.5);
    expect(shares['gateway before the first call']).toBeCloseTo(1);
    expect(shares['gateway between calls']).toBeCloseTo(1 + 0.5);
    expect(shares['gateway creating → writing calls']).toBeCloseTo(0.1 + 0.4 + 0.2);
    expect(shares['wire: written → arrived']).toBeCloseTo(0.2 + 0.2 + 0.1);
    expect(shares['simulators: arrived → finished, latency included']).toBeCloseTo(20.7 + 21.4 + 20.2);
    expect(shares['wire: finished → answered']).toBeCloseTo(0.5 + 0.5 + 0.5);
    expect(shares['gateway after the last answer']).toBeCloseTo(1);
    expect(Object.values(shares).reduce((a, b) => a + b, 0)).toBeCloseTo(70);
  });

  it('counts a call the simulators did not trace as in flight, and takes each share\'s median over operations', () => {
    const untraced: OperationSpans = { sentAt: 0, endedAt: 30, upstream: [{ created: 2, done: 25 }] };
    expect(breakdown(untraced)['simulators: arrived → finished, latency included']).toBe(23);
    expect(breakdown(untraced)['gateway after the last answer']).toBe(5);
    const slower = { ...W2_LIKE, endedAt: 80, serverFinish: 79 };
    expect(medianBreakdown([W2_LIKE, slower, slower])['gateway after the last answer']).toBeCloseTo(11);
  });
});
