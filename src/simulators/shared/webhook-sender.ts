import { setTimeout as timer } from 'node:timers/promises';

/** Where a simulator delivers its webhooks. `secret` defaults to the simulator's own. */
export interface WebhookEndpointInput {
  url: string;
  secret?: string;
}

/** One message (its events, one request body) on its way to one endpoint, as `deliveries()` reports it. */
export interface WebhookDelivery {
  /** The message id, the same on every attempt: Stripe `evt_…`, `webhook-id` `msg_…`, HubSpot's first `eventId`. */
  id: string;
  url: string;
  /** The event types it carries: one, or up to 100 for a HubSpot batch. */
  types: string[];
  attempts: number;
  /** The last answer's status; null before any answer, or when the last attempt got none. */
  lastStatus: number | null;
  /** Why the last attempt got no answer (a network error, the timeout). */
  lastError?: string;
  delivered: boolean;
  /** In flight or waiting to retry. */
  pending: boolean;
}

/** What tests and the admin API control; the same on every simulator's handle. */
export interface WebhookControl {
  /** Replaces the endpoints (and the retry schedule; omitted means the provider's default). Throws a TypeError naming a bad field. */
  configure(endpoints: readonly WebhookEndpointInput[], retryDelaysMs?: readonly number[]): void;
  /** The most recent deliveries, oldest first (copies). */
  deliveries(): WebhookDelivery[];
  /** Resolves once no delivery is in flight or waiting to retry: tests await it instead of sleeping. */
  settled(): Promise<void>;
}

/** What the admin routes and the handle need of a sender, whatever its payload type. */
export interface WebhookAdmin extends WebhookControl {
  describe(): { endpoints: Array<{ url: string }>; retryDelaysMs: readonly number[] };
  reset(): void;
  close(): Promise<void>;
}

/** A message as a provider hands it over; `payload` is whatever its renderer turns into a body. */
export interface WebhookMessage<P> {
  id: string;
  types: string[];
  payload: P;
}

export interface AttemptContext {
  url: string;
  secret: string;
  /** 0 on the first attempt (HubSpot's `attemptNumber` counts the same way). */
  attemptNumber: number;
  /** Milliseconds since the epoch, from the simulator's clock. */
  now: number;
}

/** The body and provider headers of one attempt; called per attempt, so timestamps and signatures are fresh. */
export type WebhookRenderer<P> = (message: WebhookMessage<P>, attempt: AttemptContext) => { body: string; headers: Record<string, string> };

export interface WebhookSenderOptions<P> {
  defaultSecret: string;
  /** Waits between attempts, in milliseconds; the provider's schedule, compressed. */
  defaultRetryDelaysMs: readonly number[];
  render: WebhookRenderer<P>;
  clock?: () => number;
  /** How a retry waits; default a timer. The simulator's injectable `sleep`. */
  sleep?: (ms: number) => Promise<unknown>;
  /** Per attempt; default 10 s. */
  timeoutMs?: number;
}

interface Endpoint {
  url: string;
  secret: string;
}

const DEFAULTS = {
  timeoutMs: 10 * 1000, // 10 s, between HubSpot's 5 s and Stripe's longer wait
  historyLimit: 200, // deliveries kept for `deliveries()`
  maxRetries: 20,
  maxDelayMs: 3 * 24 * 60 * 60 * 1000, // 3 days, how long Stripe keeps retrying
} as const;

/**
 * Delivers one simulator's webhooks: every message to every configured endpoint, retried on a
 * non-2xx answer or no answer after the next delay of the schedule, with the same message id
 * and a freshly rendered (re-signed) body per attempt. Delivery is fire-and-forget for the
 * caller, as it is for the providers: a write never waits for its webhooks.
 */
export class WebhookSender<P> implements WebhookAdmin {
  readonly #options: WebhookSenderOptions<P>;
  readonly #clock: () => number;
  readonly #timeoutMs: number;
  #endpoints: Endpoint[] = [];
  #retryDelaysMs: readonly number[];
  #history: WebhookDelivery[] = [];
  readonly #inFlight = new Set<Promise<void>>();
  readonly #cancel = new Set<AbortController>();

