import type { Faults } from './fault-injector.ts';
import { isPlainObject } from './read-body.ts';

/** A bad `POST /_sim/faults` body; the message names the offending field. */
export class FaultValidationError extends Error {
  readonly code = 'SIM_INVALID_FAULTS';
}

const RATE_FIELDS = ['errorRate', 'malformedRate', 'truncateRate', 'resetRate', 'resetAfterRate'] as const;
const FLAG_FIELDS = ['outage', 'expireTokens'] as const;
const KNOWN_FIELDS = new Set<string>(['latencyMs', 'errorStatus', 'rateLimit', 'associationPageSize', 'resetAfterNext', ...RATE_FIELDS, ...FLAG_FIELDS]);
/** HubSpot's v4 associations `limit` maximum; no page is ever larger. */
const MAX_ASSOCIATION_PAGE = 500;

/** Checks a faults body field by field and throws FaultValidationError on the first bad one. */
export function parseFaults(input: unknown): Faults {
  if (!isPlainObject(input)) throw new FaultValidationError('faults must be a JSON object');
  for (const field of Object.keys(input)) {
    if (!KNOWN_FIELDS.has(field)) throw new FaultValidationError(`unknown fault field: ${field}`);
  }
  const faults: Faults = {};
  if (input.latencyMs !== undefined) faults.latencyMs = integerIn('latencyMs', input.latencyMs, 0, 120_000);
  if (input.errorStatus !== undefined) faults.errorStatus = integerIn('errorStatus', input.errorStatus, 400, 599);
  if (input.resetAfterNext !== undefined) faults.resetAfterNext = integerIn('resetAfterNext', input.resetAfterNext, 0, 1_000_000);
  if (input.associationPageSize !== undefined) {
    faults.associationPageSize = integerIn('associationPageSize', input.associationPageSize, 1, MAX_ASSOCIATION_PAGE);
  }
  for (const field of RATE_FIELDS) {
    const value = input[field];
    if (value === undefined) continue;
    if (typeof value !== 'number' || !(value >= 0 && value <= 1)) {
      throw new FaultValidationError(`${field} must be a number between 0 and 1: ${JSON.stringify(value)}`);
    }
    faults[field] = value;
  }
  for (const field of FLAG_FIELDS) {
    const value = input[field];
    if (value === undefined) continue;
    if (typeof value !== 'boolean') throw new FaultValidationError(`${field} must be a boolean: ${JSON.stringify(value)}`);
    faults[field] = value;
  }
  if (input.rateLimit !== undefined) {
    const rateLimit = input.rateLimit;
    if (!isPlainObject(rateLimit)) throw new FaultValidationError('rateLimit must be an object {limit, windowMs}');
    faults.rateLimit = {
      limit: integerIn('rateLimit.limit', rateLimit.limit, 1, 1_000_000),
      windowMs: integerIn('rateLimit.windowMs', rateLimit.windowMs, 1, 86_400_000),
    };
  }
  return faults;
}

function integerIn(field: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new FaultValidationError(`${field} must be an integer from ${min} to ${max}: ${JSON.stringify(value)}`);
  }
  return value;
}
