import type { BreakerStateName, Telemetry, UpstreamAttempt } from '../telemetry.ts';
import type { ProviderName } from '../errors.ts';
import type { PersonalDataRedactor } from './personal-data-redactor.ts';

/**
 * How much of a provider's error body a line keeps: its error code and message. Cut after
 * masking: masking a cut body would miss the address the cut went through.
 */
export const MAX_LOGGED_ERROR_BODY_CHARS = 1024;

/** The part of a pino logger this sink writes with. */
export interface LogWriter {
  warn(fields: object, message: string): void;
  info(fields: object, message: string): void;
}

/**
 * The logs' view of the upstream pipeline: one warn line per failed attempt, with what a
 * provider's support asks for (their own request id: Stripe's `request-id`, HubSpot's
 * correlation id) and the gateway request it served (`reqId`, the label Fastify gives its request
 * lines), and one line per circuit change (warn when it opens). Nothing for successes, cache
 * lookups or refusals: those are counted by metrics, and a refusal follows an `open` line already
 * written. This is the only place upstream failures are logged; the GraphQL error boundary
 * does not log them again per field (src/server/format-error.ts).
 */
export function logTelemetry(log: LogWriter, redactor: PersonalDataRedactor): Telemetry {
  return {
    upstreamAttempt(attempt: UpstreamAttempt) {
      if (attempt.errorCode === undefined) return;
      log.warn(
        {
          ...(attempt.requestId === undefined ? {} : { reqId: attempt.requestId }),
          provider: attempt.provider,
          tenant: attempt.tenant,
          resource: attempt.resource,
          method: attempt.method,
          path: attempt.path,
          status: attempt.status ?? null,
          errorCode: attempt.errorCode,
          attempt: attempt.attempt,
          durationMs: Math.round(attempt.durationMs),
          providerRequestId: attempt.providerRequestId ?? null,
          ...(attempt.errorBody ? { errorBody: redactor.redact(attempt.errorBody).slice(0, MAX_LOGGED_ERROR_BODY_CHARS) } : {}),
        },
        `${attempt.provider} call failed: ${attempt.errorCode}`,
      );
    },
    upstreamRefused() {},
    quotaWaited() {},
    breakerChanged(provider: ProviderName, tenant: string, from: BreakerStateName, to: BreakerStateName) {
      const fields = { provider, tenant, from, to };
      if (to === 'open') log.warn(fields, `${provider} circuit opened: calls are paused`);
      else log.info(fields, to === 'closed' ? `${provider} circuit closed: calls resume` : `${provider} circuit half-open: probing`);
    },
    cacheLookup() {},
  };
}
