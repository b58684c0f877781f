import { describe, expect, it } from 'vitest';
import { countTokens, jsonDepth, jsonTextDepth, longStringIn } from '../../../src/graphql/limits/request-checks.ts';

describe('the request checks', () => {
  it('measure 100,000 levels of nested arrays and objects without recursion', () => {
    const arrays = JSON.parse(`${'['.repeat(100_000)}${']'.repeat(100_000)}`) as unknown;
    const objects = JSON.parse(`${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}`) as unknown;
    expect(jsonDepth({ ids: arrays }, Number.POSITIVE_INFINITY)).toBe(100_001);
    expect(jsonDepth(objects, Number.POSITIVE_INFINITY)).toBe(100_000);
    expect(jsonDepth({ ids: ['a', 'b'] }, 10)).toBe(2);
    expect(jsonDepth(undefined, 10)).toBe(0);
  });

  it('measure the nesting of JSON text, brackets inside strings aside', () => {
    expect(jsonTextDepth(`{"ids":${'['.repeat(50_000)}${']'.repeat(50_000)}}`, Number.POSITIVE_INFINITY)).toBe(50_001);
    expect(jsonTextDepth('{"a":"[[[{{\\"[["}', 10)).toBe(1);
  });

  it('count tokens, and leave a document that does not lex to the parser', () => {
    expect(countTokens('{ customers(first: 2) { edges { node { id } } } }', 1000)).toBe(17);
    expect(countTokens('{ "unterminated }', 1000)).toBeUndefined();
  });

  it('find the variable holding a string past the cap, however nested', () => {
    expect(longStringIn({ ids: ['a', 'x'.repeat(11)] }, 10)).toEqual({ variable: 'ids', length: 11 });
    expect(longStringIn({ email: 'x'.repeat(10), first: 5 }, 10)).toBeUndefined();
  });
});
