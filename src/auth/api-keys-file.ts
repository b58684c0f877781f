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

const fileSchema = z.strictObject({
  keys: z
    .array(
      z.strictObject({
        client: z.string().regex(CLIENT_ID, 'client ids are 1–128 letters, digits or . _ : @ -'),
        tenant: z.string().min(1),
        scopes: z.array(z.enum(SCOPES)).min(1),
        sha256: z.string().regex(/^[0-9a-f]{64}$/, 'must be the 64 lower-case hex digits of the key\'s SHA-256 (npm run api-key prints it)'),
      }),
    )
    .min(1),
});

/**
 * API_KEYS_FILE (YAML or JSON): `keys: [{ client, tenant, scopes, sha256 }]`. Tenants are
 * checked against the configured ones (unless `tenants` is undefined: they could not be read); a
 * digest listed twice is refused, since it would make the key's principal ambiguous.
 */
export function loadApiKeysFile(path: string, tenants: readonly string[] | undefined): ApiKeyEntry[] {
  const variable = 'API_KEYS_FILE';
  const checked = fileSchema.superRefine((file, ctx) => {
    const seen = new Set<string>();
    file.keys.forEach((key, index) => {
      if (tenants && !tenants.includes(key.tenant)) ctx.addIssue({ code: 'custom', path: ['keys', index, 'tenant'], message: `unknown tenant; configured: ${tenants.join(', ')}` });
      if (seen.has(key.sha256)) ctx.addIssue({ code: 'custom', path: ['keys', index, 'sha256'], message: 'the same key is listed twice' });
      seen.add(key.sha256);
    });
  });
  return readStructuredFile(variable, path, checked).keys;
}
