import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { CallContext } from '../../../src/upstream/call-context.ts';
import { bulkheadStage } from '../../../src/upstream/pipeline/bulkhead-stage.ts';
import type { UpstreamRequest, UpstreamResponse } from '../../../src/upstream/pipeline/stage.ts';
import { UpstreamReport } from '../../../src/upstream/upstream-report.ts';
import { settle } from '../quota/fake-clock.ts';

/**
 * A bulkhead over a `next` that answers only when the test says so: `started` lists, in order,
 * the calls that got a slot, and `finish(name)` answers one of them.
 */
function slowUpstream(options: { maxConcurrent: number; maxQueued: number }) {
  const started: string[] = [];
  const pending = new Map<string, () => void>();
  const send = bulkheadStage('stripe', options)((req) => {
    const name = req.path;
    started.push(name);
    return new Promise<UpstreamResponse>((resolve) => pending.set(name, () => resolve({ status: 200, headers: {}, body: name })));
  });
  const outcomes: Record<string, string> = {};
  const call = (name: string, key: string, budgetMs: number | CallContext = 60_000) => {
    const context = budgetMs instanceof CallContext ? budgetMs : new CallContext(new UpstreamReport(), budgetMs, key);
    const req: UpstreamRequest = { method: 'GET', path: name, call: context };
    return send(req).then(
      () => void (outcomes[name] = 'ok'),
      (error: { code?: string; byGateway?: boolean }) => void (outcomes[name] = `${error.code}${error.byGateway ? ' byGateway' : ''}`),
    );
  };
  const finish = async (name: string) => {
    pending.get(name)!();
    await settle();
  };
  return { call, finish, started, outcomes };
}

describe('the bulkhead, fair across clients', () => {
  it('gives a quiet client\'s call one of the next two free slots, ahead of a flooding client\'s backlog', async () => {
    const { call, finish, started } = slowUpstream({ maxConcurrent: 2, maxQueued: 100 });
    for (let i = 0; i < 20; i += 1) void call(`f${i}`, 't/flood');
    void call('n0', 't/normal');
    await settle();
    expect(started).toEqual(['f0', 'f1']);
    // The flood's first waiter arrived first in the same round; the quiet call goes next (in
    // FIFO it would be the 21st).
    for (const name of ['f0', 'f1', 'f2', 'n0']) await finish(name);
    expect(started).toEqual(['f0', 'f1', 'f2', 'n0', 'f3', 'f4']);
  });

  it('serves calls without a key as one client, in their order', async () => {
    const { call, finish, started } = slowUpstream({ maxConcurrent: 1, maxQueued: 100 });
    for (let i = 0; i < 4; i += 1) void call(`b${i}`, '');
    void call('n0', 't/normal');
    await settle();
    for (const name of ['b0', 'b1', 'n0', 'b2']) await finish(name);
    expect(started).toEqual(['b0', 'b1', 'n0', 'b2', 'b3']);
  });

  it('when the queue is full, refuses the flooding client\'s calls, not another client\'s', async () => {
    const { call, finish, started, outcomes } = slowUpstream({ maxConcurrent: 1, maxQueued: 4 });
    for (let i = 0; i < 6; i += 1) void call(`f${i}`, 't/flood');
    await settle();
    // f0 in flight, f1..f4 queued: the flood's sixth is refused at once.
    expect(outcomes).toEqual({ f5: 'UPSTREAM_UNAVAILABLE byGateway' });
    void call('n0', 't/normal');
    await settle();
    // The normal client pushed out the flood's last waiter, and takes the next slot.
    expect(outcomes).toEqual({ f5: 'UPSTREAM_UNAVAILABLE byGateway', f4: 'UPSTREAM_UNAVAILABLE byGateway' });
    await finish('f0');
    await finish('f1');
    expect(started).toEqual(['f0', 'f1', 'n0']);
  });

  it('keeps the whole queue for one client alone', async () => {
    const { call, outcomes } = slowUpstream({ maxConcurrent: 1, maxQueued: 4 });
    for (let i = 0; i < 6; i += 1) void call(`a${i}`, '');
    await settle();
    expect(outcomes).toEqual({ a5: 'UPSTREAM_UNAVAILABLE byGateway' });
  });

  it('lets a waiter whose operation\'s deadline passes leave the queue, and gives its turn to the next', async () => {
    const { call, finish, started, outcomes } = slowUpstream({ maxConcurrent: 1, maxQueued: 10 });
    void call('a0', 't/a');
    const late = call('b0', 't/b', 5);
    void call('a1', 't/a');
    await late;
    expect(outcomes).toEqual({ b0: 'UPSTREAM_TIMEOUT byGateway' });
    await finish('a0');
    expect(started).toEqual(['a0', 'a1']);
  });

  it('listens once to an operation\'s deadline however many of its calls wait, and lets them all go when it passes', async () => {
    const { call, outcomes } = slowUpstream({ maxConcurrent: 1, maxQueued: 200 });
    void call('a0', 't/a');
    const operation = new CallContext(new UpstreamReport(), 20, 't/b');
    const batch = Array.from({ length: 100 }, (_, i) => call(`b${i}`, 't/b', operation));
    // Counted at once: the calls queue synchronously, and the deadline may pass at any turn after.
    expect(getEventListeners(operation.signal, 'abort')).toHaveLength(1);
    await Promise.all(batch);
    expect(Object.values(outcomes)).toEqual(Array.from({ length: 100 }, () => 'UPSTREAM_TIMEOUT byGateway'));
  });
});
