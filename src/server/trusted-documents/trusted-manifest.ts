import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

/**
 * Apollo's persisted query manifest (the format `@apollo/generate-persisted-query-manifest`
 * writes and GraphOS persisted query lists read), so one file serves this gateway and Apollo's
 * tooling: https://www.apollographql.com/docs/graphos/routing/security/persisted-queries
 */
export interface TrustedManifest {
  format: 'apollo-persisted-query-manifest';
  version: 1;
  operations: TrustedOperation[];
}

export interface TrustedOperation {
  /** Usually the SHA-256 of `body` (what APQ clients send); any other id is looked up as given. */
  id: string;
  name: string;
  type: 'query' | 'mutation' | 'subscription';
  /** The exact text clients send; its SHA-256 is how a request by body is recognised. */
  body: string;
}

export const MANIFEST_FORMAT = 'apollo-persisted-query-manifest';
const SHA256_HEX = /^[0-9a-f]{64}$/;
const TYPES = new Set(['query', 'mutation', 'subscription']);

/** Lower-case hex SHA-256 of the UTF-8 text: APQ's `sha256Hash` and the manifest's ids. */
export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** Reads and checks a manifest file; throws an Error whose message says what is wrong (never a body). */
export function readTrustedManifest(path: string): TrustedManifest {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new Error(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error(`${path} is not JSON`);
  }
  return checkTrustedManifest(json, path);
}

/**
 * Refuses what would make a lookup ambiguous or wrong: an id listed twice, a body listed twice
 * (under two ids the log could not tell apart), and a hash-shaped id that is not its body's hash
 * (a client sending the body's hash would not find it, or would find another operation).
 */
export function checkTrustedManifest(json: unknown, where: string): TrustedManifest {
  const manifest = json as Partial<TrustedManifest> | null;
  if (typeof manifest !== 'object' || manifest === null || manifest.format !== MANIFEST_FORMAT || manifest.version !== 1) {
    throw new Error(`${where} must be {"format": "${MANIFEST_FORMAT}", "version": 1, "operations": […]}`);
  }
  if (!Array.isArray(manifest.operations)) throw new Error(`${where}: "operations" must be an array`);
  const ids = new Set<string>();
  const bodies = new Map<string, string>();
  const operations = manifest.operations.map((raw: unknown, index): TrustedOperation => {
    const at = `${where}: operations[${index}]`;
    const op = raw as Partial<Record<keyof TrustedOperation, unknown>> | null;
    if (typeof op !== 'object' || op === null) throw new Error(`${at} must be an object`);
    const { id, name, type, body } = op;
    if (typeof id !== 'string' || id === '') throw new Error(`${at}.id must be a non-empty string`);
    if (typeof name !== 'string') throw new Error(`${at}.name must be a string`);
    if (typeof type !== 'string' || !TYPES.has(type)) throw new Error(`${at}.type must be query, mutation or subscription`);
    if (typeof body !== 'string' || body.trim() === '') throw new Error(`${at}.body must be a non-empty string`);
    const hash = sha256Hex(body);
    if (SHA256_HEX.test(id) && id !== hash) throw new Error(`${at}.id ${id} is not the SHA-256 of its body (${hash})`);
    if (ids.has(id)) throw new Error(`${at}.id ${id} is listed twice`);
    const twin = bodies.get(hash);
    if (twin !== undefined) throw new Error(`${at} (${id}) has the same body as ${twin}`);
    ids.add(id);
    bodies.set(hash, id);
    return { id, name, type: type as TrustedOperation['type'], body };
  });
  return { format: MANIFEST_FORMAT, version: 1, operations };
}
