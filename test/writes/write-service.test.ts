import { describe, expect, it } from 'vitest';
import { ErrorCode, UpstreamError } from '../../src/errors.ts';
import type { Change } from '../../src/events/change.ts';
import type { EventLog } from '../../src/events/event-log.ts';
import type { StoredEvent } from '../../src/events/event.ts';
import type { UpdateCustomerPayloadModel } from '../../src/model/writes.ts';
import { createMemoryWriteRecordStore } from '../../src/writes/memory-write-record-store.ts';
import type { WriteDefinition } from '../../src/writes/write-definition.ts';
import { ATTEMPTS_EXHAUSTED, WriteService } from '../../src/writes/write-service.ts';

interface Env {
  upstreamKey: string;
}
interface Input {
  value: string;
}

const unavailable = () => new UpstreamError(ErrorCode.UpstreamUnavailable, 'customers', 'down', { transient: true });

/** A write whose run the test scripts: each call takes the next behaviour. */
function scripted(...behaviours: Array<'ok' | 'refused' | 'down' | 'rejected'>) {
  const keys: string[] = [];
  const definition: WriteDefinition<Env, Input, UpdateCustomerPayloadModel> = {
    mutation: 'updateCustomer',
    provider: 'customers',
    needsKey: false,
    repeatable: true,
    deferrable: (input) => input.value !== 'now-only',
    check: (input) => (input.value === '' ? [{ code: 'INVALID_VALUE', message: 'blank', field: ['input', 'value'] }] : []),
    async run(env) {
      keys.push(env.upstreamKey);
      const behaviour = behaviours.shift() ?? 'ok';
      if (behaviour === 'down') throw unavailable();
      if (behaviour === 'rejected') throw new UpstreamError(ErrorCode.UpstreamRejected, 'customers', 'no');
      if (behaviour === 'refused') return { payload: this.pending('FAILED', null, [{ code: 'EMAIL_TAKEN', message: 'taken', field: ['input', 'email'] }]), effects: [] };
      return { payload: { kind: 'UpdateCustomerPayload', status: 'SUCCEEDED', operationId: null, userErrors: [], customerId: 'cust_1' }, effects: [{ kind: 'invalidate', resource: 'customers.customer', id: 'cust_1' }, { kind: 'publish', topic: 'customer', key: 'cust_1' }] };
    },
    pending: (status, operationId, userErrors) => ({ kind: 'UpdateCustomerPayload', status, operationId, userErrors, customerId: null }),
  };
  return { definition, keys };
}

function setup(definition: WriteDefinition<Env, Input, UpdateCustomerPayloadModel>, options: { appendFails?: boolean; announceFails?: boolean } = {}) {
  const appended: StoredEvent[] = [];
  const announced: Array<{ keys: readonly string[]; changes: readonly Change[] }> = [];
  const effectErrors: unknown[] = [];
  const queue = {
    append: async (events: readonly StoredEvent[]) => {
      if (options.appendFails) throw new Error('redis away');
      appended.push(...events);
      return events.map(() => 'appended' as const);
    },
  } as unknown as EventLog;
  const records = createMemoryWriteRecordStore();
  let now = 1_000;
  const service = new WriteService<Env>({
    definitions: [definition as WriteDefinition<Env, unknown>],
    records,
    queue,
    recordTtlMs: 60_000,
    effects: {
      invalidate: async (_tenant, _provider, resource, id) => `${resource}:${id}`,
      keyOf: (_tenant, _provider, resource, id) => `${resource}:${id}`,
      announce: async (keys, changes) => {
        if (options.announceFails) throw new Error('bus away');
        announced.push({ keys, changes });
      },
    },
    workerEnv: (_tenant, _client, upstreamKey) => ({ upstreamKey }),
    warn: (error) => effectErrors.push(error),
    now: () => (now += 1),
  });
  const request = (overrides: Partial<Parameters<typeof service.run>[2]> = {}) => ({ tenantId: 't1', clientId: 'c1', clientKey: 'k1', path: 'updateCustomer', allowDeferred: true, env: (upstreamKey: string) => ({ upstreamKey }), ...overrides });
  return { service, records, appended, announced, effectErrors, request };
}

