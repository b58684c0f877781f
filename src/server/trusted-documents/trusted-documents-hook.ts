import type { FastifyBaseLogger, FastifyInstance, FastifyRequest } from 'fastify';
import { publicErrorOf } from '../../errors.ts';
import { sha256Hex, type TrustedOperation } from './trusted-manifest.ts';
import { TrustedDocuments, type RequestedDocument, type TrustedDocumentsMode } from './trusted-documents.ts';

export interface TrustedDocumentsOptions {
  mode: Exclude<TrustedDocumentsMode, 'off'>;
  operations: readonly TrustedOperation[];
  log: FastifyBaseLogger;
  /** The GraphQL route (default /graphql). */
  path?: string;
  /** Distinct unlisted hashes remembered for allow mode's log-once; forgotten all at once past this. */
  maxRemembered?: number;
}

const DEFAULTS = {
  path: '/graphql',
  maxRemembered: 10_000,
};

/**
 * Checks every GraphQL request against the manifest in a `preValidation` hook: after the body is
 * parsed, before the result cache's `preHandler` could replay an answer and before Apollo parses
 * anything. A listed request is rewritten to carry exactly the listed body and no persisted query
 * extension, so Apollo (and the result cache) see an ordinary request; a refused one is answered
 * here in the shape of a GraphQL error response.
 */
export function registerTrustedDocuments(fastify: FastifyInstance, options: TrustedDocumentsOptions): TrustedDocuments {
  const { path, maxRemembered } = { ...DEFAULTS, ...options };
  const documents = new TrustedDocuments(options.mode, options.operations);
  const logged = new Set<string>();
  fastify.addHook('preValidation', async (request, reply) => {
    if (request.routeOptions.url !== path) return;
    const requested = requestedDocumentOf(request);
    if (requested === undefined) return;
    const verdict = documents.judge(requested);
    switch (verdict.kind) {
      case 'pass':
        return;
      case 'listed':
        rewrite(request, verdict.operation.body);
        return;
      case 'unlisted':
        // Once per distinct operation, and never its text: bodies and variables may hold personal data.
        if (!logged.has(verdict.hash)) {
          if (logged.size >= maxRemembered) logged.clear();
          logged.add(verdict.hash);
          options.log.warn({ operationHash: loggable(verdict.hash) }, 'an operation outside the trusted documents manifest ran (TRUSTED_DOCUMENTS=allow)');
        }
        return;
      case 'refused': {
        const { message, extensions } = publicErrorOf(verdict.error)!;
        return reply.code(verdict.error.status).type('application/json; charset=utf-8').send(JSON.stringify({ errors: [{ message, extensions }] }));
      }
    }
  });
  return documents;
}

// Private: what a POST body or GET query string asks for; undefined for what Apollo refuses on
// its own without executing anything (batches, which are off, and bodies that are not JSON).
function requestedDocumentOf(request: FastifyRequest): RequestedDocument | undefined {
  const source = request.method === 'GET' ? getParams(request) : request.body;
  if (typeof source !== 'object' || source === null || Array.isArray(source)) return undefined;
  const { query, extensions, documentId } = source as Record<string, unknown>;
  const sha256Hash = (extensions as { persistedQuery?: { sha256Hash?: unknown } } | undefined)?.persistedQuery?.sha256Hash;
  return {
    ...(typeof query === 'string' ? { query } : {}),
    ...(typeof sha256Hash === 'string' ? { sha256Hash } : {}),
    ...(typeof documentId === 'string' ? { documentId } : {}),
  };
}

function getParams(request: FastifyRequest): Record<string, unknown> {
  const params = new URL(request.url, 'http://gateway').searchParams;
  const extensions = params.has('extensions') ? safeJSON(params.get('extensions')!) : undefined;
  return { query: params.get('query') ?? undefined, documentId: params.get('documentId') ?? undefined, extensions };
}

/**
 * The listed body in place of what came, without `documentId` and the persisted query extension.
 * A GET's parameters are rewritten in the raw URL, since the Apollo integration reads its query
 * string from there.
 */
function rewrite(request: FastifyRequest, body: string): void {
  if (request.method === 'GET') {
    const url = new URL(request.url, 'http://gateway');
    url.searchParams.set('query', body);
    url.searchParams.delete('documentId');
    const extensions = withoutPersistedQuery(url.searchParams.has('extensions') ? safeJSON(url.searchParams.get('extensions')!) : undefined);
    if (extensions === undefined) url.searchParams.delete('extensions');
    else url.searchParams.set('extensions', JSON.stringify(extensions));
    request.raw.url = `${url.pathname}${url.search}`;
    return;
  }
  const { documentId: _documentId, extensions, ...rest } = request.body as Record<string, unknown>;
  const kept = withoutPersistedQuery(extensions);
  request.body = { ...rest, query: body, ...(kept === undefined ? {} : { extensions: kept }) };
}

function withoutPersistedQuery(extensions: unknown): Record<string, unknown> | undefined {
  if (typeof extensions !== 'object' || extensions === null) return undefined;
  const { persistedQuery: _persistedQuery, ...rest } = extensions as Record<string, unknown>;
  return Object.keys(rest).length > 0 ? rest : undefined;
}

function safeJSON(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** A client-chosen id is logged only when it looks like an id; anything else by its hash. */
function loggable(hash: string): string {
  return /^[\w:.-]{1,128}$/.test(hash) ? hash : `sha256:${sha256Hex(hash)}`;
}
