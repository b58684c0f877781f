import { buildSchema, parse, specifiedRules, validate } from 'graphql';
import { describe, expect, it } from 'vitest';
import { publicErrorOf } from '../../../src/errors.ts';
import { LIMIT_DEFAULTS } from '../../../src/graphql/limits/operation-limits.ts';
import { limitRules } from '../../../src/graphql/limits/limit-rules.ts';
import { loadTypeDefs } from '../../../src/graphql/type-defs.ts';
import { CUSTOMER_360 } from '../../support/queries.ts';

const schema = buildSchema(loadTypeDefs());
const rules = limitRules(LIMIT_DEFAULTS, false).validationRules;

/** What a client would read in extensions, for each error the rules report. */
function check(query: string) {
  return validate(schema, parse(query), [...specifiedRules, ...rules]).map((error) => publicErrorOf(error.originalError)?.extensions ?? { message: error.message });
}

const customer360Body = CUSTOMER_360.slice(CUSTOMER_360.indexOf('customers(first: $first, after: $after)'), CUSTOMER_360.lastIndexOf('}'));

describe('the document limits', () => {
  it('let the Customer 360 page through', () => {
    expect(check(CUSTOMER_360)).toEqual([]);
  });

  it('refuse a deep customers → payments → customer cycle with its depth', () => {
    let inner = 'id';
    for (let level = 0; level < 4; level += 1) inner = `payments(first: 100) { edges { node { customer { ${inner} } } } }`;
    expect(check(`{ customers(first: 100) { edges { node { ${inner} } } } }`)).toEqual([{ code: 'QUERY_TOO_DEEP', depth: 20, maxDepth: 10 }]);
  });

  // 5,000 whole Customer 360 pages are 3.7 MB: the body limit refuses them before any parsing
  // (test/server/abuse.test.ts). Twenty of them fit the body; the rules count them here.
  it('refuse aliases of the Customer 360 page with their count', () => {
    const aliases = Array.from({ length: 20 }, (_, i) => `a${i}: ${customer360Body}`).join('\n');
    const errors = check(`query($first: Int!, $after: String) { ${aliases} }`);
    expect(errors).toContainEqual({ code: 'TOO_MANY_ALIASES', aliases: 20, maxAliases: 15 });
    expect(errors).toContainEqual({ code: 'TOO_MANY_ROOT_FIELDS', rootFields: 20, maxRootFields: 10 });
  });

  it('count 5,000 aliases exactly', () => {
    const aliases = Array.from({ length: 5000 }, (_, i) => `a${i}: hasNextPage`).join(' ');
    expect(check(`{ customers { pageInfo { ${aliases} } } }`)).toEqual([{ code: 'TOO_MANY_ALIASES', aliases: 5000, maxAliases: 15 }]);
  });

  it('count root fields of fragments that spread the next one twice, sixty deep, without walking 2^60 paths', () => {
    const fragments = Array.from({ length: 60 }, (_, i) => `fragment F${i} on Query { ...F${i + 1} ...F${i + 1} }`).join('\n');
    const errors = check(`query { ...F0 } ${fragments} fragment F60 on Query { __typename }`);
    expect(errors).toContainEqual({ code: 'TOO_MANY_ROOT_FIELDS', rootFields: 2 ** 60, maxRootFields: 10 });
  });

  it('refuse too many directives with their count', () => {
    const fields = Array.from({ length: 51 }, () => '__typename @include(if: true)').join(' ');
    expect(check(`{ customers { pageInfo { ${fields} } } }`)).toEqual([{ code: 'TOO_MANY_DIRECTIVES', directives: 51, maxDirectives: 50 }]);
  });

  it('answer a fragment cycle with a validation error, not endless recursion', () => {
    const errors = check('query { ...A } fragment A on Query { ...B customers { pageInfo { hasNextPage } } } fragment B on Query { ...A }');
    expect(errors).toEqual([{ message: 'Cannot spread fragment "A" within itself via "B".' }]);
  });

  it('count root fields through fragments', () => {
    const fields = Array.from({ length: 11 }, (_, i) => `f${i}: __typename`).join(' ');
    expect(check(`query { ...R } fragment R on Query { ${fields} }`)).toContainEqual({ code: 'TOO_MANY_ROOT_FIELDS', rootFields: 11, maxRootFields: 10 });
  });

  it('refuse operation types the schema has no root for', () => {
    // Mutations and subscriptions have roots now (schema/mutation.graphql, subscriptions.graphql);
    // a schema of queries only shows the rule.
    const queriesOnly = buildSchema('type Query { a: Int }');
    const errors = validate(queriesOnly, parse('mutation { __typename }'), [...specifiedRules, ...rules]).map((error) => publicErrorOf(error.originalError)?.extensions);
    expect(errors).toEqual([{ code: 'OPERATION_NOT_SUPPORTED' }]);
    expect(check('mutation { __typename }')).toEqual([]);
  });

  it('refuse a string literal past the length cap, naming its argument', () => {
    expect(check(`{ customers(email: "${'x'.repeat(1025)}") { pageInfo { hasNextPage } } }`)).toEqual([{ code: 'BAD_USER_INPUT', argument: 'email' }]);
    expect(check(`{ nodes(ids: ["a", "${'x'.repeat(2000)}"]) { id } }`)).toEqual([{ code: 'BAD_USER_INPUT', argument: 'ids' }]);
    expect(check(`{ customers(email: "${'x'.repeat(1024)}") { pageInfo { hasNextPage } } }`)).toEqual([]);
  });
});
