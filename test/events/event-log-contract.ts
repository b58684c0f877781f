import { afterEach, describe, expect, it } from 'vitest';
import type { EventLog } from '../../src/events/event-log.ts';
import type { EventLogOptions } from '../../src/events/event-log-options.ts';
import type { StoredEvent } from '../../src/events/event.ts';
import { eventually } from '../support/eventually.ts';

/** Makes logs over one store (one Redis prefix, or one process); `cleanup` removes what they left. */
export interface EventLogHarness {
  create(options?: Partial<EventLogOptions>): EventLog;
  cleanup(): Promise<void>;
}

/** Small retries so that a failing handler reaches its dead letter in milliseconds. */
export const FAST_RETRIES = { maxAttempts: 3, retryBaseMs: 1, retryMaxMs: 4, random: () => 0.5, onError: () => undefined } as const;

let sequence = 0;
export function storedEvent(overrides: Partial<StoredEvent> = {}): StoredEvent {
  sequence += 1;
  return {
    tenantId: 'acme',
    provider: 'stripe',
    id: `evt_${sequence}_${Math.random().toString(36).slice(2, 8)}`,
    type: 'charge.refunded',
    occurredAt: 1_700_000_000_000,
    receivedAt: 1_700_000_000_500,
    payload: { object: { id: `ch_${sequence}` } },
    ...overrides,
  };
}

/** Polls up to ~20 s: Redis round trips on a busy 2-core machine, never a fixed wait. */
export function until(probe: () => boolean | Promise<boolean>): Promise<void> {
  return eventually(async () => probe(), 2000);
}

export function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve = () => undefined as void;
  const promise = new Promise<void>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}

