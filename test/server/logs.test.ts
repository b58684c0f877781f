import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { startSimulators, type SimulatorSet } from '../../src/simulators/index.ts';
import { GatewayStack } from '../support/gateway-stack.ts';
import { CUSTOMER_360 } from '../support/queries.ts';

interface LogLine {
  level: number;
  msg: string;
  reqId?: string;
  [field: string]: unknown;
}

const WARN = 40;
const INFO = 30;

function linesOf(stack: GatewayStack, from = 0): LogLine[] {
  return stack.logs.slice(from).flatMap((chunk) => chunk.split('\n').filter((line) => line.trim() !== '').map((line) => JSON.parse(line) as LogLine));
}

const accessLines = (lines: LogLine[]) => lines.filter((line) => line.msg === 'request completed');
const failureLines = (lines: LogLine[], provider: string) => lines.filter((line) => line.provider === provider && typeof line.errorCode === 'string');

async function get(stack: GatewayStack, path: string, headers: Record<string, string> = {}) {
  const response = await request(new URL(path, stack.url), { headers });
  await response.body.dump();
  return { status: response.statusCode, requestId: response.headers['x-request-id'] };
}

/** Keeps HubSpot's circuit closed whatever fails: every call then makes its attempts. */
const NO_BREAKER = { BREAKER_MIN_CALLS_PER_SECOND: '1000000' };

describe('request ids', () => {
  let stack: GatewayStack;
  beforeAll(async () => {
    stack = await GatewayStack.start();
  });
  afterAll(() => stack.close());

  it('keeps a plain X-Request-Id, takes the trace id of a valid traceparent, and makes one otherwise', async () => {
    const plain = await stack.post('{ __typename }', {}, { 'x-request-id': 'checkout-7f3a:retry.2' });
    expect(plain.headers['x-request-id']).toBe('checkout-7f3a:retry.2');
    const traced = await stack.post('{ __typename }', {}, { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' });
    expect(traced.headers['x-request-id']).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    const made = new Set<unknown>();
    const unusable: Array<Record<string, string>> = [{}, { 'x-request-id': 'two words' }, { 'x-request-id': 'x'.repeat(129) }, { traceparent: `00-${'0'.repeat(32)}-00f067aa0ba902b7-01` }, { traceparent: 'ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' }];
    for (const headers of unusable) {
      const id = (await stack.post('{ __typename }', {}, headers)).headers['x-request-id'];
      expect(id).toMatch(/^[0-9a-f-]{36}$/);
      made.add(id);
    }
    expect(made.size).toBe(5);
  });

  it('echoes it on errors, 404s, health checks and webhooks too', async () => {
    const id = { 'x-request-id': 'echo-1' };
    expect(await get(stack, '/nowhere', id)).toEqual({ status: 404, requestId: 'echo-1' });
    expect(await get(stack, '/readyz', id)).toEqual({ status: 200, requestId: 'echo-1' });
    const broken = await request(stack.url, { method: 'POST', headers: { 'content-type': 'application/json', ...id }, body: '{"query":' });
    await broken.body.dump();
    expect([broken.statusCode, broken.headers['x-request-id']]).toEqual([400, 'echo-1']);
    const unsigned = await request(new URL('/webhooks/stripe', stack.url), { method: 'POST', headers: { 'content-type': 'application/json', ...id }, body: '{}' });
    await unsigned.body.dump();
    expect(unsigned.statusCode).toBeGreaterThanOrEqual(400);
    expect(unsigned.headers['x-request-id']).toBe('echo-1');
  });
});

describe('the access line', () => {
  let stack: GatewayStack;
  beforeAll(async () => {
    stack = await GatewayStack.start({ DEFAULT_TENANT_ID: 'acme' });
  });
  afterAll(() => stack.close());

  it('is one info line per request with its id, operation, client, tenant, status, duration and upstream calls', async () => {
    const query = 'query FirstCustomers { customers(first: 3) { edges { node { name } } } }';
    const answer = await stack.post(query, {}, { 'x-request-id': 'access-1' });
    expect(answer.status).toBe(200);
    const lines = accessLines(linesOf(stack)).filter((line) => line.reqId === 'access-1');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: INFO, method: 'POST', path: '/graphql', status: 200, operation: 'FirstCustomers', client: 'anonymous', tenant: 'acme' });
    expect(typeof lines[0]!.durationMs).toBe('number');
    // The same calls the answer's own report counts, per provider.
    expect(lines[0]!.upstream).toEqual({ customers: { calls: answer.body.extensions?.upstream?.customers.calls, failures: 0 } });
  });

  it('says when the result cache answered, without running the operation', async () => {
    const query = 'query Replayed { customers(first: 2) { edges { node { name } } } }';
    await stack.post(query, {}, { 'x-request-id': 'replay-1' });
    await stack.post(query, {}, { 'x-request-id': 'replay-2' });
    const second = accessLines(linesOf(stack)).filter((line) => line.reqId === 'replay-2');
    expect(second).toHaveLength(1);
    expect(second[0]).toMatchObject({ status: 200, resultCache: 'hit' });
    expect(second[0]!.upstream).toBeUndefined();
  });

  it('logs the path without its query string, and health checks not at info', async () => {
    const before = stack.logs.length;
    const query = encodeURIComponent('{ __typename }');
    expect((await get(stack, `/graphql?query=${query}&token=qs-secret-0451`, { 'x-request-id': 'get-1', 'apollo-require-preflight': 'true' })).status).toBe(200);
    await get(stack, '/healthz', { 'x-request-id': 'health-1' });
    await get(stack, '/readyz', { 'x-request-id': 'health-2' });
    const lines = linesOf(stack, before);
    expect(accessLines(lines).map((line) => [line.reqId, line.path])).toEqual([['get-1', '/graphql']]);
    expect(stack.logs.slice(before).join('')).not.toContain('qs-secret-0451');
  });
});

