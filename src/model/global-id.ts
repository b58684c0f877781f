import { BadUserInputError } from '../errors.ts';
import type { NodeKind } from './types.ts';

const KINDS: ReadonlySet<string> = new Set<NodeKind>(['Customer', 'Payment', 'CrmContact', 'Deal']);

/**
 * Relay global ids: base64url of `<Type>:<provider id>`. Opaque to clients, but decodable here so
 * `Query.node` knows which provider to ask.
 */
export function toGlobalId(kind: NodeKind, id: string): string {
  return Buffer.from(`${kind}:${id}`, 'utf8').toString('base64url');
}

const idsOfModels: Record<NodeKind, WeakMap<object, string>> = { Customer: new WeakMap(), Payment: new WeakMap(), CrmContact: new WeakMap(), Deal: new WeakMap() };

/**
 * `toGlobalId` of a model, made once per model object: models of cached entities are shared by
 * every answer (mapped-once.ts), and a warm 50-customer page asked for ~600 of these, each a
 * Buffer and a base64 string (docs/performance.md, allocations).
 */
export function globalIdOf(kind: NodeKind, model: { readonly id: string }): string {
  const made = idsOfModels[kind];
  let id = made.get(model);
  if (id === undefined) made.set(model, (id = toGlobalId(kind, model.id)));
  return id;
}

export interface DecodedGlobalId {
  readonly kind: NodeKind;
  readonly id: string;
}

export function fromGlobalId(globalId: string, argument = 'id'): DecodedGlobalId {
  const decoded = /^[A-Za-z0-9_-]+$/.test(globalId) ? Buffer.from(globalId, 'base64url').toString('utf8') : '';
  const colon = decoded.indexOf(':');
  const kind = decoded.slice(0, colon);
  const id = decoded.slice(colon + 1);
  if (colon <= 0 || id.length === 0 || !KINDS.has(kind)) {
    throw new BadUserInputError(`Not a valid global id: ${JSON.stringify(globalId)}`, argument);
  }
  return { kind: kind as NodeKind, id };
}

/** Like fromGlobalId, but the id must be of one type (`Query.customer` takes only customers). */
export function expectGlobalId(globalId: string, kind: NodeKind, argument = 'id'): string {
  const decoded = fromGlobalId(globalId, argument);
  if (decoded.kind !== kind) {
    throw new BadUserInputError(`Expected a ${kind} id, got a ${decoded.kind} id`, argument);
  }
  return decoded.id;
}
