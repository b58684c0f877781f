import { describe, expect, it } from 'vitest';
import { CONFIG_KEYS, ConfigError, loadConfig } from '../../../src/config.ts';
import { LIMIT_DEFAULTS } from '../../../src/graphql/limits/operation-limits.ts';

describe('the operation limits configuration', () => {
  it('defaults to LIMIT_DEFAULTS and reads every key from the environment', () => {
    expect(loadConfig({}).limits).toEqual(LIMIT_DEFAULTS);
    const limits = loadConfig({ MAX_QUERY_COST: '9000', MAX_QUERY_DEPTH: '12', MAX_REQUEST_BYTES: '2048', MAX_STRING_ARGUMENT_LENGTH: '300' }).limits;
    expect(limits).toMatchObject({ maxCost: 9000, maxDepth: 12, maxRequestBytes: 2048, maxStringLength: 300 });
    for (const key of ['MAX_REQUEST_BYTES', 'MAX_QUERY_BYTES', 'MAX_QUERY_TOKENS', 'MAX_QUERY_DEPTH', 'MAX_QUERY_ALIASES', 'MAX_ROOT_FIELDS', 'MAX_QUERY_DIRECTIVES', 'MAX_QUERY_COST', 'MAX_STRING_ARGUMENT_LENGTH', 'MAX_VARIABLES_DEPTH']) {
      expect(Object.keys(CONFIG_KEYS)).toContain(key);
    }
  });

  it('names the variable of a bad value', () => {
    expect(() => loadConfig({ MAX_QUERY_DEPTH: '0' })).toThrow(ConfigError);
    expect(() => loadConfig({ MAX_QUERY_COST: 'lots' })).toThrow(/MAX_QUERY_COST/);
  });
});
