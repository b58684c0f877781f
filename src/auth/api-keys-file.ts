import { z } from 'zod';
import { SCOPES, type Scope } from './principal.ts';
import { readStructuredFile } from './structured-file.ts';

/** One client's API key as stored: never the key, only its SHA-256. */
export interface ApiKeyEntry {
  client: string;
  tenant: string;
  scopes: Scope[];
  /** Lower-case hex SHA-256 of the key's UTF-8 bytes. */
  sha256: string;
}

const CLIENT_ID = /^[\w.:@-]{1,128}$/;

/** `tenants` undefined: not checked (they could not be read, and that has its own problem). */
function fileSchema(tenants: readonly string[] | undefined) {
  const key = z.strictObject({
    client: z.string().regex(CLIENT_ID, 'client ids are 1–128 letters, digits or . _ : @ -'),
    // Checked per key, beside its other fields: a refinement of the whole file would wait for them to be right.
    tenant: z.string().min(1).refine((tenant) => tenants === undefined || tenants.includes(tenant), `unknown tenant; configured: ${tenants?.join(', ')}`),
    scopes: z.array(z.enum(SCOPES)).min(1),
    sha256: z.string().regex(/^[0-9a-f]{64}$/, 'must be the 64 lower-case hex digits of the key\'s SHA-256 (npm run api-key prints it)'),
  });
  return z.strictObject({
    keys: z
      .array(key)
      .min(1)
      .superRefine((keys, ctx) => {
        const seen = new Set<string>();
        keys.forEach(({ sha256 }, index) => {
          if (seen.has(sha256)) ctx.addIssue({ code: 'custom', path: [index, 'sha256'], message: 'the same key is listed twice' });
          seen.add(sha256);
        });
      }),
  });
}

/**
 * API_KEYS_FILE (YAML or JSON): `keys: [{ client, tenant, scopes, sha256 }]`, every problem
 * reported at once. Tenants are checked against the configured ones; a digest listed twice is
 * refused, since it would make the key's principal ambiguous.
 */
export function loadApiKeysFile(path: string, tenants: readonly string[] | undefined): ApiKeyEntry[] {
  return readStructuredFile('API_KEYS_FILE', path, fileSchema(tenants)).keys;
}
