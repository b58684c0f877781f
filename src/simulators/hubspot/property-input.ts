import { isPlainObject } from '../shared/read-body.ts';
import type { SimRequest, SimResponse } from '../shared/sim-request.ts';
import { hubspotError } from './hubspot-error.ts';
import { HUBSPOT_PORTAL_ID } from './hubspot-webhooks.ts';

/** One property HubSpot refuses, with the code its validation errors carry. */
export interface PropertyProblem {
  name: string;
  code: 'PROPERTY_DOESNT_EXIST' | 'INVALID_OPTION' | 'READ_ONLY_VALUE' | 'REQUIRED_PROPERTY' | 'INVALID_DATETIME';
  message: string;
}

/** What the API lets a writer set on one object type. */
export interface PropertySchema {
  /** Every property a write may name. */
  writable: ReadonlySet<string>;
  /** Properties the portal computes; naming one in a write is READ_ONLY_VALUE. */
  readOnly: ReadonlySet<string>;
  /** Enumeration properties and their allowed internal values (the empty string clears them). */
  options: Readonly<Record<string, readonly string[]>>;
}

export type PropertyInput = { properties: Record<string, string | null> } | { problems: PropertyProblem[] } | { invalid: string };

/**
 * The `properties` object of a write: strings (numbers and booleans as HubSpot converts them),
 * null to clear. Read-only properties are refused; with a schema (the API's writes) so are unknown
 * properties and values outside an enumeration's options, all of them at once as HubSpot reports
 * them. Without one (`POST /_sim/mutate`, a change in the CRM's UI) custom properties are welcome.
 */
export function parsePropertyInput(raw: unknown, readOnly: ReadonlySet<string>, schema?: PropertySchema): PropertyInput {
  if (!isPlainObject(raw) || Object.keys(raw).length === 0) return { invalid: '"properties" must be an object with at least one property' };
  const properties: Record<string, string | null> = {};
  const problems: PropertyProblem[] = [];
  for (const [name, value] of Object.entries(raw)) {
    if (value === null || typeof value === 'string') properties[name] = value;
    else if (typeof value === 'number' || typeof value === 'boolean') properties[name] = String(value);
    else return { invalid: `Property "${name}" must be a string, a number, a boolean or null` };
    if (readOnly.has(name) || schema?.readOnly.has(name)) {
      problems.push({ name, code: 'READ_ONLY_VALUE', message: `Property "${name}" is a read only property; its value cannot be set.` });
      continue;
    }
    if (!schema) continue;
    if (!schema.writable.has(name)) {
      problems.push({ name, code: 'PROPERTY_DOESNT_EXIST', message: `Property "${name}" does not exist` });
      continue;
    }
    const allowed = schema.options[name];
    const set = properties[name];
    if (allowed && set !== null && set !== undefined && set !== '' && !allowed.includes(set)) {
      problems.push({ name, code: 'INVALID_OPTION', message: `${set} was not one of the allowed options: [${allowed.join(', ')}]` });
    }
  }
  return problems.length > 0 ? { problems } : { properties };
}

/**
 * HubSpot's answer to refused property values: 400 VALIDATION_ERROR whose `message` embeds the
 * legacy validation results and whose `errors` hold one entry per property with its `code` and
 * `context.propertyName`, as captured from the API (e.g. `{"message":"Property \"description\"
 * does not exist","code":"PROPERTY_DOESNT_EXIST","context":{"propertyName":["description"]}}`).
 */
export function propertyValidationError(req: Pick<SimRequest, 'requestId'>, problems: readonly PropertyProblem[]): SimResponse {
  const legacy = problems.map(({ name, code, message }) => ({
    isValid: false, message, error: code, name, localizedErrorMessage: message, portalId: HUBSPOT_PORTAL_ID,
  }));
  return hubspotError(req, 400, 'VALIDATION_ERROR', `Property values were not valid: ${JSON.stringify(legacy)}`, {
    errors: problems.map(({ name, code, message }) => ({ message, code, context: { propertyName: [name] } })),
  });
}

/** A PropertyInput that failed, as the response to send. */
export function refusedInput(req: Pick<SimRequest, 'requestId'>, input: Exclude<PropertyInput, { properties: unknown }>): SimResponse {
  if ('problems' in input) return propertyValidationError(req, input.problems);
  return hubspotError(req, 400, 'VALIDATION_ERROR', input.invalid);
}
