import type { IncomingHttpHeaders } from 'node:http';

type CredentialHeaders = Record<string, string | string[] | undefined>;

const CREDENTIAL_NAMES = ['authorization', 'x-api-key'] as const;

/**
 * The credentials a WebSocket connection presents, as the headers the Authenticator reads:
 * `authorization` (`Bearer …`) or `x-api-key` from connection_init's payload (graphql-ws
 * `connectionParams`; browsers cannot set headers on a WebSocket), else from the upgrade request's
 * headers (server-side clients). Never both: a payload that names a credential is the only one
 * read, so a proxy's header cannot be mixed with a client's key. Names are matched ignoring case;
 * a name given twice (`Authorization` and `authorization`) or a value that is not a string is
 * refused like a header sent twice.
 */
export function credentialHeadersOf(connectionParams: Readonly<Record<string, unknown>> | undefined, upgradeHeaders: IncomingHttpHeaders): { headers: CredentialHeaders } | { refused: string } {
  const fromParams: Record<string, unknown[]> = {};
  for (const [name, value] of Object.entries(connectionParams ?? {})) {
    const lower = name.toLowerCase();
    if ((CREDENTIAL_NAMES as readonly string[]).includes(lower)) (fromParams[lower] ??= []).push(value);
  }
  if (Object.keys(fromParams).length === 0) {
    return { headers: Object.fromEntries(CREDENTIAL_NAMES.map((name) => [name, upgradeHeaders[name]])) };
  }
  const headers: CredentialHeaders = {};
  for (const [name, values] of Object.entries(fromParams)) {
    if (!values.every((value): value is string => typeof value === 'string')) return { refused: `connectionParams.${name} is not a string` };
    headers[name] = values.length === 1 ? values[0] : values;
  }
  return { headers };
}
