import { describe, expect, it } from 'vitest';
import { CONFIG_KEYS, loadConfig } from '../../src/config.ts';
import { ENV_SCHEMA } from '../../src/config/env-schema.ts';
import { tempFile } from '../support/auth.ts';
import { REMOTE, failure } from '../support/config-failure.ts';

const variables = (env: Record<string, string>) => failure(env).problems.map((problem) => problem.variable);

describe('a bad configuration reports every problem at once', () => {
  it('names all three of three bad variables, each with its own message', () => {
    const error = failure({ PORT: 'abc', LOG_LEVEL: 'loud', CACHE_MAX_ENTRIES: '0' });
    expect(error.problems).toEqual([
      { variable: 'PORT', message: 'must be an integer from 0 to 65535, got "abc"' },
      { variable: 'LOG_LEVEL', message: 'must be one of fatal, error, warn, info, debug, trace, silent, got "loud"' },
      { variable: 'CACHE_MAX_ENTRIES', message: 'must be an integer from 1 to 10000000, got "0"' },
    ]);
    expect(error.variable).toBe('PORT');
    expect(error.message.split('\n')).toEqual([
      'PORT: must be an integer from 0 to 65535, got "abc"',
      'LOG_LEVEL: must be one of fatal, error, warn, info, debug, trace, silent, got "loud"',
      'CACHE_MAX_ENTRIES: must be an integer from 1 to 10000000, got "0"',
    ]);
  });

  it('reports each missing provider variable of remote mode in one go', () => {
    expect(variables({ STRIPE_SECRET_KEY: 'sk_test_abc' })).toEqual(['CUSTOMERS_API_URL', 'CUSTOMERS_API_TOKEN', 'HUBSPOT_ACCESS_TOKEN']);
    expect(variables({ HUBSPOT_CLIENT_ID: 'app' })).toEqual(['CUSTOMERS_API_URL', 'CUSTOMERS_API_TOKEN', 'STRIPE_SECRET_KEY', 'HUBSPOT_CLIENT_SECRET', 'HUBSPOT_REFRESH_TOKEN']);
  });

  it('reports bad values beside the rules between variables, but no rule over a value already refused', () => {
    expect(variables({ ...REMOTE, STRIPE_SECRET_KEY: 'pk_live_x', HTTP_HEADERS_TIMEOUT_MS: '5000', HTTP_REQUEST_TIMEOUT_MS: '1000', CORS_ORIGINS: 'nope' })).toEqual([
      'CORS_ORIGINS', 'STRIPE_SECRET_KEY', 'HTTP_REQUEST_TIMEOUT_MS',
    ]);
    // EVENTS_RETRY_MAX_MS is refused; comparing EVENTS_CLAIM_IDLE_MS with its stand-in would blame the wrong one.
    expect(variables({ EVENTS_RETRY_MAX_MS: 'soon', EVENTS_CLAIM_IDLE_MS: '1000' })).toEqual(['EVENTS_RETRY_MAX_MS']);
  });

  it('names HOST when it is neither an IP address nor a host name', () => {
    const error = failure({ HOST: 'not a host' });
    expect(error.problems).toEqual([{ variable: 'HOST', message: 'must be an IP address or a host name (RFC 1123), got "not a host"' }]);
    for (const bad of ['-gw.internal', 'gw..internal', 'a'.repeat(64), 'http://gw', '10.0.0.1:4000']) expect(variables({ HOST: bad })).toEqual(['HOST']);
    for (const good of ['127.0.0.1', '::', '::1', 'gateway', 'gw-1.internal.example.com', 'localhost.']) expect(loadConfig({ HOST: good }).host).toBe(good);
    expect(variables({ METRICS_HOST: 'metrics host' })).toEqual(['METRICS_HOST']);
  });

  it('accepts a host name with underscores, as Docker names containers and compose services', () => {
    expect(loadConfig({ HOST: 'my_gateway.internal' }).host).toBe('my_gateway.internal');
  });

  it('reports every bad tenant of TENANTS_FILE, each under TENANTS_FILE with its place, merged with the rest', () => {
    const tenants = tempFile('tenants.yaml', `
tenants:
  acme:
    customers: { url: https://customers.acme.example }
    stripe: { secretKey: pk_test_not-a-secret-key }
    hubspot: { accessToken: pat-acme, oauth: { clientId: app, clientSecret: s, refreshToken: r } }
  globex:
    customers: { url: https://customers.globex.example, token: globex-token, tokenFile: /nonexistent }
    stripe: { secretKeyFile: /nonexistent/stripe-key }
    hubspot: { accessToken: pat-globex }
  initech:
    customers: { url: https://customers.initech.example, token: t }
    stripe: { secretKey: sk_test_initech }
    hubspot: { accessToken: pat-initech }
`);
    const error = failure({ TENANTS_FILE: tenants, PORT: '-1' });
    expect(error.problems.map((problem) => `${problem.variable}: ${problem.message}`)).toEqual([
      'PORT: must be an integer from 0 to 65535, got "-1"',
      'TENANTS_FILE: tenants.acme.stripe.secretKey: must be a Stripe secret or restricted key (sk_test_…, sk_live_…)',
      'TENANTS_FILE: tenants.acme.customers: token (or tokenFile) is required',
      'TENANTS_FILE: tenants.acme.hubspot: set either accessToken or oauth, not both',
      'TENANTS_FILE: tenants.globex.stripe.secretKeyFile: cannot read /nonexistent/stripe-key: ENOENT',
      'TENANTS_FILE: tenants.globex.customers: set either token or tokenFile, not both',
    ]);
    expect(error.message).not.toMatch(/not-a-secret-key|globex-token/);
  });

  it('reports every problem of API_KEYS_FILE, each with its line\'s place', () => {
    const keys = tempFile('keys.yaml', `
keys:
  - { client: dash, tenant: sample, scopes: [customers:read], sha256: ${'a'.repeat(64)} }
  - { client: bad client, tenant: nowhere, scopes: [customers:read], sha256: ${'b'.repeat(64)} }
  - { client: ops, tenant: sample, scopes: [everything], sha256: short }
`);
    expect(failure({ API_KEYS_FILE: keys }).problems.map((problem) => `${problem.variable}: ${problem.message.split(':')[0]}`)).toEqual([
      'API_KEYS_FILE: keys.1.client',
      'API_KEYS_FILE: keys.1.tenant',
      'API_KEYS_FILE: keys.2.scopes.0',
      'API_KEYS_FILE: keys.2.sha256',
    ]);
    const twice = tempFile('keys.yaml', `keys:\n${['dash', 'ops'].map((client) => `  - { client: ${client}, tenant: sample, scopes: [customers:read], sha256: ${'c'.repeat(64)} }\n`).join('')}`);
    expect(failure({ API_KEYS_FILE: twice }).problems).toEqual([{ variable: 'API_KEYS_FILE', message: 'keys.1.sha256: the same key is listed twice' }]);
  });
});

