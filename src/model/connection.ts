import { BadUserInputError } from '../errors.ts';

export interface Edge<T> {
  readonly cursor: string;
  readonly node: T;
}

export interface Connection<T> {
  readonly edges: Edge<T>[];
  readonly pageInfo: {
    readonly hasNextPage: boolean;
    readonly hasPreviousPage: boolean;
    readonly startCursor: string | null;
    readonly endCursor: string | null;
  };
}

/** What only the builder of a page knows: where it sits among its source's items. */
export interface PagePosition {
  /** The most edges the page holds. Nodes past it are not returned; they show a next page exists. */
  readonly first: number;
  /** The source has more after `nodes`, though `nodes` does not show it (a provider's `has_more`). */
  readonly hasMore?: boolean;
  /** The page starts after an item (an `after` cursor), so one precedes it. */
  readonly hasPreviousPage: boolean;
}

/**
 * A page of `nodes` as a Relay connection (https://relay.dev/graphql/connections.htm). Builders may
 * read one node past `first` to learn whether a next page exists without a second call; that node
 * only sets `hasNextPage`. Each edge's cursor names its node's id within `scope`.
 */
export function toConnection<T extends { readonly id: string }>(scope: string, nodes: readonly T[], position: PagePosition): Connection<T> {
  const edges = nodes.slice(0, position.first).map((node) => ({ cursor: cursorOf(scope, node), node }));
  return {
    edges,
    pageInfo: {
      hasNextPage: (position.hasMore ?? false) || nodes.length > position.first,
      hasPreviousPage: position.hasPreviousPage,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
  };
}

export const MAX_PAGE_SIZE = 100;

/** `first` as the schema allows it: 0…100. */
export function checkFirst(first: number | null | undefined, fallback: number): number {
  const value = first ?? fallback;
  if (!Number.isInteger(value) || value < 0 || value > MAX_PAGE_SIZE) {
    throw new BadUserInputError(`first must be between 0 and ${MAX_PAGE_SIZE}: ${value}`, 'first');
  }
  return value;
}

const cursorsByScope = new Map<string, WeakMap<object, string>>();

/** A node's cursor, made once per node object: cached entities' models are shared by every answer. */
function cursorOf(scope: string, node: { readonly id: string }): string {
  let cursors = cursorsByScope.get(scope);
  if (!cursors) cursorsByScope.set(scope, (cursors = new WeakMap()));
  let cursor = cursors.get(node);
  if (cursor === undefined) cursors.set(node, (cursor = encodeCursor(scope, node.id)));
  return cursor;
}

/** Cursors are base64url of `<scope>:<id>`, so a payments cursor is refused by `deals`. */
export function encodeCursor(scope: string, id: string): string {
  return Buffer.from(`${scope}:${id}`, 'utf8').toString('base64url');
}

export function decodeCursor(scope: string, cursor: string | null | undefined): string | null {
  if (cursor === null || cursor === undefined) return null;
  const decoded = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!decoded.startsWith(`${scope}:`) || decoded.length === scope.length + 1) {
    throw new BadUserInputError(`Not a valid cursor for this connection: ${JSON.stringify(cursor)}`, 'after');
  }
  return decoded.slice(scope.length + 1);
}
