import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { apiKeyDigest } from '../src/auth/api-key-registry.ts';

/**
 * Tributary runs as in production (NODE_ENV=production), which needs client authentication: the
 * bench's client holds one API key with every read scope. Peers ignore the header.
 */
export const BENCH_API_KEY = 'trib_bench_0d9c2f6a4b8e41c7a3f5';

export const BENCH_HEADERS: Record<string, string> = { 'content-type': 'application/json', authorization: `Bearer ${BENCH_API_KEY}` };

let keysFile: string | undefined;

/** The API_KEYS_FILE holding the bench key's digest, for tenant `default`; written once per run. */
export function benchApiKeysFile(): string {
  if (keysFile) return keysFile;
  const path = join(mkdtempSync(join(tmpdir(), 'tributary-bench-')), 'api-keys.json');
  const entry = { client: 'bench', tenant: 'default', scopes: ['customers:read', 'payments:read', 'crm:read', 'ops:read'], sha256: apiKeyDigest(BENCH_API_KEY) };
  writeFileSync(path, JSON.stringify({ keys: [entry] }));
  return (keysFile = path);
}
