import { isIP } from 'node:net';
import { z } from 'zod';
import { TENANT_ID } from '../auth/tenants-file.ts';
import { parsePolicyOverrides } from '../upstream/cache/cache-policy.ts';

/**
 * Zod fields for environment variables, one builder per kind of value. Each reads the raw string
 * (unset and blank are the same: the fallback) and either returns the value or adds one issue
 * whose message completes "NAME: …". Messages echo a value only where it cannot be a secret.
 */

class Refusal {
  constructor(readonly message: string) {}
}

const refuse = (message: string) => new Refusal(message);
/** A value as a message shows it, user info (`//user:secret@`, `user:pw@host:port`) masked: a URL that did not parse may still hold a password. */
const quoted = (raw: string) => JSON.stringify(raw.replace(/^([a-z][a-z\d+.-]*:\/\/)?[^/?#@\s]*@/i, '$1…@'));

function variable<T, F>(fallback: F, parse: (raw: string) => T | Refusal) {
  return z
    .string()
    .optional()
    .transform((input, ctx): T | F => {
      const raw = input?.trim();
      if (!raw) return fallback;
      const value = parse(raw);
      if (value instanceof Refusal) {
        ctx.addIssue({ code: 'custom', message: value.message });
        return z.NEVER;
      }
      return value;
    });
}

/** Free text (a name, a claim, a path), trimmed. */
export const text = <F extends string | undefined>(fallback: F) => variable(fallback, (raw) => raw);

/**
 * A secret: declared here so that it is documented and its presence seen, but read (with its
 * `NAME_FILE` alternative) by src/config/secrets.ts, which never echoes it.
 */
export const secret = () => text(undefined);

export const integer = <F extends number | undefined>(fallback: F, min: number, max: number) =>
  variable(fallback, (raw) => (/^\d+$/.test(raw) && Number(raw) >= min && Number(raw) <= max ? Number(raw) : refuse(`must be an integer from ${min} to ${max}, got ${quoted(raw)}`)));

/** Milliseconds that are whole seconds: RateLimit-Policy states its window in seconds. */
export const wholeSeconds = (fallback: number) =>
  variable(fallback, (raw) => {
    if (!/^\d+$/.test(raw) || Number(raw) < 1000 || Number(raw) > 86_400_000) return refuse(`must be an integer from 1000 to 86400000, got ${quoted(raw)}`);
    return Number(raw) % 1000 === 0 ? Number(raw) : refuse(`must be whole seconds in ms (a multiple of 1000), got ${quoted(raw)}`);
  });

const DECIMAL = /^\d*\.?\d+$/;

export const decimal = (fallback: number, min: number, max: number) =>
  variable(fallback, (raw) => (DECIMAL.test(raw) && Number(raw) >= min && Number(raw) <= max ? Number(raw) : refuse(`must be a number from ${min} to ${max}, got ${quoted(raw)}`)));

/** A share in (0, 1]. */
export const fraction = (fallback: number) =>
  variable(fallback, (raw) => (DECIMAL.test(raw) && Number(raw) > 0 && Number(raw) <= 1 ? Number(raw) : refuse(`must be a number above 0 and at most 1, got ${quoted(raw)}`)));

/** A share in (0, 1): a breaker that opens only at 100% failures never opens on a partial outage. */
export const openFraction = (fallback: number) =>
  variable(fallback, (raw) => (DECIMAL.test(raw) && Number(raw) > 0 && Number(raw) < 1 ? Number(raw) : refuse(`must be above 0 and below 1, got ${quoted(raw)}`)));

export const boolean = <F extends boolean | undefined>(fallback: F) =>
  variable(fallback, (raw) => {
    const lower = raw.toLowerCase();
    if (lower === 'true' || lower === '1') return true;
    if (lower === 'false' || lower === '0') return false;
    return refuse(`must be true or false, got ${quoted(raw)}`);
  });

export const oneOf = <const T extends string, F extends T | undefined>(values: readonly T[], fallback: F) =>
  variable(fallback, (raw) => ((values as readonly string[]).includes(raw) ? (raw as T) : refuse(`must be one of ${values.join(', ')}, got ${quoted(raw)}`)));

/** `on` or `off`, as a boolean. */
export const onOff = (fallback: boolean) =>
  variable(fallback, (raw) => (raw === 'on' || raw === 'off' ? raw === 'on' : refuse(`must be one of on, off, got ${quoted(raw)}`)));

/**
 * An interface to listen on: an IP address, or a host name by RFC 1123 §2.1 (labels of letters,
 * digits and inner hyphens), underscores allowed too: Docker names containers and compose
 * services with them, and resolvers answer for such names. Checked here because a bad one otherwise surfaces at bind time as
 * `getaddrinfo ENOTFOUND` with no word of which variable held it.
 */
export const host = (fallback: string) =>
  variable(fallback, (raw) => (isIP(raw) !== 0 || isHostName(raw) ? raw : refuse(`must be an IP address or a host name (RFC 1123), got ${quoted(raw)}`)));

function isHostName(raw: string): boolean {
  const name = raw.endsWith('.') ? raw.slice(0, -1) : raw;
  return name.length <= 253 && name.split('.').every((label) => /^[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$/.test(label));
}

/** An absolute http(s) URL without user info: credentials belong in the token variables. */
export const httpUrl = <F extends string | undefined>(fallback: F) =>
  variable(fallback, (raw) => {
    const parsed = parseUrl(raw);
    if (!parsed) return refuse(`must be an absolute http(s) URL, got ${quoted(raw)}`);
    if (parsed.username || parsed.password) return refuse('must not carry credentials; use the token variable');
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return refuse(`must be an http or https URL, got ${quoted(raw)}`);
    return raw;
  });

/** An OTLP/HTTP endpoint. Not echoed when it carries user info: a collector's URL may hold a token. */
export const otlpUrl = () =>
  variable(undefined, (raw) => {
    const parsed = parseUrl(raw);
    if (!parsed) return refuse(`must be an absolute http(s) URL, got ${quoted(raw)}`);
    if (parsed.username || parsed.password) return refuse('must not carry credentials; use OTEL_EXPORTER_OTLP_HEADERS');
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return refuse(`must be an http or https URL (OTLP/HTTP), got ${quoted(parsed.protocol)}`);
    return raw;
  });

/** The value may hold a password: never echoed. */
export const redisUrl = () =>
  variable(undefined, (raw) => {
    const protocol = parseUrl(raw)?.protocol;
    return protocol === 'redis:' || protocol === 'rediss:' ? raw : refuse('must be a redis:// or rediss:// URL');
  });

export const clusterNodes = () =>
  variable(undefined, (raw) => {
    const nodes = raw.split(',').map((node) => node.trim());
    for (const node of nodes) {
      const match = /^([\w.-]+|\[[\da-fA-F:]+\]):(\d{1,5})$/.exec(node);
      if (!match || Number(match[2]) < 1 || Number(match[2]) > 65535) return refuse(`must be a comma-separated list of host:port, got ${quoted(node)}`);
    }
    return nodes;
  });

export const keyPrefix = (fallback: string) =>
  variable(fallback, (raw) => (/^[\w.-]{1,64}$/.test(raw) ? raw : refuse(`must be 1–64 letters, digits, '.', '_' or '-', got ${quoted(raw)}`)));

/** Kept as written (the entity cache parses it again against its defaults); checked here. */
export const cachePolicy = () =>
  variable('', (raw) => {
    try {
      parsePolicyOverrides(raw);
      return raw;
    } catch (error) {
      return refuse((error as Error).message);
    }
  });

const DEFAULT_REDACT_FIELDS = ['email', 'name', 'firstname', 'lastname', 'phone'];

export const redactFields = () =>
  variable(DEFAULT_REDACT_FIELDS, (raw) => {
    if (raw.toLowerCase() === 'none') return [];
    const fields = raw.split(',').map((field) => field.trim().toLowerCase()).filter((field) => field !== '');
    const bad = fields.find((field) => !/^[a-z0-9_-]{1,64}$/.test(field));
    if (bad !== undefined || fields.length === 0) return refuse(`must be none or a comma-separated list of field names (letters, digits, _ or -), got ${quoted(bad ?? raw)}`);
    return fields;
  });

export const currency = (fallback: string) =>
  variable(fallback, (raw) => (/^[A-Za-z]{3}$/.test(raw) ? raw.toUpperCase() : refuse(`must be an ISO 4217 currency code, got ${quoted(raw)}`)));

export const tenantId = () =>
  variable(undefined, (raw) => (TENANT_ID.test(raw) ? raw : refuse(`must be 1–63 lower-case letters, digits, - or _, got ${quoted(raw)}`)));

export const corsOrigins = () =>
  variable([] as string[], (raw) => {
    const origins = raw.split(',').map((origin) => origin.trim()).filter((origin) => origin !== '');
    const bad = origins.find((origin) => (origin === '*' ? origins.length > 1 : !isOrigin(origin)));
    return bad === undefined ? origins : refuse(`must be * alone or a comma-separated list of origins like https://app.example.com, got ${quoted(bad)}`);
  });

function isOrigin(raw: string): boolean {
  const parsed = parseUrl(raw);
  return parsed !== undefined && (parsed.protocol === 'http:' || parsed.protocol === 'https:') && parsed.origin === raw;
}

/** Asymmetric only: with HS*, anyone who can verify a token could also mint one. */
export const jwtAlgorithms = () =>
  variable(['RS256', 'PS256', 'ES256', 'EdDSA'], (raw) => {
    const algorithms = raw.split(',').map((alg) => alg.trim());
    const bad = algorithms.find((alg) => !/^(RS|PS|ES)(256|384|512)$|^EdDSA$|^Ed25519$/.test(alg));
    return bad === undefined ? algorithms : refuse(`only asymmetric algorithms (RS*, PS*, ES*, EdDSA) are accepted, got ${quoted(bad)}`);
  });

export const metricsSwitch = () =>
  variable(true, (raw) => {
    const lower = raw.toLowerCase();
    if (lower === 'on' || lower === 'true') return true;
    if (lower === 'off' || lower === 'false') return false;
    return refuse(`must be on or off, got ${quoted(raw)}`);
  });

function parseUrl(raw: string): URL | undefined {
  try {
    return new URL(raw);
  } catch {
    return undefined;
  }
}
