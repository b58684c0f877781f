import { randomUUID } from 'node:crypto';
import { ErrorCode, IdempotencyError, isUpstreamError, publicErrorOf, type ProviderName } from '../errors.ts';
import type { Change } from '../events/change.ts';
import type { EventLog } from '../events/event-log.ts';
import type { StoredEvent } from '../events/event.ts';
import type { WritePayloadModel } from '../model/writes.ts';
import type { ResourceName } from '../upstream/cache/cache-policy.ts';
import type { WriteDefinition, WriteEffect } from './write-definition.ts';
import type { WriteRecord, WriteRecordStore } from './write-record-store.ts';
import { upstreamKeyOf } from './upstream-key.ts';

/** The error code of a queued write whose attempts ran out: the one FAILED an operator's replay may still turn. */
export const ATTEMPTS_EXHAUSTED = 'ATTEMPTS_EXHAUSTED';

/** Where a write's effects land: this tenant's caches here, then every instance. */
export interface WriteEffectTarget {
  /** Drops the entry from the shared cache and this instance's copy; returns its key. */
  invalidate(tenantId: string, provider: ProviderName, resource: ResourceName, id: string): Promise<string>;
  keyOf(tenantId: string, provider: ProviderName, resource: ResourceName, id: string): string;
  /** Other instances drop their copies of `keys`, every result cache empties, then subscribers hear `changes`. */
  announce(keys: readonly string[], changes: readonly Change[]): Promise<void>;
}

/** One mutation field's request to write. */
export interface WriteRequest<Env> {
  tenantId: string;
  clientId: string;
  /** The client's Idempotency-Key, when it sent one. */
  clientKey: string | undefined;
  /** The field's response path (its alias), so two mutations of one request get two upstream keys. */
  path: string;
  allowDeferred: boolean;
  /** What the write runs with, carrying `upstreamKey`. */
  env(upstreamKey: string): Env;
}

/** What the queue keeps of a deferred write besides its operation id (the event id) and mutation (its type). */
interface QueuedWrite {
  input: unknown;
  upstreamKey: string;
  clientId: string;
}

export interface WriteServiceOptions<Env> {
  definitions: ReadonlyArray<WriteDefinition<Env, unknown>>;
  records: WriteRecordStore;
  /** The durable log deferred writes wait in (the events' machinery, a stream of its own). */
  queue: EventLog;
  effects: WriteEffectTarget;
  /** How long a queued write's record is kept (ms). */
  recordTtlMs: number;
  /** What the worker runs a deferred write with: a fresh context of its own tenant and client. */
  workerEnv(tenantId: string, clientId: string, upstreamKey: string): Env;
  /** What is logged, not thrown: effects that could not be carried out after a write that succeeded, a write given up. */
  warn(error: unknown, message: string): void;
  now?: () => number;
}

/**
 * Runs writes now, or queues them when their provider is unavailable and the client allowed it,
 * and runs the queue (the worker, `handle`). Routes by mutation name only: each provider
 * registers its writes (src/providers/registry.ts).
 */
export class WriteService<Env> {
  private readonly byMutation: ReadonlyMap<string, WriteDefinition<Env, unknown>>;
  private readonly now: () => number;

  constructor(private readonly options: WriteServiceOptions<Env>) {
    this.byMutation = new Map(options.definitions.map((definition) => [definition.mutation, definition]));
    this.now = options.now ?? Date.now;
  }

  /** Mutations that create something each time they run, so a request needs an Idempotency-Key. */
  get needingKeys(): ReadonlySet<string> {
    return new Set([...this.byMutation.values()].filter((definition) => definition.needsKey).map((definition) => definition.mutation));
  }

