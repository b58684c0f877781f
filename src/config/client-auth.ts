import { createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { loadApiKeysFile } from '../auth/api-keys-file.ts';
import type { JwtSettings } from '../auth/jwt-verifier.ts';
import type { GatewayConfig } from '../config.ts';
import type { ConfigProblems } from './config-problems.ts';
import type { Env, EnvValues } from './env-schema.ts';
import { isSet } from './remote-providers.ts';

const JWT_OPTIONS = ['JWT_ISSUER', 'JWT_AUDIENCE', 'JWT_ALGORITHMS', 'JWT_CLOCK_SKEW_SECONDS', 'JWT_TENANT_CLAIM', 'JWT_CLIENT_CLAIM'] as const;

/**
 * API keys and JWT settings. `tenants` is undefined when the tenants themselves could not be
 * read: keys are then not checked against them, which would only repeat that problem.
 */
export function clientAuth(env: Env, values: EnvValues, tenants: readonly string[] | undefined, problems: ConfigProblems): GatewayConfig['clientAuth'] {
  const auth: GatewayConfig['clientAuth'] = {};
  if (values.API_KEYS_FILE !== undefined) {
    const path = values.API_KEYS_FILE;
    const keys = problems.attempt(() => loadApiKeysFile(path, tenants), undefined);
    if (keys) auth.apiKeys = keys;
  }
  const { JWT_JWKS_URL: jwksUrl, JWT_PUBLIC_KEY_FILE: keyFile } = values;
  if (jwksUrl === undefined && keyFile === undefined && !problems.any('JWT_JWKS_URL')) {
    for (const stray of JWT_OPTIONS.filter((name) => isSet(env, name))) problems.add(stray, 'has no effect without JWT_JWKS_URL or JWT_PUBLIC_KEY_FILE');
    return auth;
  }
  if (jwksUrl !== undefined && keyFile !== undefined) problems.add('JWT_JWKS_URL', 'set either JWT_JWKS_URL or JWT_PUBLIC_KEY_FILE, not both');
  for (const name of ['JWT_ISSUER', 'JWT_AUDIENCE'] as const) if (values[name] === undefined) problems.add(name, 'is required to accept JWTs');
  const jwt: JwtSettings = {
    ...(jwksUrl !== undefined ? { jwksUrl } : keyFile !== undefined ? { publicKeyPem: publicKeyPem(keyFile, problems) } : {}),
    issuer: values.JWT_ISSUER ?? '',
    audience: values.JWT_AUDIENCE ?? '',
    algorithms: values.JWT_ALGORITHMS,
    clockSkewSeconds: values.JWT_CLOCK_SKEW_SECONDS,
    tenantClaim: values.JWT_TENANT_CLAIM,
    clientClaim: values.JWT_CLIENT_CLAIM,
  };
  auth.jwt = jwt;
  return auth;
}

function publicKeyPem(path: string, problems: ConfigProblems): string {
  const name = 'JWT_PUBLIC_KEY_FILE';
  let pem: string;
  try {
    pem = readFileSync(path, 'utf8');
  } catch (error) {
    problems.add(name, `cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
    return '';
  }
  // createPublicKey would also derive a public key from a private one: refuse to hold a private key at all.
  if (/PRIVATE KEY-----/.test(pem)) {
    problems.add(name, `${path} holds a private key; give the public key only`);
    return '';
  }
  try {
    if (createPublicKey(pem).type !== 'public') throw new Error('not a public key');
  } catch {
    problems.add(name, `${path} is not a PEM public key or certificate`);
  }
  return pem;
}
