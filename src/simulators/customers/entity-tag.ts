import type { CustomerRecord } from '../dataset/dataset.ts';

/** `W/"cust_0001-v3"`: weak, because the JSON serialisation is not byte-stable. */
export function customerEtag(record: Pick<CustomerRecord, 'id' | 'version'>): string {
  return `W/"${record.id}-v${record.version}"`;
}

/**
 * RFC 9110 §13.1.2: `If-None-Match` is `*` or a list of entity tags, compared weakly (only the
 * opaque tags must match, `W/` is ignored). Tags are matched by pattern rather than split on
 * commas, because a comma is a legal character inside an opaque tag.
 */
export function ifNoneMatchMatches(header: string, etag: string): boolean {
  return listMatchesWeakly(header, etag);
}

/**
 * `If-Match` on a write: `*` or a list of entity tags. RFC 9110 §13.1.1 asks for the strong
 * comparison, under which our weak tags could never match. We compare weakly on purpose: a tag
 * is `<id>-v<version>`, it names one version of the record, so the weak tag a GET handed out
 * says exactly which version the writer saw (docs/providers/customers.md, "Conditional writes").
 */
export function ifMatchMatches(header: string, etag: string): boolean {
  return listMatchesWeakly(header, etag);
}

function listMatchesWeakly(header: string, etag: string): boolean {
  if (header.trim() === '*') return true;
  const wanted = opaqueTag(etag);
  for (const match of header.matchAll(/(?:W\/)?"([^"]*)"/g)) {
    if (match[1] === wanted) return true;
  }
  return false;
}

/** Weak comparison of two single entity tags (RFC 9110 §8.8.3.2). */
export function weakEquals(a: string, b: string): boolean {
  const left = opaqueTag(a);
  return left !== undefined && left === opaqueTag(b);
}

function opaqueTag(tag: string): string | undefined {
  return /^\s*(?:W\/)?"([^"]*)"\s*$/.exec(tag)?.[1];
}
