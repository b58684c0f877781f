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
