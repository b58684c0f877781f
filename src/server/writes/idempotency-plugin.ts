import { createHash } from 'node:crypto';
import { HeaderMap, type ApolloServerPlugin, type GraphQLRequestListener, type GraphQLResponse } from '@apollo/server';
import { Kind, type FragmentDefinitionNode, type OperationDefinitionNode, type SelectionSetNode } from 'graphql';
import { BadUserInputError, ErrorCode, IdempotencyError } from '../../errors.ts';
import type { IdempotencyStore, StoredResponse } from '../../writes/idempotency-store.ts';
import type { OperationContext } from '../operation-context.ts';
import { requestError } from '../operation-limits-plugin.ts';

export interface IdempotencyPluginOptions {
  store: IdempotencyStore;
  /** Mutations that create something each time they run: refused without a key. */
  needingKeys: ReadonlySet<string>;
  /** How long a key and its answer are kept (IDEMPOTENCY_TTL_SECONDS). */
  ttlMs: number;
  /** How long a request holds its key before a crashed instance's claim lapses: past any operation's end. */
  leaseMs: number;
  /** Where a store failure after the answer is reported (the answer still goes out). */
  onStoreError(error: unknown): void;
}

/** The IETF draft's key is a Structured Field string; we take 1 to 255 visible ASCII characters, Stripe's limit. */
const KEY = /^[\x21-\x7e]{1,255}$/;

/**
 * Errors after which nothing was done that a replay should repeat: the provider could not be
 * reached or the client's budget was spent. Such an answer releases the key, so the client's
 * retry with it runs again (with the same upstream keys, so the provider still acts once).
 */
const RELEASING_CODES: ReadonlySet<unknown> = new Set([ErrorCode.UpstreamUnavailable, ErrorCode.UpstreamTimeout, ErrorCode.UpstreamRateLimited, ErrorCode.RateLimited, ErrorCode.AuthenticationUnavailable]);

/**
 * Idempotency-Key for mutations (draft-ietf-httpapi-idempotency-key-header): the first answer to
 * a key is kept and replayed to any repeat of the same request (principal, document, variables),
 * without running anything; the same key with another request is refused (422), and a repeat
 * while the first runs is refused with 409 and Retry-After rather than held open (the draft
 * allows either; waiting would tie up a connection per impatient client). Keys are kept per
 * tenant and client, hashed: no client can replay or block another's.
 */
export function idempotencyPlugin(options: IdempotencyPluginOptions): ApolloServerPlugin<OperationContext> {
  // A mutation's key, between its hooks; Apollo hands every hook of a request the same request
  // context. Queries never get an entry: they pay for no closure and no promise of this plugin's.
  const claims = new WeakMap<object, Claim>();
  const listener: GraphQLRequestListener<OperationContext> = {
    // Checks that need no store. The claim waits for responseForOperation, which runs only
    // once every plugin's didResolveOperation passed (they run at once): a claim made here
    // could resolve after another plugin refused the request, and then never be released.
    didResolveOperation(requestContext) {
      if (requestContext.operation?.operation !== 'mutation') return DONE;
      // A refusal is a promise rejected at once, as an async hook's throw was: Apollo answers
      // with the first of its plugins' refusals to settle, and a mutation breaking two rules
      // must meet the same one as before.
      try {
        const pending = checkMutation(requestContext, options);
        if (pending) claims.set(requestContext, { pending, held: undefined });
        return DONE;
      } catch (error) {
        return Promise.reject(error);
      }
    },
    responseForOperation(requestContext) {
      const claim = claims.get(requestContext);
      if (!claim) return NO_RESPONSE;
      return claimKey(claim, options);
    },
    willSendResponse(requestContext) {
      const claim = claims.get(requestContext);
      if (!claim?.held) return DONE;
      return settleKey(claim, requestContext.response, options);
    },
  };
  const started = Promise.resolve(listener);
  return { requestDidStart: () => started };
}

interface Claim {
  pending: { key: string; fingerprint: string };
  /** Set once claimed, until the answer is stored or the key released. */
  held: { key: string; token: string } | undefined;
}

const DONE: Promise<void> = Promise.resolve();
const NO_RESPONSE: Promise<null> = Promise.resolve(null);

type RequestContext = Parameters<NonNullable<GraphQLRequestListener<OperationContext>['didResolveOperation']>>[0];

/** The mutation's key, checked and hashed: undefined when it has none (and needs none). */
function checkMutation({ operation, document, request, contextValue, source }: RequestContext, options: IdempotencyPluginOptions): Claim['pending'] | undefined {
  const fragments = new Map(document.definitions.flatMap((d) => (d.kind === Kind.FRAGMENT_DEFINITION ? [[d.name.value, d] as const] : [])));
  const roots = rootFields(operation!, fragments, request.variables ?? {});
  const header = unquoted(request.http?.headers.get('idempotency-key'));
  const keys = new Set([...(header === undefined ? [] : [header]), ...roots.flatMap((field) => (field.key === undefined ? [] : [field.key]))]);
  if (keys.size > 1) throw requestError(new BadUserInputError('The Idempotency-Key header and the idempotencyKey arguments must be one and the same key', 'idempotencyKey'), 400);
  const [clientKey] = keys;
  if (clientKey === undefined) {
    const needing = roots.find((field) => options.needingKeys.has(field.name));
    if (needing) throw requestError(new IdempotencyError(ErrorCode.IdempotencyKeyRequired, `${needing.name} creates something each time it runs: send an Idempotency-Key header (or the idempotencyKey argument) so that a retry cannot do it twice`, 400), 400);
    return undefined;
  }
  if (!KEY.test(clientKey)) throw requestError(new BadUserInputError('An Idempotency-Key is 1 to 255 visible ASCII characters', 'idempotencyKey'), 400);
  contextValue.idempotency.key = clientKey;
  const { tenantId, clientId } = contextValue.principal;
  return {
    key: sha256(`${tenantId}\n${clientId}\n${clientKey}`),
    fingerprint: sha256(JSON.stringify([tenantId, clientId, request.operationName ?? null, source, canonical(request.variables ?? {})])),
  };
}