describe('WriteService.run', () => {
  it('runs the write and carries out its effects, invalidations and changes in one announcement', async () => {
    const { definition } = scripted('ok');
    const { service, announced, request } = setup(definition);
    const payload = await service.run(definition, { value: 'x' }, request());
    expect(payload.status).toBe('SUCCEEDED');
    expect(announced).toEqual([{ keys: ['customers.customer:cust_1'], changes: [expect.objectContaining({ tenantId: 't1', topic: 'customer', key: 'cust_1' })] }]);
  });

  it('answers user errors found in the input without running the write', async () => {
    const { definition, keys } = scripted('ok');
    const { service, request } = setup(definition);
    expect(await service.run(definition, { value: '' }, request())).toMatchObject({ status: 'FAILED', userErrors: [{ code: 'INVALID_VALUE' }] });
    expect(keys).toEqual([]);
  });

  it('derives one upstream key per client key, tenant, client and path, the same every time', async () => {
    const { definition, keys } = scripted('ok', 'ok', 'ok', 'ok');
    const { service, request } = setup(definition);
    await service.run(definition, { value: 'x' }, request());
    await service.run(definition, { value: 'x' }, request());
    await service.run(definition, { value: 'x' }, request({ clientId: 'c2' }));
    await service.run(definition, { value: 'x' }, request({ path: 'second' }));
    expect(keys[0]).toBe(keys[1]);
    expect(new Set(keys).size).toBe(3);
    expect(keys[0]).toMatch(/^trib_[\w-]{38}$/);
    expect(keys[0]).not.toContain('k1');
  });

  it('queues a deferrable write when its provider is unavailable and the client allowed it', async () => {
    const { definition } = scripted('down');
    const { service, records, appended, request } = setup(definition);
    const payload = await service.run(definition, { value: 'x' }, request());
    expect(payload).toMatchObject({ status: 'QUEUED', userErrors: [] });
    expect(appended).toEqual([expect.objectContaining({ id: payload.operationId, type: 'updateCustomer', tenantId: 't1', provider: 'customers', payload: expect.objectContaining({ input: { value: 'x' }, clientId: 'c1' }) })]);
    expect(await records.get(payload.operationId!, 't1')).toMatchObject({ state: 'QUEUED', mutation: 'updateCustomer' });
    expect(await records.get(payload.operationId!, 't2')).toBeUndefined();
  });

  it('throws the provider failure when the client did not allow deferral, the input is not deferrable, or the failure is not an outage', async () => {
    for (const [behaviour, input, allowDeferred] of [['down', 'x', false], ['down', 'now-only', true], ['rejected', 'x', true]] as const) {
      const { definition } = scripted(behaviour);
      const { service, appended, request } = setup(definition);
      await expect(service.run(definition, { value: input }, request({ allowDeferred }))).rejects.toBeInstanceOf(UpstreamError);
      expect(appended).toEqual([]);
    }
  });

  it('throws the provider failure, and leaves the record FAILED, when the write cannot be queued', async () => {
    const { definition } = scripted('down');
    const { service, request } = setup(definition, { appendFails: true });
    await expect(service.run(definition, { value: 'x' }, request())).rejects.toMatchObject({ code: ErrorCode.UpstreamUnavailable });
  });

  it('still answers a write that succeeded when its effects cannot be announced, and reports it', async () => {
    const { definition } = scripted('ok');
    const { service, effectErrors, request } = setup(definition, { announceFails: true });
    expect((await service.run(definition, { value: 'x' }, request())).status).toBe('SUCCEEDED');
    expect(effectErrors).toHaveLength(1);
  });
});