  async run<I, P extends WritePayloadModel>(definition: WriteDefinition<Env, I, P>, input: I, request: WriteRequest<Env>): Promise<P> {
    const userErrors = definition.check(input);
    if (userErrors.length > 0) return definition.pending('FAILED', null, userErrors);
    if (definition.needsKey && request.clientKey === undefined) {
      throw new IdempotencyError(ErrorCode.IdempotencyKeyRequired, `${definition.mutation} needs an Idempotency-Key header (or the idempotencyKey argument)`, 400);
    }
    const upstreamKey = upstreamKeyOf(request.tenantId, request.clientId, request.clientKey, request.path);
    let outcome;
    try {
      outcome = await definition.run(request.env(upstreamKey), input);
    } catch (error) {
      if (request.allowDeferred && definition.deferrable(input) && providerUnavailable(error)) {
        const operationId = await this.enqueue(definition, input, request, upstreamKey, error);
        return definition.pending('QUEUED', operationId, []);
      }
      throw error;
    }
    await this.carryOut(request.tenantId, definition.provider, outcome.effects);
    return outcome.payload;
  }

  /** A queued write as `writeStatus` shows it; undefined when unknown, expired or another tenant's. */
  status(id: string, tenantId: string): Promise<WriteRecord | undefined> {
    return this.options.records.get(id, tenantId);
  }

  /**
   * The worker: sends one queued write. Throwing means "try again later" (the queue's backoff,
   * then its dead letters); it throws only while the provider is unavailable. A finished write
   * is not sent again, whoever hands it over once more.
   */
  readonly handle = async (event: StoredEvent): Promise<void> => {
    const definition = this.byMutation.get(event.type);
    const queued = event.payload as QueuedWrite;
    if (!definition) throw new Error(`no write named ${event.type}`);
    const record = await this.options.records.get(event.id, event.tenantId);
    if (record && record.state !== 'QUEUED' && record.error?.code !== ATTEMPTS_EXHAUSTED) return;
    const base: WriteRecord = record ?? { id: event.id, tenantId: event.tenantId, clientId: queued.clientId, mutation: event.type, state: 'QUEUED', attempts: 0, createdAt: event.receivedAt, updatedAt: event.receivedAt };
    // The record keeps its state while it is tried: QUEUED, or FAILED (ATTEMPTS_EXHAUSTED) for an
    // operator's replay, which the stores would not let become QUEUED again (a final record never does).
    const attempted: WriteRecord = { ...base, attempts: base.attempts + 1, updatedAt: this.now() };
    delete attempted.sending;
    if (!definition.repeatable) {
      // An earlier attempt began sending and nobody knows how it ended: sending again could do it twice.
      if (record?.sending) {
        await this.finish({ ...attempted, state: 'FAILED', error: { code: ErrorCode.WriteOutcomeUnknown, message: 'An earlier attempt may or may not have reached the provider; look before writing it again' } });
        return;
      }
      await this.options.records.put({ ...attempted, sending: true }, this.options.recordTtlMs);
    }
    let outcome;
    try {
      outcome = await definition.run(this.options.workerEnv(event.tenantId, queued.clientId, queued.upstreamKey), queued.input);
    } catch (error) {
      // The provider refused the attempt before acting on it (down, out of budget): try later.
      // A write that cannot be repeated reaches here only then (its client turns a send that
      // may have arrived into WRITE_OUTCOME_UNKNOWN), so its marker comes off.
      if (providerUnavailable(error)) {
        await this.options.records.put(attempted, this.options.recordTtlMs);
        throw error;
      }
      await this.finish({ ...attempted, state: 'FAILED', error: failureOf(error) });
      return;
    }
    const payload = { ...outcome.payload, operationId: event.id };
    const userError = payload.userErrors[0];
    await this.carryOut(event.tenantId, definition.provider, outcome.effects);
    const { error: _given, ...succeeded } = attempted;
    await this.finish(
      payload.status === 'SUCCEEDED'
        ? { ...succeeded, state: 'SUCCEEDED', result: payload }
        : { ...attempted, state: 'FAILED', result: payload, error: { code: 'USER_ERROR', message: userError?.message ?? 'The provider refused the write' } },
    );
  };