/** What every EventLog does, whatever keeps it (undici's cacheStoreTests, for event logs). */
export function eventLogContract(name: string, setup: () => Promise<EventLogHarness>): void {
  describe(`${name}: the EventLog contract`, () => {
    const logs: EventLog[] = [];
    let harness: EventLogHarness | undefined;
    const open = async (options: Partial<EventLogOptions> = {}): Promise<EventLog> => {
      harness ??= await setup();
      const log = harness.create({ ...FAST_RETRIES, ...options });
      logs.push(log);
      return log;
    };

    afterEach(async () => {
      await Promise.all(logs.splice(0).map((log) => log.close()));
      await harness?.cleanup();
      harness = undefined;
    });

    it('hands an appended event to the handler once, and then has no backlog', async () => {
      const log = await open();
      const handled: StoredEvent[] = [];
      log.start(async (event) => {
        handled.push(event);
      });
      const event = storedEvent();
      expect(await log.append([event])).toEqual(['appended']);
      await until(async () => handled.length === 1 && (await log.backlog()) === 0);
      expect(handled).toEqual([event]);
    });

    it('handles events appended before it started', async () => {
      const log = await open();
      const events = [storedEvent(), storedEvent(), storedEvent()];
      await log.append(events);
      expect(await log.backlog()).toBe(3);
      const handled: string[] = [];
      log.start(async (event) => {
        handled.push(event.id);
      });
      await until(async () => (await log.backlog()) === 0);
      expect(handled.sort()).toEqual(events.map((event) => event.id).sort());
    });

    it('stores an event appended five times once, in one call or in several, and handles it once', async () => {
      const log = await open();
      const event = storedEvent();
      const outcomes = [...(await log.append([event, event])), ...(await Promise.all([1, 2, 3].map(() => log.append([{ ...event, receivedAt: 2 }]))))].flat();
      expect(outcomes.filter((outcome) => outcome === 'appended')).toHaveLength(1);
      expect(outcomes.filter((outcome) => outcome === 'duplicate')).toHaveLength(4);
      let calls = 0;
      log.start(async () => {
        calls += 1;
      });
      await until(async () => calls === 1 && (await log.backlog()) === 0);
      expect(calls).toBe(1);
    });

    it('tells events of different tenants or providers with the same id apart', async () => {
      const log = await open();
      const event = storedEvent();
      expect(await log.append([event, { ...event, tenantId: 'globex' }, { ...event, provider: 'hubspot' }])).toEqual(['appended', 'appended', 'appended']);
    });

    it('retries a failing handler, then dead-letters the event with its attempts and last error', async () => {
      const log = await open();
      let calls = 0;
      log.start(async () => {
        calls += 1;
        throw new Error(`downstream refused (${calls})`);
      });
      const event = storedEvent();
      await log.append([event]);
      await until(async () => (await log.deadLetters.count()) === 1);
      const [letter] = await log.deadLetters.list(10);
      expect(letter).toMatchObject({ event, attempts: FAST_RETRIES.maxAttempts, lastError: `downstream refused (${FAST_RETRIES.maxAttempts})` });
      expect(calls).toBe(FAST_RETRIES.maxAttempts);
      expect(await log.backlog()).toBe(0);
      expect(await log.deadLetters.get(letter!.entryId)).toEqual(letter);
    });

    it('handles a replayed dead letter once after the fix, however many replays race', async () => {
      const log = await open();
      let fixed = false;
      const handled: string[] = [];
      log.start(async (event) => {
        if (!fixed) throw new Error('not yet');
        handled.push(event.id);
      });
      const event = storedEvent();
      await log.append([event]);
      await until(async () => (await log.deadLetters.count()) === 1);
      const [letter] = await log.deadLetters.list(1);
      fixed = true;
      const replays = await Promise.all([log.deadLetters.replay(letter!.entryId), log.deadLetters.replay(letter!.entryId)]);
      expect(replays.sort()).toEqual([false, true]);
      await until(async () => handled.length === 1 && (await log.backlog()) === 0);
      expect(await log.deadLetters.count()).toBe(0);
      expect(await log.deadLetters.replay(letter!.entryId)).toBe(false);
      expect(handled).toEqual([event.id]);
    });

    it('starts a replayed event with a fresh count of attempts', async () => {
      const log = await open();
      let calls = 0;
      log.start(async () => {
        calls += 1;
        throw new Error('still broken');
      });
      await log.append([storedEvent()]);
      await until(async () => (await log.deadLetters.count()) === 1);
      const [first] = await log.deadLetters.list(1);
      expect(await log.deadLetters.replay(first!.entryId)).toBe(true);
      await until(async () => (await log.deadLetters.count()) === 1 && calls === 2 * FAST_RETRIES.maxAttempts);
      const [second] = await log.deadLetters.list(1);
      expect(second!.attempts).toBe(FAST_RETRIES.maxAttempts);
      expect(second!.entryId).not.toBe(first!.entryId);
    });

    it('drops a dead letter for good', async () => {
      const log = await open();
      log.start(async () => {
        throw new Error('broken');
      });
      await log.append([storedEvent(), storedEvent()]);
      await until(async () => (await log.deadLetters.count()) === 2);
      const [letter] = await log.deadLetters.list(1);
      expect(await log.deadLetters.drop(letter!.entryId)).toBe(true);
      expect(await log.deadLetters.drop(letter!.entryId)).toBe(false);
      expect(await log.deadLetters.get(letter!.entryId)).toBeUndefined();
      expect(await log.deadLetters.replay(letter!.entryId)).toBe(false);
      expect(await log.deadLetters.count()).toBe(1);
      expect(await log.deadLetters.list(10)).toHaveLength(1);
    });

    it('lists one tenant\'s dead letters past however many of other tenants\' come first', async () => {
      const log = await open({ maxAttempts: 1 });
      log.start(async () => {
        throw new Error('broken');
      });
      const others = Array.from({ length: 520 }, () => storedEvent({ tenantId: 'busy' }));
      await log.append([...others, storedEvent({ tenantId: 'quiet' }), storedEvent({ tenantId: 'quiet' })]);
      await until(async () => (await log.deadLetters.count()) === 522);
      const quiet = await log.deadLetters.list(10, 'quiet');
      expect(quiet.map((letter) => letter.event.tenantId)).toEqual(['quiet', 'quiet']);
      expect(await log.deadLetters.list(1, 'quiet')).toHaveLength(1);
      expect(await log.deadLetters.list(600, 'busy')).toHaveLength(520);
    });

    it('answers for unknown dead letters without failing', async () => {
      const log = await open();
      for (const id of ['1-0', 'nonsense', '']) {
        expect(await log.deadLetters.get(id)).toBeUndefined();
        expect(await log.deadLetters.replay(id)).toBe(false);
        expect(await log.deadLetters.drop(id)).toBe(false);
      }
      expect(await log.deadLetters.list(0)).toEqual([]);
    });

    it('never runs more handlers at once than its concurrency', async () => {
      const log = await open({ concurrency: 3 });
      let running = 0;
      let most = 0;
      let done = 0;
      log.start(async () => {
        running += 1;
        most = Math.max(most, running);
        await new Promise((resolve) => setImmediate(resolve));
        running -= 1;
        done += 1;
      });
      await log.append(Array.from({ length: 20 }, () => storedEvent()));
      await until(() => done === 20);
      expect(most).toBeGreaterThan(0);
      expect(most).toBeLessThanOrEqual(3);
    });

    it('waits in close() for the handler calls in progress', async () => {
      const log = await open();
      const gate = deferred();
      const order: string[] = [];
      let started = false;
      log.start(async () => {
        started = true;
        await gate.promise;
        order.push('handler settled');
      });
      await log.append([storedEvent()]);
      await until(() => started);
      const closing = log.close().then(() => order.push('closed'));
      await new Promise((resolve) => setImmediate(resolve));
      gate.resolve();
      await closing;
      expect(order).toEqual(['handler settled', 'closed']);
    });

    it('refuses a second start', async () => {
      const log = await open();
      log.start(async () => undefined);
      expect(() => log.start(async () => undefined)).toThrow(/started already/);
    });
  });
}
