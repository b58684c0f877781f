import { ErrorCode, GatewayError } from '../errors.ts';
import type { Change, ChangeHub, ChangeListener, ChangeTopic } from './change.ts';

export interface ChangeHubOptions {
  /**
   * A listener that throws must not keep the change from the listeners after it, nor reach the
   * publisher (a webhook handler that already stored its event). Default: a process warning.
   */
  onListenerError?: (error: unknown, change: Change) => void;
}

/** Listeners of one topic, by key; the `null` key holds those that listen to every key. */
type TopicListeners = Map<string | null, Set<ChangeListener>>;

/**
 * The in-process ChangeHub: tenant → topic → key → listeners, so a publish finds its listeners
 * with three map lookups however many subscribers other keys have. Emptied branches are pruned:
 * keys are customer and charge ids, and a long-lived gateway would otherwise keep one map entry
 * for every key anyone ever listened to.
 */
export function createChangeHub(options: ChangeHubOptions = {}): ChangeHub {
  const onListenerError = options.onListenerError ?? ((error: unknown) => process.emitWarning(error instanceof Error ? error : new Error(String(error)), 'ChangeListenerError'));
  const tenants = new Map<string, Map<ChangeTopic, TopicListeners>>();
  let size = 0;

  const deliver = (listeners: Set<ChangeListener> | undefined, change: Change) => {
    if (!listeners) return;
    // A copy: a listener may unsubscribe (or subscribe another) while the change is delivered.
    for (const listener of [...listeners]) {
      try {
        listener(change);
      } catch (error) {
        onListenerError(error, change);
      }
    }
  };

  return {
    publish(change) {
      const topic = tenants.get(change.tenantId)?.get(change.topic);
      if (!topic) return;
      deliver(topic.get(change.key), change);
      deliver(topic.get(null), change);
    },

    subscribe(tenantId, topicName, key, listener) {
      let topics = tenants.get(tenantId);
      if (!topics) tenants.set(tenantId, (topics = new Map()));
      let topic = topics.get(topicName);
      if (!topic) topics.set(topicName, (topic = new Map()));
      let listeners = topic.get(key);
      if (!listeners) topic.set(key, (listeners = new Set()));
      // Its own function per subscription: the same listener given twice is two subscriptions,
      // and one unsubscribe must not end the other.
      const own: ChangeListener = (change) => listener(change);
      listeners.add(own);
      size += 1;
      let subscribed = true;
      return () => {
        if (!subscribed) return;
        subscribed = false;
        size -= 1;
        listeners.delete(own);
        if (listeners.size > 0) return;
        topic.delete(key);
        if (topic.size > 0) return;
        topics.delete(topicName);
        if (topics.size === 0) tenants.delete(tenantId);
      };
    },

    get size() {
      return size;
    },
  };
}

export interface ChangeStreamOptions {
  /**
   * Changes of distinct objects that may wait for a slow reader; past it the stream fails with
   * a ChangeStreamOverflowError rather than drop one. A change to an object that already has one
   * waiting replaces it instead of queueing (the reader reads the object's current state anyway).
   */
  maxQueued?: number;
}

const STREAM_DEFAULTS = {
  maxQueued: 1000,
} as const;

/** The stream's reader fell too far behind: `maxQueued` changes of distinct objects were waiting. */
export class ChangeStreamOverflowError extends GatewayError {
  readonly code = ErrorCode.SubscriberTooSlow;
  override readonly name = 'ChangeStreamOverflowError';

  constructor(readonly maxQueued: number) {
    super(`More than ${maxQueued} changes were waiting for this subscription; subscribe again to read the current state`);
  }

  override publicExtensions(): Record<string, unknown> {
    return { maxQueued: this.maxQueued };
  }
}

/**
 * One subscription to the hub as an async iterator (what a GraphQL `subscribe` resolver returns).
 * Written by hand rather than as an async generator: a generator parked in `await` cannot be
 * ended until its next value arrives, so a client's `complete` would leave the listener on the
 * hub until the next change. Here `return()` unsubscribes at once and ends a pending `next()`.
 */
export function changeStream(hub: ChangeHub, tenantId: string, topic: ChangeTopic, key: string | null, options: ChangeStreamOptions = {}): AsyncIterableIterator<Change> {
  const maxQueued = options.maxQueued ?? STREAM_DEFAULTS.maxQueued;
  if (!Number.isInteger(maxQueued) || maxQueued < 1) throw new TypeError(`maxQueued must be a positive integer: ${maxQueued}`);
  // Insertion-ordered, keyed by object: a newer change to a waiting object takes its place.
  const queued = new Map<string, Change>();
  const waiting: Array<(result: IteratorResult<Change>) => void> = [];
  let failure: Error | undefined;
  let ended = false;

  const end = () => {
    if (ended) return;
    ended = true;
    unsubscribe();
    queued.clear();
    for (const resolve of waiting.splice(0)) resolve({ value: undefined, done: true });
  };
  const unsubscribe = hub.subscribe(tenantId, topic, key, (change) => {
    const resolve = waiting.shift();
    if (resolve) return resolve({ value: change, done: false });
    const object = `${change.key}\n${change.entityId ?? ''}`;
    queued.set(object, change);
    if (queued.size <= maxQueued) return;
    failure = new ChangeStreamOverflowError(maxQueued);
    end();
  });

  return {
    next() {
      const first = queued.entries().next();
      if (!first.done) {
        queued.delete(first.value[0]);
        return Promise.resolve({ value: first.value[1], done: false });
      }
      if (failure) {
        const error = failure;
        failure = undefined;
        return Promise.reject(error);
      }
      if (ended) return Promise.resolve({ value: undefined, done: true });
      return new Promise((resolve) => waiting.push(resolve));
    },
    return() {
      end();
      return Promise.resolve({ value: undefined, done: true });
    },
    throw(error: unknown) {
      end();
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}
