import type { ApolloServerPlugin, GraphQLRequestListener } from '@apollo/server';
import type { FormattedExecutionResult } from 'graphql';
import type { ProviderName } from '../errors.ts';
import type { OperationContext } from './operation-context.ts';
import type { BreakerState } from '../upstream/resilience/circuit-breaker.ts';
import { UpstreamReport, type ProviderUsage } from '../upstream/upstream-report.ts';

type ReportJSON = Record<ProviderName, ProviderUsage & { breaker: BreakerState['kind'] }>;

/** The report as clients see it: usage per provider, with its breaker's state. */
export function upstreamReportJSON(report: UpstreamReport, breakers: Record<ProviderName, BreakerState>): ReportJSON {
  if (report.isEmpty) return zeroReportJSON(breakers);
  const usage = report.toJSON();
  return {
    customers: { ...usage.customers, breaker: breakers.customers.kind },
    stripe: { ...usage.stripe, breaker: breakers.stripe.kind },
    hubspot: { ...usage.hubspot, breaker: breakers.hubspot.kind },
  };
}

/**
 * The report of an operation that called nothing (`{ __typename }`, an answer from cached
 * entities): the same for every such operation until a breaker changes state, so it is made once
 * per combination of states and shared, frozen, by every answer that carries it.
 */
const zeroReports: Array<ReportJSON | undefined> = [];
const KINDS: Record<BreakerState['kind'], number> = { closed: 0, open: 1, 'half-open': 2 };

/** Each shared zero report by its first part, with its JSON without the closing brace (an estimate may follow). */
const zeroReportTexts = new WeakMap<object, { report: ReportJSON; text: string }>();

function zeroReportJSON(breakers: Record<ProviderName, BreakerState>): ReportJSON {
  // A number, not a string key: a key built per answer would be hashed per answer.
  const index = KINDS[breakers.customers.kind] * 9 + KINDS[breakers.stripe.kind] * 3 + KINDS[breakers.hubspot.kind];
  let report = zeroReports[index];
  if (!report) {
    const usage = new UpstreamReport().toJSON();
    report = deepFreeze({
      customers: { ...usage.customers, breaker: breakers.customers.kind },
      stripe: { ...usage.stripe, breaker: breakers.stripe.kind },
      hubspot: { ...usage.hubspot, breaker: breakers.hubspot.kind },
    });
    zeroReports[index] = report;
    zeroReportTexts.set(report.customers, { report, text: JSON.stringify(report).slice(0, -1) });
  }
  return report;
}

function deepFreeze<T extends object>(value: T): T {
  for (const inner of Object.values(value)) if (typeof inner === 'object' && inner !== null) deepFreeze(inner as object);
  return Object.freeze(value);
}

/**
 * Adds `extensions.upstream`: what the operation cost each provider, and the state of each
 * provider's circuit breaker (the principal's tenant's) when the answer left; and `estimate`, what
 * the limits plugin expected before execution (its `calls` an upper bound with nothing cached,
 * next to each provider's actual `calls`). Sum `calls` over the three providers by name, not over
 * every key.
 */
export function upstreamReportPlugin(breakers: (context: OperationContext) => Record<ProviderName, BreakerState>): ApolloServerPlugin<OperationContext> {
  // One listener for every request, and no promise of its own: it keeps no per-request state.
  const listener: GraphQLRequestListener<OperationContext> = {
    willSendResponse({ response, contextValue }) {
      if (response.body.kind !== 'single') return DONE;
      const result = response.body.singleResult;
      const estimate = contextValue.estimate;
      let upstream;
      try {
        upstream = upstreamReportJSON(contextValue.report, breakers(contextValue));
      } catch (error) {
        return Promise.reject(error as Error);
      }
      // Field by field: a spread of the report measured several times slower, on every answer.
      const value = estimate ? { customers: upstream.customers, stripe: upstream.stripe, hubspot: upstream.hubspot, estimate } : upstream;
      result.extensions = result.extensions ? { ...result.extensions, upstream: value } : { upstream: value };
      return DONE;
    },
  };
  const started = Promise.resolve(listener);
  return { requestDidStart: () => started };
}

const DONE: Promise<void> = Promise.resolve();

/**
 * Apollo's `stringifyResult`: the same text as its own (`JSON.stringify` and a newline), with a
 * shared zero report written from its JSON made once; serialising its 36 figures again was the
 * largest part of serialising a `{ __typename }` answer.
 */
export function stringifyResult(value: FormattedExecutionResult): string {
  const text = zeroReportText(value);
  if (text === undefined) return `${JSON.stringify(value)}\n`;
  const { extensions: _extensions, ...rest } = value;
  const head = JSON.stringify(rest);
  if (head === '{}') return `${JSON.stringify(value)}\n`;
  return `${head.slice(0, -1)},"extensions":{"upstream":${text}}}\n`;
}

/** The upstream extension's JSON, when it is all the extensions there are and holds a shared zero report. */
function zeroReportText(value: FormattedExecutionResult): string | undefined {
  const extensions = value.extensions;
  if (extensions === undefined || extensions === null) return undefined;
  // Spliced at the end: extensions must be the last field, as Apollo orders them, and the only extension.
  const fields = Object.keys(value);
  if (fields[fields.length - 1] !== 'extensions') return undefined;
  const names = Object.keys(extensions);
  if (names.length !== 1 || names[0] !== 'upstream') return undefined;
  const upstream = extensions['upstream'] as Partial<ReportJSON> & { estimate?: unknown };
  const zero = typeof upstream === 'object' && upstream !== null && upstream.customers ? zeroReportTexts.get(upstream.customers) : undefined;
  if (zero === undefined) return undefined;
  // Exactly the shared report's parts in its order, and nothing but an estimate after them.
  const parts = Object.keys(upstream);
  const expected = upstream.estimate === undefined ? ['customers', 'stripe', 'hubspot'] : ['customers', 'stripe', 'hubspot', 'estimate'];
  if (parts.length !== expected.length || parts.some((part, i) => part !== expected[i])) return undefined;
  if (upstream.stripe !== zero.report.stripe || upstream.hubspot !== zero.report.hubspot) return undefined;
  return upstream.estimate === undefined ? `${zero.text}}` : `${zero.text},"estimate":${JSON.stringify(upstream.estimate)}}`;
}
