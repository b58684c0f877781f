import { describe, expect, it } from 'vitest';
import { fanOut, noTelemetry, type Telemetry, type UpstreamAttempt } from '../src/telemetry.ts';

type Event = [sink: string, method: keyof Telemetry, ...args: unknown[]];

/** A sink that notes each call, and throws on every one when `throws`. */
function sink(name: string, events: Event[], throws = false): Telemetry {
  const note = (method: keyof Telemetry, ...args: unknown[]) => {
    events.push([name, method, ...args]);
    if (throws) throw new Error(`${name} broke`);
  };
  return {
    upstreamAttempt: (attempt) => note('upstreamAttempt', attempt),
    upstreamRefused: (provider, tenant, reason) => note('upstreamRefused', provider, tenant, reason),
    quotaWaited: (provider, tenant, waitedMs) => note('quotaWaited', provider, tenant, waitedMs),
    breakerChanged: (provider, tenant, from, to) => note('breakerChanged', provider, tenant, from, to),
    cacheLookup: (provider, resource, outcome, count) => note('cacheLookup', provider, resource, outcome, count),
  };
}

const attempt: UpstreamAttempt = {
  provider: 'stripe', tenant: 'acme', resource: 'stripe.charges', method: 'GET', path: '/v1/charges',
  attempt: 1, status: 200, errorCode: undefined, durationMs: 4, bytes: 10, providerRequestId: 'req_1',
};

function emitAll(telemetry: Telemetry): void {
  telemetry.upstreamAttempt(attempt);
  telemetry.upstreamRefused('hubspot', 'acme', 'quota_spent');
  telemetry.quotaWaited('customers', 'globex', 12);
  telemetry.breakerChanged('stripe', 'acme', 'open', 'half_open');
  telemetry.cacheLookup('hubspot', 'hubspot.contact', 'joined', 3);
}

const EXPECTED_CALLS = (name: string): Event[] => [
  [name, 'upstreamAttempt', attempt],
  [name, 'upstreamRefused', 'hubspot', 'acme', 'quota_spent'],
  [name, 'quotaWaited', 'customers', 'globex', 12],
  [name, 'breakerChanged', 'stripe', 'acme', 'open', 'half_open'],
  [name, 'cacheLookup', 'hubspot', 'hubspot.contact', 'joined', 3],
];

describe('fanOut', () => {
  it('hands every event, with its arguments, to every sink in order', () => {
    const events: Event[] = [];
    emitAll(fanOut([sink('logs', events), noTelemetry, sink('metrics', events), sink('test', events)]));
    const byEvent = EXPECTED_CALLS('logs').flatMap((call, index) => [call, EXPECTED_CALLS('metrics')[index]!, EXPECTED_CALLS('test')[index]!]);
    expect(events).toEqual(byEvent);
  });

  it('keeps calling the sinks after one that throws, and does not throw itself', () => {
    const events: Event[] = [];
    const fanned = fanOut([sink('broken', events, true), sink('metrics', events)]);
    expect(() => emitAll(fanned)).not.toThrow();
    expect(events.filter(([name]) => name === 'metrics')).toEqual(EXPECTED_CALLS('metrics'));
    expect(events.filter(([name]) => name === 'broken')).toEqual(EXPECTED_CALLS('broken'));
  });

  it('declares each method with its own arity, not a rest parameter (no array per event)', () => {
    const fanned = fanOut([sink('a', []), sink('b', [])]);
    expect([fanned.upstreamAttempt.length, fanned.upstreamRefused.length, fanned.quotaWaited.length, fanned.breakerChanged.length, fanned.cacheLookup.length]).toEqual([1, 3, 3, 4, 4]);
  });

  it('adds nothing around a single sink, and is noTelemetry without one', () => {
    const only = sink('only', []);
    expect(fanOut([noTelemetry, only])).toBe(only);
    expect(fanOut([noTelemetry])).toBe(noTelemetry);
  });
});
