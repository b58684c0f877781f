import { ApolloArmor } from '@escape.tech/graphql-armor';
import type { ApolloServerPlugin } from '@apollo/server';
import { GraphQLError, Kind, type ASTNode, type ASTVisitor, type SelectionNode, type ValidationContext, type ValidationRule, type ValueNode } from 'graphql';
import { BadUserInputError, ErrorCode } from '../../errors.ts';
import { OperationLimitError, UnsupportedRequestError, type LimitCode } from './operation-limit-error.ts';
import type { OperationLimits } from './operation-limits.ts';

/**
 * A limit error as graphql-js wants it from a rule. Apollo relabels every validation error
 * GRAPHQL_VALIDATION_FAILED (with HTTP 400) but keeps `originalError`, and the error boundary
 * (src/server/format-error.ts) answers with the original's own code and figures.
 */
function report(context: ValidationContext, error: Error, nodes?: readonly ASTNode[]): void {
  context.reportError(new GraphQLError(error.message, { originalError: error, ...(nodes ? { nodes } : {}) }));
}

/**
 * graphql-armor's rules report "Aliases limit of 15 exceeded, found 5000." and nothing else on
 * rejection: the figure is read back from that message (pinned by test/graphql/limits with this
 * armor version), so clients get it as a number.
 */
function armorRejection(code: LimitCode, figure: string, maximum: number, what: string) {
  return (context: ValidationContext | null, error: { message: string }) => {
    if (!context) return;
    const found = /found (\d+)/.exec(error.message);
    const measured = found ? Number(found[1]) : maximum + 1;
    const max = `max${figure[0]!.toUpperCase()}${figure.slice(1)}`;
    report(context, new OperationLimitError(code, `${what} ${measured} is over the limit of ${maximum}`, { [figure]: measured, [max]: maximum }));
  };
}

export interface LimitRules {
  validationRules: ValidationRule[];
  /** Apollo plugins armor needs (field suggestions hidden in production). */
  plugins: ApolloServerPlugin[];
}

/** The document's limits, as validation rules: they run before any resolver, on every new document. */
export function limitRules(limits: OperationLimits, production: boolean): LimitRules {
  const armor = new ApolloArmor({
    maxDepth: { n: limits.maxDepth, propagateOnRejection: false, onReject: [armorRejection(ErrorCode.QueryTooDeep, 'depth', limits.maxDepth, 'Query depth')] },
    maxAliases: { n: limits.maxAliases, propagateOnRejection: false, onReject: [armorRejection(ErrorCode.TooManyAliases, 'aliases', limits.maxAliases, 'Aliases')] },
    maxDirectives: { n: limits.maxDirectives, propagateOnRejection: false, onReject: [armorRejection(ErrorCode.TooManyDirectives, 'directives', limits.maxDirectives, 'Directives')] },
    // Tokens are counted before Apollo parses (src/server/request-limits.ts): armor's Apollo
    // plugin throws from parsingDidStart, which Apollo 5 answers with a 500.
    maxTokens: { enabled: false },
    // The cost is ours (cost-estimate.ts): it needs the variables, which rules do not see.
    costLimit: { enabled: false },
    blockFieldSuggestion: { enabled: production },
  }).protect();
  return {
    validationRules: [...armor.validationRules, rootFieldsRule(limits.maxRootFields), supportedOperationRule, stringLiteralRule(limits.maxStringLength)],
    plugins: armor.plugins as ApolloServerPlugin[],
  };
}

/**
 * Root fields of each operation, fragments on the root followed (armor has no such rule). Rules
 * run side by side with NoFragmentCyclesRule, so a spread already on the path is not followed
 * again; a fragment's count is kept, so fragments spreading the next one twice stay linear.
 */
export function rootFieldsRule(maxRootFields: number): ValidationRule {
  return (context) => {
    const counted = new Map<string, number>();
    const count = (selections: readonly SelectionNode[], path: ReadonlySet<string>): number => {
      let fields = 0;
      for (const selection of selections) {
        if (selection.kind === Kind.FIELD) fields += 1;
        else if (selection.kind === Kind.INLINE_FRAGMENT) fields += count(selection.selectionSet.selections, path);
        else {
          const name = selection.name.value;
          const fragment = context.getFragment(name);
          if (!fragment || path.has(name)) continue;
          let inFragment = counted.get(name);
          if (inFragment === undefined) {
            inFragment = count(fragment.selectionSet.selections, new Set(path).add(name));
            counted.set(name, inFragment);
          }
          fields += inFragment;
        }
      }
      return fields;
    };
    return {
      OperationDefinition(operation) {
        const fields = count(operation.selectionSet.selections, new Set());
        if (fields <= maxRootFields) return;
        report(context, new OperationLimitError(ErrorCode.TooManyRootFields, `Root fields ${fields} are over the limit of ${maxRootFields}`, { rootFields: fields, maxRootFields }), [operation]);
      },
    };
  };
}

/**
 * `mutation { __typename }` passes graphql-js's validation when the schema has no Mutation type,
 * and only execution notices (an internal error): refuse it here with a clear code.
 */
export const supportedOperationRule: ValidationRule = (context) => ({
  OperationDefinition(operation) {
    if (context.getSchema().getRootType(operation.operation)) return;
    report(context, new UnsupportedRequestError(ErrorCode.OperationNotSupported, `This gateway serves no ${operation.operation} operations yet`), [operation]);
  },
});

/** String literals in arguments, before anything could forward them upstream. */
export function stringLiteralRule(maxLength: number): ValidationRule {
  // Literals nest no deeper than the document's tokens allow, so recursion is safe here.
  const longest = (value: ValueNode): number => {
    let most = 0;
    if (value.kind === Kind.STRING) most = value.value.length;
    else if (value.kind === Kind.LIST) for (const item of value.values) most = Math.max(most, longest(item));
    else if (value.kind === Kind.OBJECT) for (const field of value.fields) most = Math.max(most, longest(field.value));
    return most;
  };
  return (context): ASTVisitor => ({
    Argument(argument) {
      const length = longest(argument.value);
      if (length <= maxLength) return;
      const name = argument.name.value;
      report(context, new BadUserInputError(`${name} is ${length} characters long; arguments take at most ${maxLength}`, name), [argument]);
    },
  });
}
