import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.ts';
import { buildTrustedManifest } from '../../src/server/trusted-documents/build-trusted-manifest.ts';
import { runTrustedDocumentsCli } from '../../src/server/trusted-documents/trusted-documents-cli.ts';
import { sha256Hex, type TrustedManifest, type TrustedOperation } from '../../src/server/trusted-documents/trusted-manifest.ts';
import { GatewayStack, type GraphQLResponse } from '../support/gateway-stack.ts';

const DOCUMENTS = {
  'customers.graphql': `
    # The dashboard's list.
    query FirstCustomers($n: Int!) { customers(first: $n) { edges { node { ...Who } } } }
    fragment Who on Customer { name email }`,
  'nested/names.gql': `query CustomerNames { customers(first: 2) { edges { node { name } } } }`,
};
const UNLISTED = '{ customers(first: 1) { edges { node { name personalNote: email } } } }';

interface Sent {
  status: number;
  body: GraphQLResponse<{ customers: { edges: Array<{ node: { name: string } }> } }>;
}

async function post(url: string, payload: unknown): Promise<Sent> {
  const response = await request(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(payload) });
  return { status: response.statusCode, body: (await response.body.json()) as Sent['body'] };
}

const byHash = (hash: string, variables: Record<string, unknown> = {}) => ({ variables, extensions: { persistedQuery: { version: 1, sha256Hash: hash } } });

