import type { FaultInjector } from './fault-injector.ts';
import { FaultValidationError, parseFaults } from './parse-faults.ts';
import { isPlainObject, parseJson } from './read-body.ts';
import type { SimResponse } from './sim-request.ts';
import type { StatsRecorder } from './stats-recorder.ts';
import type { WebhookAdmin, WebhookEndpointInput } from './webhook-sender.ts';

export const ADMIN_PREFIX = '/_sim/';

export interface AdminDependencies {
  stats: StatsRecorder;
  faults: FaultInjector;
  /** Clears the provider's own state (see ProviderAdapter.reset). */
  resetProvider(): void;
  webhooks: WebhookAdmin;
  /** `POST /_sim/mutate`: changes the provider's data as a user of its dashboard would (see ProviderAdapter.mutate). */
  mutate(body: unknown): SimResponse;
}

/**
 * The `/_sim/*` control plane. It sits in front of the fault injector and the rate limiter, and
 * is not counted, so a test can always read stats or lift an outage.
 */
export function handleAdminRequest(method: string, path: string, body: Buffer, deps: AdminDependencies): SimResponse {
  const route = `${method} ${path}`;
  switch (route) {
    case 'GET /_sim/stats':
      return { status: 200, body: deps.stats.snapshot() };
    case 'GET /_sim/faults':
      return { status: 200, body: deps.faults.current };
    case 'POST /_sim/faults':
      try {
        deps.faults.set(parseFaults(parseJson(body) ?? null));
        return { status: 200, body: deps.faults.current };
      } catch (error) {
        if (error instanceof FaultValidationError) return { status: 400, body: { error: error.message } };
        throw error;
      }
    case 'GET /_sim/webhooks':
      return { status: 200, body: { ...deps.webhooks.describe(), deliveries: deps.webhooks.deliveries() } };
    case 'POST /_sim/webhooks':
      return configureWebhooks(parseJson(body), deps.webhooks);
    case 'POST /_sim/mutate':
      return deps.mutate(parseJson(body));
    case 'POST /_sim/reset':
      deps.stats.reset();
      deps.faults.reset();
      deps.webhooks.reset();
      deps.resetProvider();
      return { status: 204 };
    default:
      return { status: 404, body: { error: `no admin route ${route}` } };
  }
}

/** `{"endpoints":[{"url","secret"?}], "retryDelaysMs"?:[…]}`; answers the configuration without secrets. */
function configureWebhooks(body: unknown, webhooks: WebhookAdmin): SimResponse {
  if (!isPlainObject(body) || !Array.isArray(body.endpoints)) {
    return { status: 400, body: { error: 'body must be {"endpoints": [{"url": "http://…", "secret"?: "…"}], "retryDelaysMs"?: [ms, …]}' } };
  }
  try {
    const delays = body.retryDelaysMs;
    webhooks.configure(body.endpoints as WebhookEndpointInput[], delays === undefined ? undefined : (delays as number[]));
  } catch (error) {
    if (error instanceof TypeError) return { status: 400, body: { error: error.message } };
    throw error;
  }
  return { status: 200, body: webhooks.describe() };
}
