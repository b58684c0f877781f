import { Kind, parse, type GraphQLFieldResolver } from 'graphql';
import { isScope, type Scope } from '../auth/principal.ts';
import { ForbiddenError } from '../errors.ts';
import type { ResolverContext } from './resolver-context.ts';

type FieldResolver = GraphQLFieldResolver<unknown, ResolverContext>;
type ResolverMap = Record<string, unknown>;

/**
 * Enforces `@requiresScope(scope:)` from the schema: each such field's resolver (or the default
 * one, a property read) is wrapped to refuse with FORBIDDEN, before it runs, for a principal
 * without the scope. The field is then null with the error at its path; its siblings resolve.
 * Done on the resolver map rather than with a schema transform because Apollo Server builds the
 * schema itself from typeDefs and resolvers, and this keeps the schema exactly as written.
 */
export function guardScopes<R extends object>(typeDefs: string, resolvers: R): R {
  const guarded: Record<string, ResolverMap> = { ...(resolvers as Record<string, ResolverMap>) };
  for (const definition of parse(typeDefs, { noLocation: true }).definitions) {
    if (definition.kind !== Kind.OBJECT_TYPE_DEFINITION && definition.kind !== Kind.OBJECT_TYPE_EXTENSION) continue;
    for (const field of definition.fields ?? []) {
      const directive = field.directives?.find((d) => d.name.value === 'requiresScope');
      if (!directive) continue;
      const argument = directive.arguments?.find((a) => a.name.value === 'scope')?.value;
      const scope = argument?.kind === Kind.STRING ? argument.value : undefined;
      const where = `${definition.name.value}.${field.name.value}`;
      if (scope === undefined || !isScope(scope)) throw new TypeError(`@requiresScope on ${where} names an unknown scope: ${JSON.stringify(scope)}`);
      const type = (guarded[definition.name.value] = { ...guarded[definition.name.value] });
      type[field.name.value] = guardField(scope, type[field.name.value], field.name.value);
    }
  }
  return guarded as R;
}

/**
 * A field's resolver is a function, or an object with `resolve` and, on a subscription field,
 * `subscribe`: that one is guarded too, so nothing is subscribed (no listener, no lookup) for a
 * principal without the scope. It fails with FORBIDDEN, which graphql-js answers as the
 * subscription's only result.
 */
function guardField(scope: Scope, resolver: unknown, name: string): unknown {
  if (typeof resolver !== 'object' || resolver === null) return requireScope(scope, (resolver as FieldResolver | undefined) ?? readProperty(name));
  const { subscribe, resolve } = resolver as { subscribe?: FieldResolver; resolve?: FieldResolver };
  return {
    ...resolver,
    resolve: requireScope(scope, resolve ?? readProperty(name)),
    ...(subscribe ? { subscribe: requireScope(scope, subscribe) } : {}),
  };
}

function requireScope(scope: Scope, resolve: FieldResolver): FieldResolver {
  return (parent, args, context, info) => {
    if (!context.principal.scopes.has(scope)) throw new ForbiddenError(scope);
    return resolve(parent, args, context, info);
  };
}

function readProperty(name: string): FieldResolver {
  return (parent) => (parent as Record<string, unknown> | null)?.[name];
}
