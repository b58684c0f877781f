import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WriteRecord, WriteRecordStore } from '../../src/writes/write-record-store.ts';

/**
 * Stores over one backing (one Redis prefix, or one process). `instance(i)` is gateway instance
 * i's store: the same object in memory, a connection of its own per instance in Redis.
 */
export interface WriteRecordStoreHarness {
  instance(index: number): WriteRecordStore;
  /** A ttl that can run out within a test. */
  shortMs: number;
  /** Lets time pass until `holds` answers true (a driven clock, or Redis's own while polling); never a fixed wait. */
  until(holds: () => Promise<boolean>): Promise<void>;
  cleanup(): Promise<void>;
}

const LONG_MS = 3_600_000; // an hour: no test outlives it

/** A queued refund of tenant acme, each with an id of its own, so that tests share nothing. */
export function queuedRecord(overrides: Partial<WriteRecord> = {}): WriteRecord {
  return {
    id: randomUUID(),
    tenantId: 'acme',
    clientId: 'dash',
    mutation: 'refundPayment',
    state: 'QUEUED',
    attempts: 0,
    createdAt: 1_700_000_000_000,
    updatedAt: 1_700_000_000_000,
    ...overrides,
  };
}

/** What every WriteRecordStore does, whatever keeps it. */
export function writeRecordStoreContract(name: string, setup: () => Promise<WriteRecordStoreHarness>, skip = false): void {
  describe.skipIf(skip)(`${name}: the WriteRecordStore contract`, () => {
    let harness: WriteRecordStoreHarness;
    let store: WriteRecordStore;
    beforeAll(async () => {
      harness = await setup();
      store = harness.instance(0);
    });
    afterAll(() => harness?.cleanup());

    it('gives back a stored record as it was put, result and error included', async () => {
      const queued = queuedRecord();
      await store.put(queued, LONG_MS);
      expect(await store.get(queued.id, 'acme')).toStrictEqual(queued);
      const succeeded = { ...queued, state: 'SUCCEEDED' as const, attempts: 1, updatedAt: queued.createdAt + 5, result: { refund: { id: 're_1', amount: 1250, tags: ['a/b', 'é'] } } };
      await store.put(succeeded, LONG_MS);
      expect(await store.get(queued.id, 'acme')).toStrictEqual(succeeded);
      const failed = queuedRecord({ state: 'FAILED', attempts: 5, error: { code: 'UPSTREAM_REJECTED', message: 'the charge was already refunded' } });
      await store.put(failed, LONG_MS);
      expect(await store.get(failed.id, 'acme')).toStrictEqual(failed);
    });

    it('answers undefined for an id it never stored', async () => {
      expect(await store.get(randomUUID(), 'acme')).toBeUndefined();
    });

    it("answers undefined for another tenant's record, as if it did not exist", async () => {
      const record = queuedRecord();
      await store.put(record, LONG_MS);
      expect(await store.get(record.id, 'globex')).toBeUndefined();
      expect(await harness.instance(1).get(record.id, 'acme')).toStrictEqual(record);
    });

    it('replaces a queued record with a newer queued one, and with a final one', async () => {
      const record = queuedRecord();
      await store.put(record, LONG_MS);
      const retried = { ...record, attempts: 2, updatedAt: record.updatedAt + 10 };
      await store.put(retried, LONG_MS);
      expect(await store.get(record.id, 'acme')).toStrictEqual(retried);
      const failed = { ...retried, state: 'FAILED' as const, error: { code: 'UPSTREAM_UNAVAILABLE', message: 'Stripe did not answer' } };
      await harness.instance(1).put(failed, LONG_MS);
      expect(await store.get(record.id, 'acme')).toStrictEqual(failed);
    });

    it('never replaces a final record with a queued one (a late or repeated delivery)', async () => {
      for (const state of ['SUCCEEDED', 'FAILED'] as const) {
        const final = queuedRecord({ state, attempts: 1 });
        await store.put(final, LONG_MS);
        await harness.instance(1).put({ ...final, state: 'QUEUED', attempts: 0 }, LONG_MS);
        expect(await store.get(final.id, 'acme')).toStrictEqual(final);
      }
    });

    it('lets a final record be replaced by another final one', async () => {
      const failed = queuedRecord({ state: 'FAILED', error: { code: 'UPSTREAM_TIMEOUT', message: 'timed out' } });
      await store.put(failed, LONG_MS);
      const succeeded = { ...failed, state: 'SUCCEEDED' as const, error: undefined, result: { ok: true } };
      await store.put(succeeded, LONG_MS);
      const { error: _dropped, ...expected } = succeeded;
      expect(await store.get(failed.id, 'acme')).toStrictEqual(expected);
    });

    it('never replaces a SUCCEEDED record with a FAILED one (a late "gave up" after a replay that worked)', async () => {
      const succeeded = queuedRecord({ state: 'SUCCEEDED', result: { ok: true } });
      await store.put(succeeded, LONG_MS);
      await store.put({ ...succeeded, state: 'FAILED', error: { code: 'ATTEMPTS_EXHAUSTED', message: 'gave up' } }, LONG_MS);
      expect(await store.get(succeeded.id, 'acme')).toStrictEqual(succeeded);
    });

    it('ends final when a final put races 30 queued ones from two instances', async () => {
      const record = queuedRecord();
      await store.put(record, LONG_MS);
      const succeeded = { ...record, state: 'SUCCEEDED' as const, attempts: 1, result: { id: 're_1' } };
      const puts = Array.from({ length: 30 }, (_, i) => harness.instance(i % 2).put({ ...record, attempts: i }, LONG_MS));
      puts.splice(15, 0, harness.instance(1).put(succeeded, LONG_MS));
      await Promise.all(puts);
      expect(await store.get(record.id, 'acme')).toStrictEqual(succeeded);
    });

    it('forgets a record once its ttl has passed', async () => {
      const record = queuedRecord({ state: 'SUCCEEDED' });
      await store.put(record, harness.shortMs);
      await harness.until(async () => (await store.get(record.id, 'acme')) === undefined);
    });

    it('refuses a ttl that is not a positive number of milliseconds', async () => {
      await expect(store.put(queuedRecord(), 0)).rejects.toThrow('ttlMs must be a positive number of milliseconds: 0');
    });
  });
}
