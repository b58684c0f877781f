import { describe, expect, it } from 'vitest';
import { ErrorCode, UpstreamError } from '../../../src/errors.ts';
import { CircuitBreaker, type BreakerState } from '../../../src/upstream/resilience/circuit-breaker.ts';

const outage = () => new UpstreamError(ErrorCode.UpstreamUnavailable, 'stripe', 'down', { transient: true });
const slow = () => new UpstreamError(ErrorCode.UpstreamTimeout, 'stripe', 'slow', { transient: true });
const ourDeadline = () => new UpstreamError(ErrorCode.UpstreamTimeout, 'stripe', 'deadline', { byGateway: true });
const ourQuota = () => new UpstreamError(ErrorCode.UpstreamRateLimited, 'stripe', 'budget spent', { retryAfter: 1, byGateway: true });
const rejected = () => new UpstreamError(ErrorCode.UpstreamRejected, 'stripe', 'HTTP 400');

function breaker(overrides: Partial<ConstructorParameters<typeof CircuitBreaker>[0]> = {}) {
  const clock = { now: 0 };
  const changes: Array<BreakerState['kind']> = [];
  const cb = new CircuitBreaker({
    provider: 'stripe',
    failureRate: 0.5,
    windowMs: 1000,
    minCallsPerSecond: 4,
    halfOpenAfterMs: 500,
    now: () => clock.now,
    onStateChange: (state) => changes.push(state.kind),
    ...overrides,
  });
  const call = (error?: unknown) => cb.admit().settle(error);
  return { cb, clock, changes, call };
}

describe('CircuitBreaker', () => {
  it('opens when the share of provider failures over the window reaches the rate, once enough calls were seen', () => {
    const { cb, call } = breaker();
    call(outage());
    call(slow());
    call(outage());
    expect(cb.state.kind).toBe('closed'); // three calls: fewer than the 4 a 1 s window needs
    call();
    expect(cb.state.kind).toBe('open'); // 3 of 4 failed
    expect(() => cb.admit()).toThrow(expect.objectContaining({ code: 'UPSTREAM_UNAVAILABLE', byGateway: true }));
  });

  it('forgets failures that have left the window', () => {
    const { cb, clock, call } = breaker();
    for (let i = 0; i < 3; i += 1) call(outage());
    clock.now += 1000;
    for (let i = 0; i < 3; i += 1) call();
    call(outage());
    expect(cb.state.kind).toBe('closed'); // 1 of 4 in the window
  });

  it('never counts what the gateway did to its own calls (its deadline, its quota) against the provider', () => {
    const { cb, call } = breaker({ minCallsPerSecond: 0 });
    for (let i = 0; i < 50; i += 1) call(i % 2 ? ourDeadline() : ourQuota());
    expect(cb.state.kind).toBe('closed');
    call(outage());
    expect(cb.state.kind).toBe('open'); // one real failure is the whole sample
  });

  it('counts answers that are not outages (4xx, 429, bad bodies) as the provider being up', () => {
    const { cb, call } = breaker();
    for (let i = 0; i < 10; i += 1) call(rejected());
    call(outage());
    call(outage());
    expect(cb.state.kind).toBe('closed');
  });

  it('lets one probe through after halfOpenAfter; the others fail at once; the probe decides', () => {
    const { cb, clock, changes, call } = breaker();
    for (let i = 0; i < 4; i += 1) call(outage());
    expect(cb.state.kind).toBe('open');
    clock.now += 499;
    expect(() => cb.admit()).toThrow(expect.objectContaining({ code: 'UPSTREAM_UNAVAILABLE' }));
    clock.now += 1;
    const probe = cb.admit();
    expect(cb.state).toEqual({ kind: 'half-open', probing: true });
    expect(() => cb.admit()).toThrow(expect.objectContaining({ code: 'UPSTREAM_UNAVAILABLE' }));
    probe.settle(outage());
    expect(cb.state.kind).toBe('open');
    clock.now += 500;
    cb.admit().settle();
    expect(cb.state.kind).toBe('closed');
    expect(changes).toEqual(['open', 'half-open', 'open', 'half-open', 'closed']);
  });

  it('keeps the circuit half open when the probe was cut by the gateway, so the next call probes', () => {
    const { cb, clock, call } = breaker();
    for (let i = 0; i < 4; i += 1) call(outage());
    clock.now += 500;
    cb.admit().settle(ourDeadline());
    expect(cb.state).toEqual({ kind: 'half-open', probing: false });
    cb.admit().settle(outage());
    expect(cb.state.kind).toBe('open');
  });

  it('reads half open once the wait is over, without traffic, and tells that change once', () => {
    const { cb, clock, changes, call } = breaker();
    for (let i = 0; i < 4; i += 1) call(outage());
    clock.now += 499;
    expect(cb.state.kind).toBe('open');
    clock.now += 1;
    expect(cb.state).toEqual({ kind: 'half-open', probing: false });
    expect(cb.state).toEqual({ kind: 'half-open', probing: false });
    expect(changes).toEqual(['open', 'half-open']);
    // The call after the read is the probe, as it would have been without the read.
    const probe = cb.admit();
    expect(cb.state).toEqual({ kind: 'half-open', probing: true });
    expect(() => cb.admit()).toThrow(expect.objectContaining({ code: 'UPSTREAM_UNAVAILABLE' }));
    probe.settle();
    expect(cb.state.kind).toBe('closed');
    expect(changes).toEqual(['open', 'half-open', 'closed']);
  });

  it('tells open to half open once when a call notices it first and a read follows', () => {
    const { cb, clock, changes, call } = breaker();
    for (let i = 0; i < 4; i += 1) call(outage());
    clock.now += 600;
    const probe = cb.admit();
    expect(cb.state).toEqual({ kind: 'half-open', probing: true });
    expect(changes).toEqual(['open', 'half-open']);
    probe.settle(outage());
    expect(cb.state).toMatchObject({ kind: 'open', probeAt: 1100 });
    expect(changes).toEqual(['open', 'half-open', 'open']);
  });

  it('refuses options it cannot use, naming them', () => {
    expect(() => breaker({ failureRate: 0 })).toThrow(/failureRate/);
    expect(() => breaker({ windowMs: 0 })).toThrow(/windowMs/);
    expect(() => breaker({ halfOpenAfterMs: -1 })).toThrow(/halfOpenAfterMs/);
  });
});
