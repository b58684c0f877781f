import { createRequire } from 'node:module';

/**
 * graphql-js as graphql-ws and @graphql-tools/schema load it: Node resolves their
 * `import 'graphql'` to its CommonJS build (the package has no `exports` map). Vite, under
 * vitest, resolves ours to its ESM build, and the two copies refuse each other's objects
 * ("Cannot use GraphQLSchema from another module or realm"; graphql-ws takes only its own
 * copy's GraphQLError for a refusal). Under Node it is one module either way; taking it with
 * `require` makes it one under vitest too. Types still come from `import type … from 'graphql'`.
 */
export const graphql = createRequire(import.meta.url)('graphql') as typeof import('graphql');
