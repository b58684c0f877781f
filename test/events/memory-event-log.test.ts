import { describe, expect, it } from 'vitest';
import { createMemoryEventLog } from '../../src/events/memory-event-log.ts';
import { FAST_RETRIES, eventLogContract, storedEvent, until } from './event-log-contract.ts';

eventLogContract('memory log', async () => ({
  create: (options) => createMemoryEventLog({ keyPrefix: 'test:events', ...options }),
  cleanup: async () => undefined,
}));

describe('memory log', () => {
  it('forgets an event id once the dedupe window has passed', async () => {
    let now = 0;
    const log = createMemoryEventLog({ keyPrefix: 'test:events', ...FAST_RETRIES, dedupeTtlMs: 1000, now: () => now });
    const event = storedEvent();
    expect(await log.append([event])).toEqual(['appended']);
    now = 999;
    expect(await log.append([event])).toEqual(['duplicate']);
    now = 1000;
    expect(await log.append([event])).toEqual(['appended']);
    expect(await log.backlog()).toBe(2);
  });

  it('keeps a retry that close() cut short in its backlog', async () => {
    const log = createMemoryEventLog({ keyPrefix: 'test:events', ...FAST_RETRIES, retryBaseMs: 60_000, retryMaxMs: 60_000 });
    let calls = 0;
    log.start(async () => {
      calls += 1;
      throw new Error('no');
    });
    await log.append([storedEvent()]);
    await until(() => calls === 1);
    await log.close();
    expect(await log.backlog()).toBe(1);
    expect(await log.deadLetters.count()).toBe(0);
  });

  it('records the time of a dead letter by its clock', async () => {
    const log = createMemoryEventLog({ keyPrefix: 'test:events', ...FAST_RETRIES, maxAttempts: 1, now: () => 42 });
    log.start(async () => {
      throw new Error('no');
    });
    await log.append([storedEvent()]);
    await until(async () => (await log.deadLetters.count()) === 1);
    expect(await log.deadLetters.list(5)).toMatchObject([{ attempts: 1, lastError: 'no', failedAt: 42 }]);
    await log.close();
  });
});
