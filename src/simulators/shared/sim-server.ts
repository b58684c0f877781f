import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { ADMIN_PREFIX, handleAdminRequest } from './admin-routes.ts';
import { FaultInjector } from './fault-injector.ts';
import type { ProviderAdapter, RequestContext } from './provider-adapter.ts';
import { BodyTooLargeError, readBody } from './read-body.ts';
import type { RouteMatch } from './router.ts';
import { type SimRequest, type SimResponse, withHeaders } from './sim-request.ts';
import type { SimulatorHandle, SimulatorOptions } from './simulator-options.ts';
import { NO_RESPONSE_STATUS, StatsRecorder } from './stats-recorder.ts';
import { SeededRandom } from '../dataset/seeded-random.ts';

/**
 * Serves one provider on `node:http`. Every non-admin request goes through, in order:
 *   latency → reset fault → outage → error fault → authentication → rate limit → handler
 *   → provider headers → reset-after fault → malformed / truncate fault → write + stats.
 * The after-the-handler faults come last on purpose: the upstream did the work (a refund
 * happened) and only the answer got lost, which is exactly the case idempotency keys exist for.
 */
export async function startSimServer(adapter: ProviderAdapter, options: SimulatorOptions): Promise<SimulatorHandle> {
  const stats = new StatsRecorder(adapter.name);
  // Seeded by default, so a test that injects a 50% failure rate sees the same draws every run.
  const dice = new SeededRandom(options.faultSeed ?? 7).fork(adapter.name);
  const random = options.random ?? (() => dice.next());
  const faults = new FaultInjector(options.latencyMs ? { latencyMs: options.latencyMs } : {}, random);
  const clock = options.clock ?? Date.now;
  const admin = { stats, faults, resetProvider: () => adapter.reset(), webhooks: adapter.webhooks, mutate: (body: unknown) => adapter.mutate(body) };

  const server = createServer((req, res) => {
    serve(req, res).catch((error: unknown) => {
      console.error(`[sim:${adapter.name}] unhandled error`, error);
      res.destroy();
    });
  });

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://simulator');
    const method = req.method ?? 'GET';
    const isAdmin = url.pathname.startsWith(ADMIN_PREFIX);
    const match = isAdmin ? undefined : adapter.router.match(method, url.pathname);
    const routeKey = match?.key ?? `${method} *`;
    let body: Buffer;
    try {
      body = await readBody(req);
    } catch (error) {
      if (!(error instanceof BodyTooLargeError)) throw error;
      const tooLarge = adapter.errorResponse(toSimRequest(req, url, Buffer.alloc(0)), 413, error.message);
      const bytes = write(res, tooLarge, adapter.contentType);
      if (!isAdmin) stats.record(routeKey, 413, bytes);
      return;
    }
    if (isAdmin) {
      write(res, handleAdminRequest(method, url.pathname, body, admin), 'application/json');
      return;
    }

    const simReq = toSimRequest(req, url, body);
    stats.recordTraceparent(req.headers.traceparent);
    const active = faults.current;
    if (active.latencyMs) await (options.sleep ?? sleep)(active.latencyMs);
    if (faults.roll(active.resetRate)) {
      stats.record(routeKey, NO_RESPONSE_STATUS, 0);
      req.socket.destroy();
      return;
    }
    let response = answer(simReq, match, { faults: active, now: clock() });
    if (adapter.finish) response = adapter.finish(simReq, response);
    if (faults.takeResetAfter() || faults.roll(active.resetAfterRate)) {
      stats.record(routeKey, NO_RESPONSE_STATUS, 0);
      req.socket.destroy();
      return;
    }

    if (faults.roll(active.malformedRate)) {
      stats.record(routeKey, 200, write(res, response, adapter.contentType, 'malformed'));
    } else if (faults.roll(active.truncateRate)) {
      stats.record(routeKey, response.status, write(res, response, adapter.contentType, 'truncated'));
    } else {
      stats.record(routeKey, response.status, write(res, response, adapter.contentType));
    }
  }

  function answer(req: SimRequest, match: RouteMatch | undefined, context: RequestContext): SimResponse {
    if (context.faults.outage) return adapter.errorResponse(req, 503, 'The service is temporarily unavailable (simulated outage).');
    if (faults.roll(context.faults.errorRate)) {
      return adapter.errorResponse(req, context.faults.errorStatus ?? 500, 'Simulated upstream failure.');
    }
    if (match?.public) return run(req, match, context);
    const auth = adapter.authenticate(req, context);
    if (!auth.ok) return auth.response;
    req.principal = auth.principal;
    stats.recordCredential(auth.budgetKey);
    const admission = adapter.admit(req, auth.budgetKey, context);
    if (admission.rejection) return withHeaders(admission.rejection, admission.headers);
    const response = match
      ? run(req, match, context)
      : adapter.errorResponse(req, 404, `Unrecognized request URL (${req.method}: ${req.path}).`);
    return withHeaders(response, admission.headers);
  }

  function run(req: SimRequest, match: RouteMatch, context: RequestContext): SimResponse {
    req.params = match.params;
    try {
      return match.handler(req, context);
    } catch (error) {
      console.error(`[sim:${adapter.name}] handler ${match.key} threw`, error);
      return adapter.errorResponse(req, 500, 'An unexpected error occurred in the simulator.');
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  const { webhooks } = adapter;
  return {
    name: adapter.name,
    url: `http://${host}:${address.port}`,
    webhooks: {
      configure: (endpoints, retryDelaysMs) => webhooks.configure(endpoints, retryDelaysMs),
      deliveries: () => webhooks.deliveries(),
      settled: () => webhooks.settled(),
    },
    close: async () => {
      await webhooks.close();
      await new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      });
    },
  };
}

function toSimRequest(req: IncomingMessage, url: URL, body: Buffer): SimRequest {
  return {
    method: req.method ?? 'GET',
    path: url.pathname,
    query: url.searchParams,
    headers: req.headers,
    body,
    requestId: randomUUID(),
    params: {},
    principal: '',
  };
}

/**
 * Writes a response and returns the body bytes that went out. `malformed` sends the first half of
 * the JSON (a proper prefix of a JSON object is never valid JSON) under an honest length;
 * `truncated` promises the full length, sends half, and destroys the socket.
 */
function write(
  res: ServerResponse,
  response: SimResponse,
  contentType: string,
  mangle?: 'malformed' | 'truncated',
): number {
  const body = response.body === undefined ? Buffer.alloc(0) : Buffer.from(JSON.stringify(response.body), 'utf8');
  const headers: Record<string, string> = { ...response.headers };
  if (mangle === 'malformed') {
    const garbage = body.length > 1 ? body.subarray(0, Math.floor(body.length / 2)) : Buffer.from('{"', 'utf8');
    res.writeHead(200, { ...headers, 'content-type': contentType, 'content-length': String(garbage.length) });
    res.end(garbage);
    return garbage.length;
  }
  if (response.body !== undefined) headers['content-type'] = contentType;
  if (mangle === 'truncated') {
    const full = body.length > 1 ? body : Buffer.from('{"truncated":true}', 'utf8');
    const part = full.subarray(0, Math.floor(full.length / 2));
    res.writeHead(response.status, { ...headers, 'content-length': String(full.length) });
    res.write(part, () => res.destroy());
    return part.length;
  }
  if (response.status !== 204 && response.status !== 304) headers['content-length'] = String(body.length);
  res.writeHead(response.status, headers);
  res.end(body);
  return body.length;
}
