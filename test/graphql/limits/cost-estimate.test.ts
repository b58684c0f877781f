import { buildSchema, Kind, parse, type FragmentDefinitionNode, type OperationDefinitionNode } from 'graphql';
import { describe, expect, it } from 'vitest';
import { estimateCost } from '../../../src/graphql/limits/cost-estimate.ts';
import { loadTypeDefs } from '../../../src/graphql/type-defs.ts';
import { CUSTOMER_360 } from '../../support/queries.ts';

const schema = buildSchema(loadTypeDefs());

function estimate(query: string, variables: Record<string, unknown> = {}) {
  const document = parse(query);
  const operation = document.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION)!;
  const fragments = new Map(document.definitions.flatMap((d) => (d.kind === Kind.FRAGMENT_DEFINITION ? [[d.name.value, d] as [string, FragmentDefinitionNode]] : [])));
  return estimateCost(schema, operation, fragments, variables);
}

describe('the cost estimate', () => {
  it('counts one customer-service call for a page, and every object of it', () => {
    // CustomerConnection 1, edges 2, nodes 2.
    expect(estimate('{ customers(first: 2) { edges { node { id } } } }')).toEqual({ cost: 6, calls: 1, objects: 5 });
  });

  it('sizes a page by its default first when the argument is absent', () => {
    // 1 connection + 20 edges + 20 nodes.
    expect(estimate('{ customers { edges { node { id } } } }')).toEqual({ cost: 42, calls: 1, objects: 41 });
  });

  it('sizes a page by its default first when the argument is null or its variable is left out, as the resolver does', () => {
    // A client cannot shrink the estimate of a default page (20 customers) to one by saying null.
    const page = { cost: 42, calls: 1, objects: 41 };
    expect(estimate('{ customers(first: null) { edges { node { id } } } }')).toEqual(page);
    expect(estimate('query($n: Int) { customers(first: $n) { edges { node { id } } } }')).toEqual(page);
    expect(estimate('query($n: Int) { customers(first: $n) { edges { node { id } } } }', { n: null })).toEqual(page);
  });

  it('reads first from the variables, and multiplies nested pages by it', () => {
    const query = 'query($n: Int!, $m: Int = 3) { customers(first: $n) { edges { node { payments(first: $m) { edges { node { id } } } } } } }';
    // Calls: 1 page + 1 Stripe list per customer (4). Objects: 1 + 4 edges + 4 nodes + 4 payment
    // connections + 12 edges + 12 payments.
    expect(estimate(query, { n: 4 })).toEqual({ cost: 42, calls: 5, objects: 37 });
  });

  it('follows named and inline fragments, with HubSpot batch reads shared by up to 100 customers', () => {
    const query = `
      { customers(first: 2) { edges { ...Edge } } }
      fragment Edge on CustomerEdge { node { ... on Customer { crmContact { id } deals(first: 5) { edges { node { id } } } } } }`;
    // Calls: 1 page; crmContact 2 batch reads; deals 3 batch reads + 1 deals read for 10 deals.
    // Objects: 1 + 2 + 2, 2 contacts, 2 deal connections, 10 edges, 10 deals.
    expect(estimate(query)).toEqual({ cost: 36, calls: 7, objects: 29 });
  });

  it('counts one call per id of nodes(ids), and sizes what is under it by their number', () => {
    const query = 'query($ids: [ID!]!) { nodes(ids: $ids) { id ... on Customer { payments(first: 2) { edges { node { id } } } } } }';
    // Calls: 3 lookups + 3 Stripe lists. Objects: 3 nodes, 3 connections, 6 edges, 6 payments.
    expect(estimate(query, { ids: ['a', 'b', 'c'] })).toEqual({ cost: 24, calls: 6, objects: 18 });
    expect(estimate('{ nodes(ids: ["a", "b"]) { id } }')).toEqual({ cost: 4, calls: 2, objects: 2 });
  });

  it('counts lookups by id like any other call', () => {
    expect(estimate('{ payment(id: "x") { id customer { id } } }')).toEqual({ cost: 4, calls: 2, objects: 2 });
  });

  it('puts the Customer 360 page with first: 50 well under the default limit', () => {
    // Calls: 1 page, 50 Stripe lists, 2 contact batch reads, 3 + 3 for deals (250 deals).
    const figure = estimate(CUSTOMER_360, { first: 50 });
    expect(figure.calls).toBe(59);
    expect(figure).toEqual({ cost: 2161, calls: 59, objects: 2102 });
  });

  it('puts a deep customers → payments → customer cycle far over it', () => {
    let inner = 'id';
    for (let level = 0; level < 4; level += 1) inner = `payments(first: 100) { edges { node { customer { ${inner} } } } }`;
    expect(estimate(`{ customers(first: 100) { edges { node { ${inner} } } } }`).cost).toBeGreaterThan(1e10);
  });

  it('stops on a fragment cycle instead of recursing forever (validation rejects the document)', () => {
    const query = 'query { ...A } fragment A on Query { ...B } fragment B on Query { ...A payment(id: "x") { id } }';
    expect(estimate(query)).toEqual({ cost: 2, calls: 1, objects: 1 });
  });

  it('stays linear on fragments that spread the next one twice, sixty deep', () => {
    const fragments = Array.from({ length: 60 }, (_, i) => `fragment F${i} on Query { ...F${i + 1} ...F${i + 1} }`).join('\n');
    const query = `query { ...F0 } ${fragments} fragment F60 on Query { payment(id: "x") { id } }`;
    expect(estimate(query)).toEqual({ cost: 2 ** 61, calls: 2 ** 60, objects: 2 ** 60 });
  });
});
