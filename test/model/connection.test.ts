import { describe, expect, it } from 'vitest';
import { checkFirst, decodeCursor, toConnection } from '../../src/model/connection.ts';

const nodes = (...ids: string[]) => ids.map((id) => ({ id }));

describe('toConnection', () => {
  it('gives each edge a cursor that decodes to its node id, in its own scope only', () => {
    const page = toConnection('payment', nodes('ch_1', 'ch_2'), { first: 10, hasPreviousPage: false });
    expect(page.edges.map((edge) => edge.node.id)).toEqual(['ch_1', 'ch_2']);
    expect(page.edges.map((edge) => decodeCursor('payment', edge.cursor))).toEqual(['ch_1', 'ch_2']);
    expect(page.pageInfo.startCursor).toBe(page.edges[0]?.cursor);
    expect(page.pageInfo.endCursor).toBe(page.edges[1]?.cursor);
    expect(() => decodeCursor('deal', page.edges[0]?.cursor)).toThrow(expect.objectContaining({ code: 'BAD_USER_INPUT' }));
  });

  it('returns at most `first` edges; a node read past them only says a next page exists', () => {
    const page = toConnection('customer', nodes('a', 'b', 'c'), { first: 2, hasPreviousPage: false });
    expect(page.edges.map((edge) => edge.node.id)).toEqual(['a', 'b']);
    expect(page.pageInfo).toMatchObject({ hasNextPage: true, endCursor: page.edges[1]?.cursor });
  });

  it('has no next page when the nodes fit and the source has no more', () => {
    expect(toConnection('customer', nodes('a', 'b'), { first: 2, hasPreviousPage: false }).pageInfo.hasNextPage).toBe(false);
    expect(toConnection('customer', nodes('a', 'b'), { first: 2, hasMore: false, hasPreviousPage: false }).pageInfo.hasNextPage).toBe(false);
  });

  it('has a next page when the source says so, though the nodes end within the page', () => {
    const page = toConnection('deal', nodes('1'), { first: 2, hasMore: true, hasPreviousPage: true });
    expect(page.edges).toHaveLength(1);
    expect(page.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: true });
  });

  it('an empty page has no cursors', () => {
    expect(toConnection('deal', [], { first: 10, hasPreviousPage: true }).pageInfo).toEqual({
      hasNextPage: false,
      hasPreviousPage: true,
      startCursor: null,
      endCursor: null,
    });
  });

  it('first: 0 returns no edges but still tells whether anything follows', () => {
    const page = toConnection('customer', nodes('a'), { first: 0, hasPreviousPage: false });
    expect(page.edges).toEqual([]);
    expect(page.pageInfo).toMatchObject({ hasNextPage: true, startCursor: null, endCursor: null });
  });
});

describe('checkFirst', () => {
  it('takes the fallback when first is absent, and refuses anything outside 0…100 with BAD_USER_INPUT', () => {
    expect(checkFirst(undefined, 20)).toBe(20);
    expect(checkFirst(null, 10)).toBe(10);
    expect(checkFirst(0, 10)).toBe(0);
    expect(checkFirst(100, 10)).toBe(100);
    for (const bad of [-1, 101, 1.5]) {
      expect(() => checkFirst(bad, 10)).toThrow(expect.objectContaining({ code: 'BAD_USER_INPUT' }));
    }
  });
});
