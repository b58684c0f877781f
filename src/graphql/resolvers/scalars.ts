import { GraphQLError, GraphQLScalarType, Kind } from 'graphql';
import { ErrorCode } from '../../errors.ts';

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$/;

function parseInstant(value: unknown): Date {
  const date = typeof value === 'string' && ISO_INSTANT.test(value) ? new Date(value) : null;
  if (date === null || Number.isNaN(date.getTime())) {
    throw new GraphQLError(`DateTime must be an ISO 8601 instant with a time zone: ${JSON.stringify(value)}`, {
      extensions: { code: ErrorCode.BadUserInput },
    });
  }
  return date;
}

/** Resolvers hand over Date objects; clients always see ISO 8601 in UTC with milliseconds. */
export const DateTime = new GraphQLScalarType<Date, string>({
  name: 'DateTime',
  serialize(value) {
    if (!(value instanceof Date) || Number.isNaN(value.getTime())) {
      throw new TypeError(`DateTime cannot represent ${String(value)}`);
    }
    return value.toISOString();
  },
  parseValue: parseInstant,
  parseLiteral(ast) {
    return parseInstant(ast.kind === Kind.STRING ? ast.value : undefined);
  },
});