describe('CONFIG_KEYS, the documentation of every variable', () => {
  it('is the schema\'s own list, every variable with a description', () => {
    expect(Object.keys(CONFIG_KEYS)).toEqual(Object.keys(ENV_SCHEMA.shape));
    for (const [name, description] of Object.entries(CONFIG_KEYS)) expect(description.length, name).toBeGreaterThan(10);
  });

  it('covers every variable loadConfig reads (besides the NAME_FILE of a secret NAME)', () => {
    const read = new Set<string>();
    const watched = (env: Record<string, string>) =>
      new Proxy(env, {
        get: (target, name) => {
          if (typeof name === 'string') read.add(name);
          return target[name as string];
        },
      });
    loadConfig(watched({}));
    loadConfig(watched({ ...REMOTE, STRIPE_WEBHOOK_SECRETS: 'whsec_x', METRICS_TOKEN: 'a-long-enough-scrape-token', JWT_JWKS_URL: 'https://issuer.example/jwks', JWT_ISSUER: 'i', JWT_AUDIENCE: 'a' }));
    const documented = new Set(Object.keys(CONFIG_KEYS));
    const undocumented = [...read].filter((name) => !documented.has(name) && !(name.endsWith('_FILE') && documented.has(name.slice(0, -'_FILE'.length))));
    expect(undocumented).toEqual([]);
    expect(read.size).toBeGreaterThan(documented.size);
  });
});