describe('WriteService.handle (the worker)', () => {
  const queuedEvent = async (behaviours: Array<'ok' | 'refused' | 'down' | 'rejected'>) => {
    const { definition, keys } = scripted('down', ...behaviours);
    const context = setup(definition);
    const payload = await context.service.run(definition, { value: 'x' }, context.request());
    return { ...context, keys, event: context.appended[0]!, operationId: payload.operationId! };
  };

  it('sends a queued write with the key it was queued with, records SUCCEEDED with the payload and tells subscribers', async () => {
    const { service, records, announced, keys, event, operationId } = await queuedEvent(['ok']);
    await service.handle(event);
    expect(keys[1]).toBe(keys[0]);
    expect(await records.get(operationId, 't1')).toMatchObject({ state: 'SUCCEEDED', attempts: 2, result: { status: 'SUCCEEDED', operationId, customerId: 'cust_1' } });
    expect(announced.at(-1)?.changes).toEqual([expect.objectContaining({ topic: 'write', key: operationId })]);
    // Handed over again (a crash before the ack): not sent twice.
    await service.handle(event);
    expect(keys).toHaveLength(2);
  });

  it('throws while the provider is still unavailable, counting the attempt, so the queue backs off', async () => {
    const { service, records, event, operationId } = await queuedEvent(['down', 'ok']);
    await expect(service.handle(event)).rejects.toMatchObject({ code: ErrorCode.UpstreamUnavailable });
    expect(await records.get(operationId, 't1')).toMatchObject({ state: 'QUEUED', attempts: 2 });
    await service.handle(event);
    expect(await records.get(operationId, 't1')).toMatchObject({ state: 'SUCCEEDED', attempts: 3 });
  });

  it('ends FAILED without retrying when the provider refuses the write or rejects it', async () => {
    const refused = await queuedEvent(['refused']);
    await refused.service.handle(refused.event);
    expect(await refused.records.get(refused.operationId, 't1')).toMatchObject({ state: 'FAILED', error: { code: 'USER_ERROR', message: 'taken' }, result: { userErrors: [{ code: 'EMAIL_TAKEN' }] } });
    const rejected = await queuedEvent(['rejected']);
    await rejected.service.handle(rejected.event);
    expect(await rejected.records.get(rejected.operationId, 't1')).toMatchObject({ state: 'FAILED', error: { code: ErrorCode.UpstreamRejected } });
  });

  it('never sends a write that cannot be repeated twice: an attempt that began and left no outcome ends WRITE_OUTCOME_UNKNOWN', async () => {
    const { definition, keys } = scripted('down', 'ok');
    const once = { ...definition, repeatable: false };
    const context = setup(once);
    const payload = await context.service.run(once, { value: 'x' }, context.request());
    const event = context.appended[0]!;
    // The sending marker of an attempt whose instance died before recording its outcome.
    const held = (await context.records.get(payload.operationId!, 't1'))!;
    await context.records.put({ ...held, sending: true }, 60_000);
    await context.service.handle(event);
    expect(keys).toHaveLength(1);
    expect(await context.records.get(payload.operationId!, 't1')).toMatchObject({ state: 'FAILED', error: { code: ErrorCode.WriteOutcomeUnknown } });
  });

  it('takes the sending marker off a write that cannot be repeated when the provider refused the attempt, and sends it later', async () => {
    const { definition, keys } = scripted('down', 'down', 'ok');
    const once = { ...definition, repeatable: false };
    const context = setup(once);
    const payload = await context.service.run(once, { value: 'x' }, context.request());
    const event = context.appended[0]!;
    await expect(context.service.handle(event)).rejects.toMatchObject({ code: ErrorCode.UpstreamUnavailable });
    expect((await context.records.get(payload.operationId!, 't1'))?.sending).toBeUndefined();
    await context.service.handle(event);
    expect(keys).toHaveLength(3);
    expect(await context.records.get(payload.operationId!, 't1')).toMatchObject({ state: 'SUCCEEDED' });
  });

  it('does not let a late "gave up" undo a replay that succeeded', async () => {
    const { service, records, event, operationId } = await queuedEvent(['ok']);
    await service.handle(event);
    const queued = (await records.get(operationId, 't1'))!;
    await records.put({ ...queued, state: 'QUEUED' }, 60_000); // refused: final
    await service.deadLettered(event, 'late');
    expect(await records.get(operationId, 't1')).toMatchObject({ state: 'SUCCEEDED' });
  });

  it('marks a dead-lettered write FAILED (ATTEMPTS_EXHAUSTED), and sends it again when an operator replays it', async () => {
    const { service, records, keys, event, operationId } = await queuedEvent(['ok']);
    await service.deadLettered(event, 'customers is unavailable (HTTP 503)');
    expect(await records.get(operationId, 't1')).toMatchObject({ state: 'FAILED', error: { code: ATTEMPTS_EXHAUSTED, message: expect.stringContaining('stayed unavailable') } });
    await service.handle(event);
    expect(keys).toHaveLength(2);
    const done = await records.get(operationId, 't1');
    expect(done).toMatchObject({ state: 'SUCCEEDED' });
    expect(done?.error).toBeUndefined();
  });

  it('marks a replayed write that cannot be repeated as being sent, so a replay whose instance dies mid-send is not sent again', async () => {
    let sends = 0;
    const { definition } = scripted();
    const once: WriteDefinition<Env, Input, UpdateCustomerPayloadModel> = {
      ...definition,
      repeatable: false,
      async run() {
        sends += 1;
        if (sends === 1) throw unavailable(); // the request's own attempt: queued
        return new Promise(() => undefined); // the replay's send: its instance dies before any answer
      },
    };
    const context = setup(once);
    const operationId = (await context.service.run(once, { value: 'x' }, context.request())).operationId!;
    const event = context.appended[0]!;
    await context.service.deadLettered(event, 'down');

    void context.service.handle(event); // the operator's replay, never finishing
    await expect.poll(async () => (await context.records.get(operationId, 't1'))?.sending).toBe(true);
    await context.service.handle(event); // handed over again after the instance died
    expect(sends).toBe(2);
    expect(await context.records.get(operationId, 't1')).toMatchObject({ state: 'FAILED', error: { code: ErrorCode.WriteOutcomeUnknown } });
  });
});