async function claimKey(claim: Claim, options: IdempotencyPluginOptions): Promise<GraphQLResponse | null> {
  const { key, fingerprint } = claim.pending;
  let outcome;
  try {
    outcome = await options.store.claim(key, fingerprint, options.leaseMs);
  } catch (error) {
    // Without the store no repeat could be recognised: the write is not started at all.
    options.onStoreError(error);
    return refusal(new IdempotencyError(ErrorCode.IdempotencyUnavailable, 'The gateway cannot check Idempotency-Keys right now; nothing was done, retry shortly', 503, 1));
  }
  switch (outcome.outcome) {
    case 'claimed':
      claim.held = { key, token: outcome.token };
      return null;
    case 'replay': {
      const headers = new HeaderMap(Object.entries(outcome.response.headers));
      headers.set('idempotent-replayed', 'true');
      return { http: { status: outcome.response.status, headers }, body: { kind: 'single', singleResult: JSON.parse(outcome.response.body) as Record<string, never> } };
    }
    case 'mismatch':
      return refusal(new IdempotencyError(ErrorCode.IdempotencyKeyReused, 'This Idempotency-Key was first used with another request; use a new key for a new request', 422));
    case 'in-progress':
      return refusal(new IdempotencyError(ErrorCode.IdempotencyInProgress, 'The first request with this Idempotency-Key is still running; retry shortly', 409, 1));
  }
}

async function settleKey(claim: Claim, response: RequestContext['response'], options: IdempotencyPluginOptions): Promise<void> {
  const { key, token } = claim.held!;
  claim.held = undefined;
  try {
    if (response.body?.kind !== 'single') return await options.store.release(key, token);
    const { data, errors } = response.body.singleResult;
    // Released only when no mutation answered: a refund made whose payment could not be
    // read back (a timeout beside a payload) is kept, and replayed as it was.
    const noPayload = !data || Object.values(data).every((value) => value === null);
    if (noPayload && errors?.length && errors.every((error) => RELEASING_CODES.has(error.extensions?.['code']))) return await options.store.release(key, token);
    // Stripe itself found the key used with other parameters (a key released after a
    // lost answer, reused): the same answer as the gateway's own check, a 422.
    if (noPayload && errors?.some((error) => error.extensions?.['code'] === ErrorCode.IdempotencyKeyReused)) response.http.status = 422;
    const stored: StoredResponse = { status: response.http.status ?? 200, headers: { 'content-type': 'application/json; charset=utf-8' }, body: JSON.stringify({ ...(errors ? { errors } : {}), data }) };
    await options.store.complete(key, token, stored, options.ttlMs);
  } catch (error) {
    // The client has its answer; a repeat finds the claim until its lease lapses.
    options.onStoreError(error);
  }
}

/**
 * A refusal answered in place of execution. responseForOperation cannot throw (Apollo answers a
 * throw there with a bare 500), so the answer is built as the error boundary would format it.
 */
function refusal(error: IdempotencyError): GraphQLResponse {
  const headers = new HeaderMap([['content-type', 'application/json; charset=utf-8']]);
  if (error.retryAfter !== undefined) headers.set('retry-after', String(error.retryAfter));
  return { http: { status: error.httpStatus, headers }, body: { kind: 'single', singleResult: { errors: [{ message: error.message, extensions: { code: error.code, ...error.publicExtensions() } }] } } };
}

/** The mutation's root fields with their `idempotencyKey` argument, through fragments. */
function rootFields(operation: OperationDefinitionNode, fragments: ReadonlyMap<string, FragmentDefinitionNode>, variables: Record<string, unknown>): Array<{ name: string; key: string | undefined }> {
  const fields: Array<{ name: string; key: string | undefined }> = [];
  const walk = (selectionSet: SelectionSetNode) => {
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) {
        const argument = selection.arguments?.find((a) => a.name.value === 'idempotencyKey')?.value;
        const value = argument?.kind === Kind.STRING ? argument.value : argument?.kind === Kind.VARIABLE ? variables[argument.name.value] : undefined;
        fields.push({ name: selection.name.value, key: typeof value === 'string' ? value : undefined });
      } else if (selection.kind === Kind.INLINE_FRAGMENT) walk(selection.selectionSet);
      else {
        const fragment = fragments.get(selection.name.value);
        if (fragment) walk(fragment.selectionSet);
      }
    }
  };
  walk(operation.selectionSet);
  return fields;
}

/** The draft sends the key as a Structured Field string (`"…"`); Stripe's clients send it bare. Both are taken. */
function unquoted(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const quoted = /^"([^"\\]*)"$/.exec(header);
  return quoted ? quoted[1] : header;
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('base64url');
}

/** JSON with object keys sorted, so `{a, b}` and `{b, a}` are one request. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(Object.keys(value).sort().map((key) => [key, canonical((value as Record<string, unknown>)[key])]));
}
