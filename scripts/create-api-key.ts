import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { apiKeyDigest } from '../src/auth/api-key-registry.ts';
import { SCOPES, isScope } from '../src/auth/principal.ts';

/**
 * Makes a new API key: prints the key once (give it to the client) and the entry to append to
 * API_KEYS_FILE, which holds only its SHA-256. 32 random bytes: guessing is out of reach, and the
 * `trib_` prefix lets secret scanners recognise a leaked key.
 *   npm run api-key -- --client dashboard --tenant acme --scopes customers:read,payments:read
 */
const { values } = parseArgs({
  options: {
    client: { type: 'string' },
    tenant: { type: 'string', default: 'default' },
    scopes: { type: 'string', default: 'customers:read,payments:read,crm:read' },
  },
});
const scopes = (values.scopes ?? '').split(',').map((scope) => scope.trim());
const unknown = scopes.filter((scope) => !isScope(scope));
if (!values.client || unknown.length > 0) {
  process.stderr.write(`usage: npm run api-key -- --client NAME [--tenant ID] [--scopes a,b]\n  scopes: ${SCOPES.join(', ')}\n`);
  if (unknown.length > 0) process.stderr.write(`unknown scope(s): ${unknown.join(', ')}\n`);
  process.exit(2);
}
const key = `trib_${randomBytes(32).toString('base64url')}`;
process.stdout.write(`API key (shown once; give it to the client):\n  ${key}\n\nAppend to API_KEYS_FILE under keys:\n`);
process.stdout.write(stringify([{ client: values.client, tenant: values.tenant, scopes, sha256: apiKeyDigest(key) }]));