  constructor(options: WebhookSenderOptions<P>) {
    this.#options = options;
    this.#clock = options.clock ?? Date.now;
    this.#timeoutMs = options.timeoutMs ?? DEFAULTS.timeoutMs;
    if (!Number.isInteger(this.#timeoutMs) || this.#timeoutMs < 1) {
      throw new TypeError(`webhook timeoutMs must be a positive integer: ${this.#timeoutMs}`);
    }
    this.#retryDelaysMs = checkDelays(options.defaultRetryDelaysMs);
  }

  configure(endpoints: readonly WebhookEndpointInput[], retryDelaysMs?: readonly number[]): void {
    if (!Array.isArray(endpoints)) throw new TypeError('endpoints must be an array of {url, secret?}');
    const checked = endpoints.map((endpoint, i) => checkEndpoint(endpoint, i, this.#options.defaultSecret));
    const delays = checkDelays(retryDelaysMs ?? this.#options.defaultRetryDelaysMs);
    this.#endpoints = checked;
    this.#retryDelaysMs = delays;
  }

  /** What `GET`/`POST /_sim/webhooks` show: the urls, never the secrets. */
  describe(): { endpoints: Array<{ url: string }>; retryDelaysMs: readonly number[] } {
    return { endpoints: this.#endpoints.map(({ url }) => ({ url })), retryDelaysMs: this.#retryDelaysMs };
  }

  deliveries(): WebhookDelivery[] {
    return this.#history.map((delivery) => ({ ...delivery, types: [...delivery.types] }));
  }

  async settled(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
  }

  /** Starts delivering to every endpoint configured now; without endpoints the message is dropped. */
  send(message: WebhookMessage<P>): void {
    for (const endpoint of this.#endpoints) {
      const delivery: WebhookDelivery = {
        id: message.id, url: endpoint.url, types: [...message.types], attempts: 0, lastStatus: null, delivered: false, pending: true,
      };
      this.#history.push(delivery);
      if (this.#history.length > DEFAULTS.historyLimit) this.#history.shift();
      const cancel = new AbortController();
      this.#cancel.add(cancel);
      const run = this.#deliver(message, endpoint, this.#retryDelaysMs, delivery, cancel.signal).finally(() => {
        delivery.pending = false;
        this.#cancel.delete(cancel);
        this.#inFlight.delete(run);
      });
      this.#inFlight.add(run);
    }
  }

  /** `POST /_sim/reset`: no endpoints, no history, the default schedule; deliveries under way stop. */
  reset(): void {
    this.#abortAll();
    this.#endpoints = [];
    this.#retryDelaysMs = this.#options.defaultRetryDelaysMs;
    this.#history = [];
  }

  /** Stops every delivery and resolves when they have stopped, so nothing is sent after a simulator closes. */
  async close(): Promise<void> {
    this.#abortAll();
    await this.settled();
  }

  // Private: one delivery's attempts.

  async #deliver(message: WebhookMessage<P>, endpoint: Endpoint, delays: readonly number[], delivery: WebhookDelivery, cancel: AbortSignal): Promise<void> {
    for (let attemptNumber = 0; !cancel.aborted; attemptNumber++) {
      const { body, headers } = this.#options.render(message, { ...endpoint, attemptNumber, now: this.#clock() });
      delivery.attempts += 1;
      const outcome = await postWithin(this.#timeoutMs, cancel, (signal) => post(endpoint.url, body, headers, signal));
      if (cancel.aborted) return;
      delivery.lastStatus = outcome.status;
      if (outcome.error === undefined) delete delivery.lastError;
      else delivery.lastError = outcome.error;
      if (outcome.status !== null && outcome.status >= 200 && outcome.status < 300) {
        delivery.delivered = true;
        return;
      }
      const delay = delays[attemptNumber];
      if (delay === undefined) return;
      await this.#wait(delay, cancel);
    }
  }

  async #wait(ms: number, cancel: AbortSignal): Promise<void> {
    const cancelled = new Promise<void>((resolve) => cancel.addEventListener('abort', () => resolve(), { once: true }));
    const waited = this.#options.sleep ? this.#options.sleep(ms) : timer(ms, undefined, { signal: cancel }).catch(() => undefined);
    await Promise.race([waited, cancelled]);
  }

  #abortAll(): void {
    for (const cancel of this.#cancel) cancel.abort();
    this.#cancel.clear();
  }
}

// Private: the request and the checks.

/**
 * `attempt` aborted by `cancel` or after `timeoutMs`, with a timer this function holds. Not
 * AbortSignal.any([cancel, AbortSignal.timeout(ms)]): once, in a loaded CI run, an attempt to a
 * receiver that never answers outlived its 50 ms timeout by 20 s; the suspect (unconfirmed) is
 * that timeout signal, which nothing here held, collected before it fired. A plain timer cannot
 * be. The abort reason is a TimeoutError, as AbortSignal.timeout's.
 */
async function postWithin<T>(timeoutMs: number, cancel: AbortSignal, attempt: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const onCancel = () => controller.abort(cancel.reason);
  cancel.addEventListener('abort', onCancel, { once: true });
  const timer = setTimeout(() => controller.abort(new DOMException(`no answer within ${timeoutMs} ms`, 'TimeoutError')), timeoutMs);
  try {
    return await attempt(controller.signal);
  } finally {
    clearTimeout(timer);
    cancel.removeEventListener('abort', onCancel);
  }
}

/** One POST; a redirect counts as a failure, as Stripe treats it. The answer's body is read and dropped. */
async function post(url: string, body: string, headers: Record<string, string>, signal: AbortSignal): Promise<{ status: number | null; error?: string }> {
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body,
      redirect: 'manual',
      signal,
    });
    await response.arrayBuffer().catch(() => undefined);
    return { status: response.status };
  } catch (error) {
    const timedOut = error instanceof Error && error.name === 'TimeoutError';
    return { status: null, error: timedOut ? 'timeout' : describeNetworkError(error) };
  }
}