describe('trusted documents', () => {
  const dir = mkdtempSync(join(tmpdir(), 'trusted-documents-'));
  const manifestFile = join(dir, 'manifest.json');
  let manifest: TrustedManifest;
  let listed: TrustedOperation;

  beforeAll(() => {
    mkdirSync(join(dir, 'documents', 'nested'), { recursive: true });
    for (const [name, text] of Object.entries(DOCUMENTS)) writeFileSync(join(dir, 'documents', name), text);
    const messages: string[] = [];
    expect(runTrustedDocumentsCli([join(dir, 'documents'), '--out', manifestFile], () => {}, (text) => messages.push(text))).toBe(0);
    expect(messages.join('')).toContain('2 operation(s) from 2 file(s)');
    manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as TrustedManifest;
    listed = manifest.operations.find((operation) => operation.name === 'FirstCustomers')!;
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  describe('the manifest script', () => {
    it('lists each named operation with the fragments it uses, under the SHA-256 of its body', () => {
      expect(manifest.format).toBe('apollo-persisted-query-manifest');
      expect(manifest.operations.map((operation) => [operation.name, operation.type])).toEqual([
        ['CustomerNames', 'query'],
        ['FirstCustomers', 'query'],
      ]);
      expect(listed.body).toMatch(/^query FirstCustomers\(\$n: Int!\) \{[\s\S]*\n\nfragment Who on Customer \{/);
      expect(listed.body).not.toContain('dashboard'); // comments are not part of the body
      for (const operation of manifest.operations) expect(operation.id).toBe(sha256Hex(operation.body));
    });

    it('refuses anonymous operations, unknown fragments and names defined twice', () => {
      expect(() => buildTrustedManifest([{ name: 'a.graphql', text: '{ customers(first: 1) { totalCount } }' }])).toThrow(/a\.graphql: every operation needs a name/);
      expect(() => buildTrustedManifest([{ name: 'a.graphql', text: 'query A { ...Missing }' }])).toThrow(/fragment Missing/);
      expect(() => buildTrustedManifest([{ name: 'a.graphql', text: 'query A { x }' }, { name: 'b.graphql', text: 'query A { y }' }])).toThrow(/b\.graphql: operation A is also defined in a\.graphql/);
    });

    it('exits with a message and no manifest when given nothing to read', () => {
      const messages: string[] = [];
      expect(runTrustedDocumentsCli([join(dir, 'empty-dir-that-is-not-there.graphql'), '--out', join(dir, 'none.json')], () => {}, (text) => messages.push(text))).toBe(1);
      expect(runTrustedDocumentsCli([], () => {}, (text) => messages.push(text))).toBe(1);
      expect(messages.join('')).toContain('usage: npm run trusted-documents');
    });
  });

  describe('TRUSTED_DOCUMENTS_FILE is checked at start', () => {
    const variableOf = (content: unknown, mode = 'enforce') => {
      const file = join(dir, `bad-${Math.random().toString(36).slice(2)}.json`);
      writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
      try {
        loadConfig({ TRUSTED_DOCUMENTS: mode, TRUSTED_DOCUMENTS_FILE: file });
      } catch (error) {
        return error instanceof ConfigError ? `${error.variable}: ${error.message}` : error;
      }
      return 'accepted';
    };
    const op = (body: string, id = sha256Hex(body)) => ({ id, name: 'A', type: 'query', body });

    it('names TRUSTED_DOCUMENTS_FILE for a missing, unreadable or malformed file', () => {
      expect(() => loadConfig({ TRUSTED_DOCUMENTS: 'enforce' })).toThrow(/TRUSTED_DOCUMENTS_FILE: is required/);
      expect(() => loadConfig({ TRUSTED_DOCUMENTS: 'allow', TRUSTED_DOCUMENTS_FILE: join(dir, 'absent.json') })).toThrow(/TRUSTED_DOCUMENTS_FILE: cannot read .*ENOENT/);
      expect(variableOf('{ not json')).toMatch(/^TRUSTED_DOCUMENTS_FILE: .* is not JSON/);
      expect(variableOf({ format: 'something-else', version: 1, operations: [] })).toMatch(/^TRUSTED_DOCUMENTS_FILE: .*apollo-persisted-query-manifest/);
      expect(variableOf({ format: 'apollo-persisted-query-manifest', version: 1, operations: [] })).toMatch(/^TRUSTED_DOCUMENTS_FILE: .*lists no operation/);
      expect(variableOf({ format: 'apollo-persisted-query-manifest', version: 1, operations: [{ ...op('query A { x }'), type: 'fetch' }] })).toMatch(/operations\[0\]\.type/);
    });

    it('refuses an id that is not its body\'s hash, and an id or a body listed twice', () => {
      const manifestOf = (...operations: unknown[]) => ({ format: 'apollo-persisted-query-manifest', version: 1, operations });
      expect(variableOf(manifestOf(op('query A { x }', sha256Hex('query A { y }'))))).toMatch(/operations\[0\]\.id .* is not the SHA-256 of its body/);
      expect(variableOf(manifestOf(op('query A { x }', 'dashboard-a'), op('query B { x }', 'dashboard-a')))).toMatch(/operations\[1\]\.id dashboard-a is listed twice/);
      expect(variableOf(manifestOf(op('query A { x }', 'one'), op('query A { x }', 'two')))).toMatch(/operations\[1\] \(two\) has the same body as one/);
      expect(variableOf(manifestOf(op('query A { x }', 'custom-id')))).toBe('accepted');
    });

    it('ignores the file while TRUSTED_DOCUMENTS is off', () => {
      expect(loadConfig({ TRUSTED_DOCUMENTS_FILE: join(dir, 'absent.json') }).trustedDocuments).toEqual({ mode: 'off', operations: [] });
    });
  });

  describe('in enforce mode', () => {
    let stack: GatewayStack;
    beforeAll(async () => {
      stack = await GatewayStack.start({ TRUSTED_DOCUMENTS: 'enforce', TRUSTED_DOCUMENTS_FILE: manifestFile });
    });
    afterAll(() => stack.close());

    it('runs a listed operation sent by its id alone (Apollo\'s APQ hash)', async () => {
      const { status, body } = await post(stack.url, byHash(listed.id, { n: 2 }));
      expect(status).toBe(200);
      expect(body.errors).toBeUndefined();
      expect(body.data?.customers.edges).toHaveLength(2);
    });

    it('runs a listed operation sent by GraphQL-over-HTTP documentId', async () => {
      const { body } = await post(stack.url, { documentId: `sha256:${listed.id}`, variables: { n: 1 } });
      expect(body.errors).toBeUndefined();
      expect(body.data?.customers.edges).toHaveLength(1);
    });

    it('runs a listed operation sent by its exact body, and by id over GET', async () => {
      const byBody = await post(stack.url, { query: listed.body, variables: { n: 1 } });
      expect(byBody.body.data?.customers.edges).toHaveLength(1);
      const url = new URL(stack.url);
      url.searchParams.set('variables', JSON.stringify({ n: 3 }));
      url.searchParams.set('extensions', JSON.stringify(byHash(listed.id).extensions));
      const response = await request(url, { headers: { 'apollo-require-preflight': 'true' } });
      const body = (await response.body.json()) as Sent['body'];
      expect(body.errors).toBeUndefined();
      expect(body.data?.customers.edges).toHaveLength(3);
    });

    it('refuses an unlisted body with 403 OPERATION_NOT_TRUSTED before any upstream call', async () => {
      const before = (await stack.simStats('customers')).requests;
      for (const query of [UNLISTED, `${listed.body} `]) {
        const { status, body } = await post(stack.url, { query, variables: { n: 1 } });
        expect(status).toBe(403);
        expect(body.errors?.[0]?.extensions?.['code']).toBe('OPERATION_NOT_TRUSTED');
        expect(body.data).toBeUndefined();
      }
      const get = await request(`${stack.url}?query=${encodeURIComponent(UNLISTED)}`, { headers: { 'apollo-require-preflight': 'true' } });
      await get.body.dump();
      expect(get.statusCode).toBe(403);
      expect((await stack.simStats('customers')).requests).toBe(before);
    });

    it('refuses an unknown id with 400 PERSISTED_QUERY_NOT_FOUND', async () => {
      for (const payload of [byHash(sha256Hex(UNLISTED)), { documentId: 'sha256:0000' }]) {
        const { status, body } = await post(stack.url, payload);
        expect(status).toBe(400);
        expect(body.errors?.[0]?.extensions?.['code']).toBe('PERSISTED_QUERY_NOT_FOUND');
      }
    });

    it('lets no client register an operation through APQ', async () => {
      const hash = sha256Hex(UNLISTED);
      const registration = await post(stack.url, { query: UNLISTED, ...byHash(hash) });
      expect(registration.status).toBe(403);
      expect(registration.body.errors?.[0]?.extensions?.['code']).toBe('OPERATION_NOT_TRUSTED');
      const replay = await post(stack.url, byHash(hash));
      expect(replay.body.errors?.[0]?.extensions?.['code']).toBe('PERSISTED_QUERY_NOT_FOUND');
      expect(replay.body.data).toBeUndefined();
    });

    it('runs a listed body sent with its hash, as Apollo Client retries after PERSISTED_QUERY_NOT_FOUND', async () => {
      const { body } = await post(stack.url, { query: listed.body, ...byHash(listed.id, { n: 1 }) });
      expect(body.errors).toBeUndefined();
      expect(body.data?.customers.edges).toHaveLength(1);
    });
  });

  describe('in allow mode', () => {
    let stack: GatewayStack;
    beforeAll(async () => {
      stack = await GatewayStack.start({ TRUSTED_DOCUMENTS: 'allow', TRUSTED_DOCUMENTS_FILE: manifestFile });
    });
    afterAll(() => stack.close());
    const warnings = (hash: string) => stack.logs.filter((line) => line.includes('outside the trusted documents manifest') && line.includes(hash));

    it('runs unlisted operations, logging each distinct one once and never its text', async () => {
      const other = '{ customers(first: 2) { edges { cursor } } }';
      for (const query of [UNLISTED, UNLISTED, other]) expect((await post(stack.url, { query })).body.errors).toBeUndefined();
      expect(warnings(sha256Hex(UNLISTED))).toHaveLength(1);
      expect(warnings(sha256Hex(other))).toHaveLength(1);
      expect(stack.logs.some((line) => line.includes('personalNote'))).toBe(false);
    });

    it('runs listed operations by id without a warning', async () => {
      const { body } = await post(stack.url, byHash(listed.id, { n: 1 }));
      expect(body.data?.customers.edges).toHaveLength(1);
      expect(warnings(listed.id)).toHaveLength(0);
    });
  });
});
