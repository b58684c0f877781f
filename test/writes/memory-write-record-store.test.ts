import { describe, expect, it } from 'vitest';
import { createMemoryWriteRecordStore } from '../../src/writes/memory-write-record-store.ts';
import { drivenClock } from './clock.ts';
import { queuedRecord, writeRecordStoreContract } from './write-record-store-contract.ts';

writeRecordStoreContract('memory store', async () => {
  const clock = drivenClock();
  const store = createMemoryWriteRecordStore({ now: clock.now });
  return { instance: () => store, shortMs: 1000, until: clock.until, cleanup: async () => undefined };
});

describe('memory write record store', () => {
  it('keeps a record for exactly its ttl on its clock', async () => {
    const clock = drivenClock();
    const store = createMemoryWriteRecordStore({ now: clock.now });
    const record = queuedRecord();
    await store.put(record, 1000);
    clock.advance(999);
    expect(await store.get(record.id, 'acme')).toStrictEqual(record);
    clock.advance(1);
    expect(await store.get(record.id, 'acme')).toBeUndefined();
  });

  it('hands out copies: changing what it gave back or what it was given changes nothing stored', async () => {
    const store = createMemoryWriteRecordStore();
    const record = queuedRecord({ result: { items: [1] } });
    await store.put(record, 60_000);
    (record.result as { items: number[] }).items.push(2);
    const read = await store.get(record.id, 'acme');
    (read!.result as { items: number[] }).items.push(3);
    expect((await store.get(record.id, 'acme'))?.result).toEqual({ items: [1] });
  });

  it('lets a queued record replace a final one that has expired', async () => {
    const clock = drivenClock();
    const store = createMemoryWriteRecordStore({ now: clock.now });
    const final = queuedRecord({ state: 'SUCCEEDED' });
    await store.put(final, 1000);
    clock.advance(1000);
    const queued = { ...final, state: 'QUEUED' as const };
    await store.put(queued, 1000);
    expect(await store.get(final.id, 'acme')).toStrictEqual(queued);
  });

  it('when full, drops expired records first, then the least recently written', async () => {
    const clock = drivenClock();
    const store = createMemoryWriteRecordStore({ now: clock.now, maxEntries: 3 });
    const [old, brief, middle] = [queuedRecord(), queuedRecord(), queuedRecord()];
    await store.put(old, 60_000);
    await store.put(brief, 1000);
    await store.put(middle, 60_000);
    clock.advance(1000);
    const fourth = queuedRecord();
    await store.put(fourth, 60_000);
    expect(await store.get(old.id, 'acme')).toBeDefined();
    await store.put(old, 60_000); // written again: `middle` is now the oldest write
    await store.put(queuedRecord(), 60_000);
    expect(await store.get(middle.id, 'acme')).toBeUndefined();
    expect(await store.get(old.id, 'acme')).toBeDefined();
  });

  it('refuses a maxEntries that is not a positive integer', () => {
    expect(() => createMemoryWriteRecordStore({ maxEntries: 1.5 })).toThrow('maxEntries must be a positive integer: 1.5');
  });
});
