/** What an operation may ask for; every figure is checked before any resolver runs. */
export interface OperationLimits {
  /** Bytes of the whole HTTP body (Fastify's bodyLimit). */
  maxRequestBytes: number;
  /** UTF-8 bytes of the GraphQL document. */
  maxQueryBytes: number;
  /** Lexical tokens of the document. */
  maxTokens: number;
  /** Field nesting, fragments followed (graphql-armor's count). */
  maxDepth: number;
  maxAliases: number;
  /** Fields at the root of one operation, fragments followed. */
  maxRootFields: number;
  maxDirectives: number;
  /** Estimated upstream calls + objects returned (src/graphql/limits/cost-estimate.ts). */
  maxCost: number;
  /** Characters of one String or ID argument value, literal or in variables. */
  maxStringLength: number;
  /** Nesting of lists and objects in the variables, the variables object itself counting 1. */
  maxVariablesDepth: number;
}

/**
 * The defaults follow graphql-armor's (tokens 1000, aliases 15, directives 50, cost 5000) except
 * where our own pages need more:
 * - depth 10, not armor's 6: the Customer 360 page is 8 deep through its connections
 *   (customers → edges → node → payments → edges → node → amount → amount) and one more hop
 *   (a payment's customer) must still fit; the cost limit, not depth, is what stops a deep cycle.
 * - cost 5000: Customer 360 with first: 50 estimates about 2200 (59 calls, about 2100 objects),
 *   with first: 100 about 4300; a deep cycle or a huge alias fan-out is orders of magnitude more.
 * - query bytes 16 KiB: Customer 360 is about 1 KiB; armor's character limit is 15 000.
 * - request body 1 MiB (Fastify's own default, now explicit): the document plus variables, and
 *   `nodes(ids)` takes at most 100 ids.
 * - strings 1024 characters: an email is at most 254, ids and cursors are well under 100; nothing
 *   longer is a valid argument, and a 900 KB one reached providers (which answered 431).
 * - variables depth 10: our deepest input is `ids: [ID!]!`, depth 2.
 * - root fields 10: a page needs one or two; ten lookups side by side are plenty.
 */
export const LIMIT_DEFAULTS: OperationLimits = {
  maxRequestBytes: 1024 * 1024, // 1 MiB
  maxQueryBytes: 16 * 1024, // 16 KiB
  maxTokens: 1000,
  maxDepth: 10,
  maxAliases: 15,
  maxRootFields: 10,
  maxDirectives: 50,
  maxCost: 5000,
  maxStringLength: 1024,
  maxVariablesDepth: 10,
};
