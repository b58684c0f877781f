import { describe, expect, it, vi } from 'vitest';
import type { Change } from '../../src/events/change.ts';
import { ChangeStreamOverflowError, changeStream, createChangeHub } from '../../src/events/change-hub.ts';

const change = (overrides: Partial<Change> = {}): Change => ({ tenantId: 'acme', topic: 'payment', key: 'cus_1', entityId: 'ch_1', occurredAt: 0, ...overrides });

describe('the in-process change hub', () => {
  it('delivers a change to the listeners of its tenant, topic and key, and to those of every key', () => {
    const hub = createChangeHub();
    const seen: string[] = [];
    hub.subscribe('acme', 'payment', 'cus_1', () => seen.push('cus_1'));
    hub.subscribe('acme', 'payment', null, () => seen.push('every payment'));
    hub.subscribe('acme', 'payment', 'cus_2', () => seen.push('cus_2'));
    hub.subscribe('acme', 'customer', 'cus_1', () => seen.push('customer topic'));
    hub.subscribe('globex', 'payment', 'cus_1', () => seen.push('globex'));
    hub.publish(change());
    expect(seen).toEqual(['cus_1', 'every payment']);
  });

  it('counts its listeners, and an unsubscribe (even repeated) removes exactly one', () => {
    const hub = createChangeHub();
    const listener = vi.fn();
    const first = hub.subscribe('acme', 'payment', 'cus_1', listener);
    const second = hub.subscribe('acme', 'payment', 'cus_1', listener);
    expect(hub.size).toBe(2);
    first();
    first();
    expect(hub.size).toBe(1);
    hub.publish(change());
    expect(listener).toHaveBeenCalledTimes(1);
    second();
    expect(hub.size).toBe(0);
    hub.publish(change());
    expect(listener).toHaveBeenCalledTimes(1);
  });

  it('keeps delivering when a listener throws, and reports the error', () => {
    const errors: unknown[] = [];
    const hub = createChangeHub({ onListenerError: (error) => errors.push(error) });
    const after = vi.fn();
    hub.subscribe('acme', 'payment', 'cus_1', () => {
      throw new Error('listener bug');
    });
    hub.subscribe('acme', 'payment', 'cus_1', after);
    hub.publish(change());
    expect(after).toHaveBeenCalledTimes(1);
    expect(errors).toEqual([new Error('listener bug')]);
  });

  it('lets a listener unsubscribe itself while a change is delivered', () => {
    const hub = createChangeHub();
    const other = vi.fn();
    const unsubscribe = hub.subscribe('acme', 'payment', 'cus_1', () => unsubscribe());
    hub.subscribe('acme', 'payment', 'cus_1', other);
    hub.publish(change());
    hub.publish(change());
    expect(other).toHaveBeenCalledTimes(2);
    expect(hub.size).toBe(1);
  });

  it('subscribes again after every listener of a key left (emptied branches are pruned)', () => {
    const hub = createChangeHub();
    hub.subscribe('acme', 'payment', 'cus_1', () => {})();
    const listener = vi.fn();
    hub.subscribe('acme', 'payment', 'cus_1', listener);
    hub.publish(change());
    expect(listener).toHaveBeenCalledTimes(1);
  });
});

describe('a change stream (one subscription as an async iterator)', () => {
  it('yields changes in order, waiting for the next one', async () => {
    const hub = createChangeHub();
    const stream = changeStream(hub, 'acme', 'payment', 'cus_1');
    const pending = stream.next();
    hub.publish(change({ entityId: 'ch_1' }));
    hub.publish(change({ entityId: 'ch_2' }));
    expect((await pending).value?.entityId).toBe('ch_1');
    expect((await stream.next()).value?.entityId).toBe('ch_2');
  });

  it('keeps one waiting change per object, the newest, in its place', async () => {
    const hub = createChangeHub();
    const stream = changeStream(hub, 'acme', 'payment', 'cus_1');
    hub.publish(change({ entityId: 'ch_1' }));
    hub.publish(change({ entityId: 'ch_2' }));
    hub.publish(change({ entityId: 'ch_1', deleted: true }));
    expect((await stream.next()).value).toMatchObject({ entityId: 'ch_1', deleted: true });
    expect((await stream.next()).value).toMatchObject({ entityId: 'ch_2' });
  });

  it('ends a pending next() and leaves the hub at once on return()', async () => {
    const hub = createChangeHub();
    const stream = changeStream(hub, 'acme', 'payment', 'cus_1');
    const pending = stream.next();
    expect(hub.size).toBe(1);
    await stream.return?.();
    expect(await pending).toEqual({ value: undefined, done: true });
    expect(hub.size).toBe(0);
    expect(await stream.next()).toEqual({ value: undefined, done: true });
  });

  it('fails with SUBSCRIBER_TOO_SLOW when more distinct objects wait than it may hold, and leaves the hub', async () => {
    const hub = createChangeHub();
    const stream = changeStream(hub, 'acme', 'payment', 'cus_1', { maxQueued: 2 });
    for (const id of ['ch_1', 'ch_2', 'ch_3']) hub.publish(change({ entityId: id }));
    expect(hub.size).toBe(0);
    const error = await stream.next().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ChangeStreamOverflowError);
    expect(error).toMatchObject({ code: 'SUBSCRIBER_TOO_SLOW', maxQueued: 2 });
    expect(await stream.next()).toEqual({ value: undefined, done: true });
  });

  it('refuses a maxQueued that is not a positive integer', () => {
    expect(() => changeStream(createChangeHub(), 'acme', 'payment', null, { maxQueued: 0 })).toThrow('maxQueued must be a positive integer: 0');
  });
});
