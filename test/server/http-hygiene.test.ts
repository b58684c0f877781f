import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.ts';
import { EXPLORER_CSP } from '../../src/server/explorer/explorer-page.ts';
import { GatewayStack } from '../support/gateway-stack.ts';

const QUERY = '{ customers(first: 1) { edges { node { name } } } }';

/** A raw socket to the gateway, and a promise of its end (closed by the server, whatever it wrote first). */
async function rawSocket(url: string): Promise<{ socket: Socket; received: () => string; closed: Promise<unknown> }> {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  let received = '';
  socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
  socket.on('error', () => {}); // a reset is a close too
  const closed = once(socket, 'close');
  await once(socket, 'connect');
  return { socket, received: () => received, closed };
}

describe('HTTP hygiene', () => {
  let stack: GatewayStack;
  beforeAll(async () => {
    // Tiny timeouts, so that the server's own check closes the sockets while the test waits.
    stack = await GatewayStack.start({ HTTP_HEADERS_TIMEOUT_MS: '60', HTTP_REQUEST_TIMEOUT_MS: '120', HTTP_KEEP_ALIVE_TIMEOUT_MS: '200' });
  });
  afterAll(() => stack.close());

  it('closes a socket that sends half a request line and headers (slowloris)', async () => {
    const { socket, received, closed } = await rawSocket(stack.url);
    socket.write('POST /graphql HTTP/1.1\r\nHost: gateway\r\nX-Slow: 1\r\n');
    await closed;
    expect(received()).toMatch(/^HTTP\/1\.1 408 /);
  });

  it('closes a socket whose body never completes', async () => {
    const { socket, received, closed } = await rawSocket(stack.url);
    socket.write('POST /graphql HTTP/1.1\r\nHost: gateway\r\nContent-Type: application/json\r\nContent-Length: 400\r\n\r\n{"query":');
    await closed;
    expect(received()).not.toMatch(/^HTTP\/1\.1 200 /);
  });

  it('closes a socket that connects and sends nothing', async () => {
    const { received, closed } = await rawSocket(stack.url);
    await closed;
    expect(received()).not.toMatch(/^HTTP\/1\.1 200 /);
  });

  it('still serves a request sent at once on the same server', async () => {
    expect((await stack.query(QUERY)).errors).toBeUndefined();
  });

  it('marks GraphQL answers as not storable, not sniffable and not frameable', async () => {
    const response = await request(stack.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: QUERY }) });
    await response.body.json();
    expect(response.statusCode).toBe(200);
    expect(response.headers).toMatchObject({
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'x-frame-options': 'DENY',
      'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
    });
  });

  it('gives the landing page (the local explorer) its own policy, and the same hygiene headers', async () => {
    const response = await request(stack.url, { headers: { accept: 'text/html' } });
    const html = await response.body.text();
    expect(response.statusCode).toBe(200);
    expect(html).toContain('<title>Tributary explorer</title>');
    expect(response.headers['content-security-policy']).toBe(EXPLORER_CSP);
    expect(response.headers).toMatchObject({ 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer', 'x-frame-options': 'DENY' });
  });

  it('sends no CORS headers when no origin is configured', async () => {
    const preflight = await request(stack.url, {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example.com', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    });
    await preflight.body.dump();
    expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
  });
});

describe('CORS from CORS_ORIGINS, in front of API key authentication', () => {
  let stack: GatewayStack;
  const origin = 'https://app.example.com';
  const apiKey = 'cors-test-key-0123456789';
  const dir = mkdtempSync(join(tmpdir(), 'http-hygiene-'));
  beforeAll(async () => {
    const keysFile = join(dir, 'api-keys.json');
    const sha256 = createHash('sha256').update(apiKey).digest('hex');
    writeFileSync(keysFile, JSON.stringify({ keys: [{ client: 'dashboard', tenant: 'sample', scopes: ['customers:read', 'payments:read', 'crm:read'], sha256 }] }));
    stack = await GatewayStack.start({ CORS_ORIGINS: `${origin}, https://admin.example.com`, CORS_CREDENTIALS: 'true', API_KEYS_FILE: keysFile });
  });
  afterAll(async () => {
    await stack.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers a preflight from a listed origin before authentication and Apollo', async () => {
    const preflight = await request(stack.url, {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type, authorization' },
    });
    await preflight.body.dump();
    expect(preflight.statusCode).toBe(204);
    expect(preflight.headers).toMatchObject({ 'access-control-allow-origin': origin, 'access-control-allow-credentials': 'true' });
    expect(String(preflight.headers['access-control-allow-methods'])).toContain('POST');
    expect(String(preflight.headers['access-control-allow-headers'])).toContain('content-type');
  });

  it('lets the listed origin read the answer, and no other', async () => {
    const post = (from: string) =>
      request(stack.url, { method: 'POST', headers: { origin: from, 'content-type': 'application/json', 'x-api-key': apiKey }, body: JSON.stringify({ query: QUERY }) });
    const listed = await post(origin);
    expect(((await listed.body.json()) as { errors?: unknown }).errors).toBeUndefined();
    expect(listed.headers['access-control-allow-origin']).toBe(origin);
    const other = await post('https://evil.example.net');
    await other.body.dump();
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('keeps Apollo\'s CSRF prevention: a simple text/plain POST is refused', async () => {
    const response = await request(stack.url, { method: 'POST', headers: { origin, 'content-type': 'text/plain', 'x-api-key': apiKey }, body: JSON.stringify({ query: QUERY }) });
    const text = await response.body.text();
    expect(response.statusCode).toBe(400);
    expect(text).toMatch(/CSRF/i);
    expect(text).not.toContain('"data"');
  });

  it('keeps batching off', async () => {
    const response = await request(stack.url, { method: 'POST', headers: { origin, 'content-type': 'application/json', 'x-api-key': apiKey }, body: JSON.stringify([{ query: QUERY }, { query: QUERY }]) });
    await response.body.dump();
    expect(response.statusCode).toBe(400);
  });
});

describe('HTTP configuration', () => {
  const configError = (env: Record<string, string>) => {
    try {
      loadConfig(env);
    } catch (error) {
      return error instanceof ConfigError ? error.variable : error;
    }
    return undefined;
  };

  it('refuses CORS_ORIGINS=* with credentials, and origins that are not origins', () => {
    expect(configError({ CORS_ORIGINS: '*', CORS_CREDENTIALS: 'true' })).toBe('CORS_CREDENTIALS');
    expect(loadConfig({ CORS_ORIGINS: '*' }).http.cors).toEqual({ origins: ['*'], credentials: false });
    expect(configError({ CORS_ORIGINS: 'https://app.example.com/path' })).toBe('CORS_ORIGINS');
    expect(configError({ CORS_ORIGINS: '*,https://app.example.com' })).toBe('CORS_ORIGINS');
  });

  it('refuses a request timeout shorter than the headers timeout', () => {
    expect(configError({ HTTP_HEADERS_TIMEOUT_MS: '5000', HTTP_REQUEST_TIMEOUT_MS: '1000' })).toBe('HTTP_REQUEST_TIMEOUT_MS');
  });
});