function describeNetworkError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause;
  const code = typeof cause === 'object' && cause !== null && 'code' in cause ? String(cause.code) : undefined;
  return code ?? error.message;
}

function checkEndpoint(endpoint: WebhookEndpointInput, index: number, defaultSecret: string): Endpoint {
  if (typeof endpoint !== 'object' || endpoint === null) throw new TypeError(`endpoints[${index}] must be an object {url, secret?}`);
  const { url, secret } = endpoint;
  let parsed: URL | undefined;
  try {
    parsed = typeof url === 'string' ? new URL(url) : undefined;
  } catch {
    parsed = undefined;
  }
  if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) {
    throw new TypeError(`endpoints[${index}].url must be an http(s) URL: ${JSON.stringify(url)}`);
  }
  if (secret !== undefined && (typeof secret !== 'string' || secret === '')) {
    throw new TypeError(`endpoints[${index}].secret must be a non-empty string`);
  }
  // The url exactly as given, not URL's normalisation: HubSpot signs the uri it posts to.
  return { url, secret: secret ?? defaultSecret };
}

function checkDelays(delays: readonly number[]): readonly number[] {
  if (!Array.isArray(delays) || delays.length > DEFAULTS.maxRetries) {
    throw new TypeError(`retryDelaysMs must be an array of at most ${DEFAULTS.maxRetries} delays`);
  }
  delays.forEach((delay: unknown, i) => {
    if (typeof delay !== 'number' || !Number.isInteger(delay) || delay < 0 || delay > DEFAULTS.maxDelayMs) {
      throw new TypeError(`retryDelaysMs[${i}] must be an integer from 0 to ${DEFAULTS.maxDelayMs}: ${JSON.stringify(delay)}`);
    }
  });
  return [...delays];
}
