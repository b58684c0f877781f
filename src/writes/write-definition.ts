import type { ProviderName } from '../errors.ts';
import type { ChangeTopic } from '../events/change.ts';
import type { UserErrorModel, WritePayloadModel } from '../model/writes.ts';
import type { ResourceName } from '../upstream/cache/cache-policy.ts';

/**
 * What a successful write changed, carried out after it on every instance, like an event's
 * effects: `invalidate` drops an entry everywhere (the next read asks the provider);
 * `written` says the write already stored the new state in the shared cache (with the
 * provider's answer), so only the other instances' in-process copies are dropped; `publish`
 * tells subscribers, last.
 */
export type WriteEffect =
  | { kind: 'invalidate'; resource: ResourceName; id: string }
  | { kind: 'written'; resource: ResourceName; id: string }
  | { kind: 'publish'; topic: ChangeTopic; key: string; entityId?: string };

/** What a write did: its payload, and its effects on caches and subscribers. */
export interface WriteOutcome<P extends WritePayloadModel> {
  payload: P;
  effects: WriteEffect[];
}

/**
 * One mutation's write, registered by its provider (src/providers/registry.ts): the server and
 * the deferred-write worker only route by `mutation`. `Env` is what `run` reads and calls with
 * (the providers' loaders and clients, see src/providers/write-env.ts); `Input` is plain JSON,
 * since a deferred write's input is stored and run later, possibly by another instance.
 */
export interface WriteDefinition<Env, Input, P extends WritePayloadModel = WritePayloadModel> {
  readonly mutation: string;
  readonly provider: ProviderName;
  /**
   * The write creates something each time it runs (a refund, a note): a client must send an
   * Idempotency-Key, or a retried request would create it twice.
   */
  readonly needsKey: boolean;
  /**
   * Sending it again cannot change its outcome (Stripe with its idempotency key, a PATCH of
   * absolute values or with If-Match), so the pipeline may retry it after an answer was lost and
   * the worker may send it again. A write that is not is never sent twice once it may have
   * reached the provider.
   */
  readonly repeatable: boolean;
  /** Whether this input may wait in the queue for its provider (never where a check must happen now). */
  deferrable(input: Input): boolean;
  /** Business refusals found before anything is sent (a bad amount): FAILED at once, never queued. */
  check(input: Input): UserErrorModel[];
  run(env: Env, input: Input): Promise<WriteOutcome<P>>;
  /** The payload of a write that did not run now: QUEUED with its operation id, or FAILED with user errors. */
  pending(status: 'QUEUED' | 'FAILED', operationId: string | null, userErrors: UserErrorModel[]): P;
}
