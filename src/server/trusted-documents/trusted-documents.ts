import { sha256Hex, type TrustedOperation } from './trusted-manifest.ts';
import { UntrustedOperationError } from './untrusted-operation-error.ts';

export type TrustedDocumentsMode = 'off' | 'allow' | 'enforce';

/** What a GraphQL request names: its text, an APQ hash, a GraphQL-over-HTTP documentId. */
export interface RequestedDocument {
  query?: string;
  sha256Hash?: string;
  documentId?: string;
}

export type Verdict =
  /** Nothing to check (no query and no id): Apollo answers it (its own 400, or the landing page). */
  | { kind: 'pass' }
  /** A listed operation: run exactly its manifest body. */
  | { kind: 'listed'; operation: TrustedOperation }
  /** Not listed, in allow mode: run as sent; `hash` identifies it in the log. */
  | { kind: 'unlisted'; hash: string }
  | { kind: 'refused'; error: UntrustedOperationError };

/**
 * The manifest, indexed by id and by the SHA-256 of each body, and the rule for a request.
 * A request by id alone is resolved here to the listed body, so in enforce mode Apollo's APQ
 * cache is never consulted (and is switched off: registering a hash with a query would
 * otherwise let a client add its own operation).
 */
export class TrustedDocuments {
  private readonly byId = new Map<string, TrustedOperation>();
  private readonly byBodyHash = new Map<string, TrustedOperation>();

  constructor(
    readonly mode: Exclude<TrustedDocumentsMode, 'off'>,
    operations: readonly TrustedOperation[],
  ) {
    for (const operation of operations) {
      this.byId.set(operation.id, operation);
      this.byBodyHash.set(sha256Hex(operation.body), operation);
    }
  }

  judge(request: RequestedDocument): Verdict {
    if (request.query !== undefined && request.query !== '') {
      // The text decides, whatever id comes with it: a hash with an unlisted query is exactly
      // an APQ registration attempt.
      const hash = sha256Hex(request.query);
      const operation = this.byBodyHash.get(hash);
      if (operation) return { kind: 'listed', operation };
      return this.mode === 'enforce' ? { kind: 'refused', error: UntrustedOperationError.unlistedBody() } : { kind: 'unlisted', hash };
    }
    const ids = idsOf(request);
    const id = ids[0];
    if (id === undefined) return { kind: 'pass' };
    const operation = ids.map((each) => this.byId.get(each) ?? this.byBodyHash.get(each)).find((each) => each !== undefined);
    if (operation) return { kind: 'listed', operation };
    return this.mode === 'enforce' ? { kind: 'refused', error: UntrustedOperationError.unknownId() } : { kind: 'unlisted', hash: id };
  }
}

// Private: GraphQL-over-HTTP's persisted documents proposal prefixes hashes with `sha256:`
// (https://github.com/graphql/graphql-over-http/blob/main/rfcs/PersistedDocuments.md).
function idsOf({ sha256Hash, documentId }: RequestedDocument): string[] {
  if (documentId) return documentId.startsWith('sha256:') ? [documentId, documentId.slice('sha256:'.length)] : [documentId];
  return sha256Hash ? [sha256Hash] : [];
}