describe('ACCESS_LOG=off', () => {
  it('writes no access line, and still echoes the request id', async () => {
    const stack = await GatewayStack.start({ ACCESS_LOG: 'off' });
    try {
      const answer = await stack.post('{ customers(first: 1) { edges { node { name } } } }', {}, { 'x-request-id': 'quiet-1' });
      expect(answer.headers['x-request-id']).toBe('quiet-1');
      expect(accessLines(linesOf(stack))).toEqual([]);
    } finally {
      await stack.close();
    }
  });
});

describe('a HubSpot outage in the logs', () => {
  let simulators: SimulatorSet;
  beforeAll(async () => {
    simulators = await startSimulators();
  });
  afterAll(() => simulators.close());

  it('gives one warn line per attempt HubSpot received, with its correlation id, and none per failed field', async () => {
    const stack = await GatewayStack.startRemote(simulators, NO_BREAKER);
    try {
      await stack.simAdmin('hubspot', 'faults', { outage: true });
      const ids = ['outage-1', 'outage-2', 'outage-3', 'outage-4', 'outage-5', 'outage-6', 'outage-7'];
      let failedFields = 0;
      for (const id of ids) {
        const answer = await stack.post(CUSTOMER_360, { first: 10 }, { 'x-request-id': id });
        failedFields += answer.body.errors?.filter((error) => error.extensions?.['provider'] === 'hubspot').length ?? 0;
      }
      const received = (await stack.simStats('hubspot')).requests;
      const lines = linesOf(stack);
      const failures = failureLines(lines, 'hubspot');
      expect(received).toBeGreaterThan(0);
      expect(failedFields).toBeGreaterThan(failures.length); // the flood the field lines made
      expect(failures).toHaveLength(received);
      for (const line of failures) {
        expect(line).toMatchObject({ level: WARN, status: 503, errorCode: 'UPSTREAM_UNAVAILABLE', tenant: 'default', method: expect.any(String), path: expect.stringMatching(/^\/crm\//) });
        expect(ids).toContain(line.reqId);
        expect(line.attempt).toBeGreaterThanOrEqual(1);
        // HubSpot's own id for the request (x-hubspot-correlation-id), which its support asks for.
        expect(line.providerRequestId).toEqual(expect.any(String));
        expect(String(line.errorBody)).toContain(String(line.providerRequestId));
      }
      // Nothing else warns: no line per failed field.
      expect(lines.filter((line) => line.level >= WARN && !failures.includes(line))).toEqual([]);
      await stack.simAdmin('hubspot', 'faults', {});
    } finally {
      await stack.close();
    }
  });

  it('every line a failing request writes carries the id echoed to its client', async () => {
    const stack = await GatewayStack.startRemote(simulators, { ...NO_BREAKER, LOG_LEVEL: 'debug' });
    try {
      await stack.simAdmin('hubspot', 'faults', { outage: true });
      const before = stack.logs.length;
      const answer = await stack.post(CUSTOMER_360, { first: 5 });
      const lines = linesOf(stack, before);
      const id = answer.headers['x-request-id'];
      expect(answer.body.errors?.length).toBeGreaterThan(0);
      expect(failureLines(lines, 'hubspot').length).toBeGreaterThan(0);
      expect(accessLines(lines)).toHaveLength(1);
      expect(lines.filter((line) => line.reqId !== id)).toEqual([]);
      await stack.simAdmin('hubspot', 'faults', {});
    } finally {
      await stack.close();
    }
  });
});

describe('circuit changes in the logs', () => {
  it('logs each state change once: open at warn, half-open and closed at info', async () => {
    let now = Date.now();
    const stack = await GatewayStack.start({ BREAKER_MIN_CALLS_PER_SECOND: '0.1', BREAKER_HALF_OPEN_AFTER_MS: '1000' }, () => now);
    try {
      await stack.simAdmin('hubspot', 'faults', { outage: true });
      for (let i = 0; i < 4; i += 1) await stack.query(CUSTOMER_360, { first: 10 });
      await stack.simAdmin('hubspot', 'faults', {});
      await stack.resetAll();
      now += 2000;
      // The first call after the pause is the one probe; the rest of its page is refused until it closes.
      let clean = false;
      for (let i = 0; i < 5 && !clean; i += 1) clean = ((await stack.query(CUSTOMER_360, { first: 10 })).errors ?? []).length === 0;
      expect(clean).toBe(true);
      const changes = linesOf(stack).filter((line) => line.provider === 'hubspot' && typeof line.to === 'string');
      expect(changes.map((line) => [line.level, line.from, line.to])).toEqual([
        [WARN, 'closed', 'open'],
        [INFO, 'open', 'half_open'],
        [INFO, 'half_open', 'closed'],
      ]);
    } finally {
      await stack.close();
    }
  });
});

describe('personal data in provider error bodies', () => {
  const email = 'grace.hopper@navy.example';
  let simulators: SimulatorSet;
  let service: Server;
  let serviceUrl: string;
  beforeAll(async () => {
    simulators = await startSimulators();
    // A customer service whose errors repeat the customer, as some providers' do.
    service = createServer((_req, res) => {
      res.writeHead(500, { 'content-type': 'application/json', 'x-request-id': 'svc-req-42' });
      res.end(JSON.stringify({ error: { code: 'internal', message: `could not load the account of ${email}`, customer: { email, name: 'Grace Hopper', phone: '+1 555 0100' } } }));
    });
    await new Promise<void>((resolve) => service.listen(0, '127.0.0.1', resolve));
    serviceUrl = `http://127.0.0.1:${(service.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => service.close(resolve));
    await simulators.close();
  });

  const run = async (env: Record<string, string>) => {
    const stack = await GatewayStack.startRemote(simulators, { CUSTOMERS_API_URL: serviceUrl, CUSTOMERS_API_TOKEN: 'cust-token-7a1c9e', ...env });
    try {
      const answer = await stack.query('{ customers(first: 2) { edges { node { name } } } }');
      expect(answer.errors?.[0]?.extensions).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE', provider: 'customers' });
      return { text: stack.logs.join(''), failures: failureLines(linesOf(stack), 'customers') };
    } finally {
      await stack.close(); // fails if any configured secret reached a line
    }
  };

  it('masks the customer\'s email, name and phone by default, and keeps the provider\'s request id', async () => {
    const { text, failures } = await run({});
    expect(failures.length).toBeGreaterThan(0);
    expect(failures[0]).toMatchObject({ status: 500, providerRequestId: 'svc-req-42' });
    expect(String(failures[0]!.errorBody)).toContain('could not load the account of [redacted]');
    expect(text).not.toContain(email);
    expect(text).not.toContain('Grace Hopper');
    expect(text).not.toContain('555 0100');
    expect(text).not.toContain('cust-token-7a1c9e');
  });

  it('writes the body as it came with LOG_REDACT_FIELDS=none', async () => {
    const { text } = await run({ LOG_REDACT_FIELDS: 'none' });
    expect(text).toContain(email);
    expect(text).not.toContain('cust-token-7a1c9e');
  });
});