  /** The queue gave up on a write (its attempts ran out): it is FAILED until an operator replays its dead letter. */
  async deadLettered(event: StoredEvent, lastError: string): Promise<void> {
    const record = await this.options.records.get(event.id, event.tenantId);
    if (!record || record.state !== 'QUEUED') return;
    // The last error's text is for the logs (it may name hosts); the client reads what happened.
    this.options.warn(new Error(lastError), `deferred write ${event.id} (${event.type}) gave up after ${record.attempts} attempts`);
    const error = { code: ATTEMPTS_EXHAUSTED, message: `Gave up after ${record.attempts} attempts: the provider stayed unavailable. An operator may replay it from the dead letters.` };
    // A SUCCEEDED record (a replay that worked meanwhile) is never replaced (see WriteRecordStore).
    await this.finish({ ...record, state: 'FAILED', error, updatedAt: this.now() });
  }

  private async enqueue(definition: WriteDefinition<Env, unknown>, input: unknown, request: WriteRequest<Env>, upstreamKey: string, cause: unknown): Promise<string> {
    const id = randomUUID();
    const now = this.now();
    const record: WriteRecord = { id, tenantId: request.tenantId, clientId: request.clientId, mutation: definition.mutation, state: 'QUEUED', attempts: 1, createdAt: now, updatedAt: now };
    const queued: QueuedWrite = { input, upstreamKey, clientId: request.clientId };
    try {
      // The record first: the worker may take the write the moment it is appended.
      await this.options.records.put(record, this.options.recordTtlMs);
      await this.options.queue.append([{ tenantId: request.tenantId, provider: definition.provider, id, type: definition.mutation, occurredAt: now, receivedAt: now, payload: queued }]);
    } catch {
      // Neither stored nor sent: the client hears of the provider's failure, and nothing is left pending.
      await this.options.records.put({ ...record, state: 'FAILED', error: { code: 'QUEUE_UNAVAILABLE', message: 'The write could not be queued' } }, this.options.recordTtlMs).catch(() => undefined);
      throw cause;
    }
    return id;
  }

  /** Stores the final record, then tells `writeStatusChanged` subscribers on every instance. */
  private async finish(record: WriteRecord): Promise<void> {
    await this.options.records.put(record, this.options.recordTtlMs);
    const change: Change = { tenantId: record.tenantId, topic: 'write', key: record.id, occurredAt: record.updatedAt };
    await this.options.effects.announce([], [change]).catch((error: unknown) => this.options.warn(error, 'a deferred write finished but its subscribers could not be told'));
  }

  /**
   * After a write the provider made: its cache effects here and everywhere, then subscribers.
   * A failure here does not undo the write, so it is reported and not thrown: the entries it
   * could not drop expire with their TTL.
   */
  private async carryOut(tenantId: string, provider: ProviderName, effects: readonly WriteEffect[]): Promise<void> {
    const { effects: target } = this.options;
    const keys: string[] = [];
    const changes: Change[] = [];
    let failure: unknown;
    for (const effect of effects) {
      if (effect.kind === 'publish') {
        changes.push({ tenantId, topic: effect.topic, key: effect.key, occurredAt: this.now(), ...(effect.entityId === undefined ? {} : { entityId: effect.entityId }) });
        continue;
      }
      if (effect.kind === 'invalidate') {
        // A shared store out of reach still leaves the other instances to tell.
        await target.invalidate(tenantId, provider, effect.resource, effect.id).catch((error: unknown) => (failure ??= error));
      }
      keys.push(target.keyOf(tenantId, provider, effect.resource, effect.id));
    }
    if (keys.length > 0 || changes.length > 0) await target.announce(keys, changes).catch((error: unknown) => (failure ??= error));
    if (failure !== undefined) this.options.warn(failure, 'a write succeeded but its cache effects could not be carried out everywhere; entries expire with their TTL');
  }
}

/** The provider could not take the write now (down, slow, out of budget): worth waiting for. */
function providerUnavailable(error: unknown): boolean {
  return isUpstreamError(error) && (error.code === ErrorCode.UpstreamUnavailable || error.code === ErrorCode.UpstreamTimeout || error.code === ErrorCode.UpstreamRateLimited);
}

function failureOf(error: unknown): { code: string; message: string } {
  const known = publicErrorOf(error);
  return known ? { code: known.code, message: known.message } : { code: ErrorCode.InternalServerError, message: 'The write failed' };
}
