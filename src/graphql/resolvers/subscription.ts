import { ErrorCode, ForbiddenError, NotFoundError } from '../../errors.ts';
import { writeScopeOf } from '../write-scope.ts';
import type { Change, ChangeTopic } from '../../events/change.ts';
import { changeStream } from '../../events/change-hub.ts';
import type { SubscriptionResolvers } from '../../generated/graphql.ts';
import { expectGlobalId } from '../../model/global-id.ts';
import type { CrmContactModel, CustomerModel } from '../../model/types.ts';
import { UnsupportedRequestError } from '../limits/operation-limit-error.ts';
import type { LiveSupport, ResolverContext } from '../resolver-context.ts';

/**
 * What `subscribe` yields and `resolve` reads: the change, or why it could not be checked. The
 * server runs each event's `resolve` with a fresh context (src/server/subscriptions/), so the
 * object read here is the provider's current state, not what the first event memoized.
 */
interface ChangeEvent {
  readonly change: Change;
  readonly failure?: unknown;
}

type Events = AsyncIterableIterator<ChangeEvent>;

export const Subscription: SubscriptionResolvers = {
  paymentChanged: {
    subscribe: async (_root, args, ctx) => {
      const live = liveOf(ctx);
      const customer = await customerOf(ctx, args.customerId, 'customerId');
      if (customer.stripeRef === null) return silent();
      // The charge id is what `resolve` reads; a change without one names no payment.
      return eventsOf(live, ctx, 'payment', customer.stripeRef, (change) => (change.entityId === undefined ? undefined : { change }));
    },
    resolve: (payload: unknown, _args: unknown, ctx: ResolverContext) => {
      const { change } = eventOf(payload);
      return change.deleted ? null : ctx.stripe.chargeById.load(change.entityId ?? change.key);
    },
  },

  customerChanged: {
    subscribe: async (_root, args, ctx) => {
      const live = liveOf(ctx);
      const customer = await customerOf(ctx, args.id, 'id');
      return eventsOf(live, ctx, 'customer', customer.id, (change) => ({ change }));
    },
    resolve: (payload: unknown, _args: unknown, ctx: ResolverContext) => {
      const { change } = eventOf(payload);
      return change.deleted ? null : ctx.customers.byId.load(change.key);
    },
  },

  crmContactChanged: {
    subscribe: async (_root, args, ctx) => {
      const live = liveOf(ctx);
      const contact = await contactOf(ctx, args.customerId);
      if (contact === null) return silent();
      return eventsOf(live, ctx, 'crmContact', contact.id, (change) => ({ change }));
    },
    resolve: (payload: unknown, _args: unknown, ctx: ResolverContext) => {
      const { change } = eventOf(payload);
      return change.deleted ? null : ctx.hubspot.contactById.load(change.key);
    },
  },

  dealChanged: {
    subscribe: async (_root, args, ctx) => {
      const live = liveOf(ctx);
      const contact = await contactOf(ctx, args.customerId);
      if (contact === null) return silent();
      // Deals the contact had since the subscription began: a deleted deal may already be gone
      // from the contact's associations when its change arrives, and must still be announced.
      const known = new Set(await ctx.hubspot.dealIdsOfContact.load(contact.id));
      // Deal changes are keyed by deal, not by contact: every deal of the tenant is heard, and
      // only this contact's pass, checked against its associations as they are now.
      return eventsOf(live, ctx, 'deal', null, async (change) => {
        try {
          const ids = await live.fresh().hubspot.dealIdsOfContact.load(contact.id);
          for (const id of ids) known.add(id);
          return known.has(change.key) ? { change } : undefined;
        } catch (failure) {
          // Not knowing is said, not guessed: the event carries the error.
          return { change, failure };
        }
      });
    },
    resolve: (payload: unknown, _args: unknown, ctx: ResolverContext) => {
      const { change } = eventOf(payload);
      return change.deleted ? null : ctx.hubspot.dealById.load(change.key);
    },
  },

  writeStatusChanged: {
    subscribe: async (_root, args, ctx) => {
      const live = liveOf(ctx);
      // Listening first, then looking: a write that finishes in between is heard, not missed.
      const events = eventsOf(live, ctx, 'write', args.id, (change) => ({ change }));
      try {
        const operation = await ctx.writes.status(args.id);
        if (!operation) throw new NotFoundError(`No queued write with id ${JSON.stringify(args.id)}`, 'id');
        const scope = writeScopeOf(operation.mutation);
        if (!ctx.principal.scopes.has(scope)) throw new ForbiddenError(scope);
        const now: Change = { tenantId: ctx.principal.tenantId, topic: 'write', key: args.id, occurredAt: operation.updatedAt };
        return once(operation.state === 'QUEUED' ? events : finished({ change: now }, events));
      } catch (error) {
        await events.return?.();
        throw error;
      }
    },
    resolve: async (payload: unknown, _args: unknown, ctx: ResolverContext) => ctx.writes.status(eventOf(payload).change.key).then((operation) => operation ?? null),
  },
};

// Private: lookups and streams.

/** Ends after the first event: a write finishes once. */
function once(events: Events): Events {
  let sent = false;
  return {
    async next() {
      if (sent) {
        await events.return?.();
        return { value: undefined, done: true };
      }
      const next = await events.next();
      sent = true;
      return next;
    },
    return: async () => {
      await events.return?.();
      return { value: undefined, done: true };
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}

/** A write already finished when the subscription began: its one event, at once. */
function finished(event: ChangeEvent, events: Events): Events {
  let sent = false;
  return {
    next: async () => {
      if (sent) return events.next();
      sent = true;
      return { value: event, done: false };
    },
    return: async () => {
      await events.return?.();
      return { value: undefined, done: true };
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}

const NOT_OVER_HTTP = 'Subscriptions are served over WebSocket (graphql-ws, subprotocol graphql-transport-ws) on /graphql';

function liveOf(ctx: ResolverContext): LiveSupport {
  if (!ctx.live) throw new UnsupportedRequestError(ErrorCode.OperationNotSupported, NOT_OVER_HTTP);
  return ctx.live;
}

/** Over HTTP, graphql-js executes a subscription like a query: `resolve` then gets no event. */
function eventOf(payload: unknown): ChangeEvent {
  if (typeof payload !== 'object' || payload === null || !('change' in payload)) {
    throw new UnsupportedRequestError(ErrorCode.OperationNotSupported, NOT_OVER_HTTP);
  }
  const event = payload as ChangeEvent;
  if (event.failure !== undefined) throw event.failure;
  return event;
}

async function customerOf(ctx: ResolverContext, globalId: string, argument: string): Promise<CustomerModel> {
  const customer = await ctx.customers.byId.load(expectGlobalId(globalId, 'Customer', argument));
  if (customer === null) throw new NotFoundError(`No customer with id ${JSON.stringify(globalId)}`, argument);
  return customer;
}

async function contactOf(ctx: ResolverContext, customerId: string): Promise<CrmContactModel | null> {
  return ctx.hubspot.contactOfCustomer.load(await customerOf(ctx, customerId, 'customerId'));
}

/**
 * The hub's changes for the principal's tenant, each turned into an event or skipped
 * (`undefined`). `return()` reaches the hub at once, even while a check is running.
 */
function eventsOf(live: LiveSupport, ctx: ResolverContext, topic: ChangeTopic, key: string | null, toEvent: (change: Change) => ChangeEvent | undefined | Promise<ChangeEvent | undefined>): Events {
  const changes = changeStream(live.changes, ctx.principal.tenantId, topic, key);
  return {
    async next() {
      for (;;) {
        const next = await changes.next();
        if (next.done) return { value: undefined, done: true };
        const event = await toEvent(next.value);
        if (event) return { value: event, done: false };
      }
    },
    async return() {
      await changes.return?.();
      return { value: undefined, done: true };
    },
    async throw(error: unknown) {
      await changes.return?.();
      throw error;
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}

/** A subscription with nothing to hear (a customer without a Stripe account or CRM contact). */
function silent(): Events {
  let release: ((result: IteratorResult<ChangeEvent>) => void) | undefined;
  let ended = false;
  const done: IteratorResult<ChangeEvent> = { value: undefined, done: true };
  return {
    next: () => (ended ? Promise.resolve(done) : new Promise((resolve) => (release = resolve))),
    return: () => {
      ended = true;
      release?.(done);
      return Promise.resolve(done);
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}
