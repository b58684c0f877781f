/**
 * The `after` token of a v4 associations page. HubSpot's is opaque: base64 of a position, with its
 * `=` percent-encoded (the changelog's example input is `{"id": "1001", "after":
 * "MC0yLTE1OTc0MDA2NTg%3D"}`, https://developers.hubspot.com/changelog/bug-fix-batch-read-limit-for-hubspot-associations-api).
 * Ours has the same form, so a client that treats it as an object id, or decodes it, breaks here
 * as it would against HubSpot.
 */
export function encodeAfter(typeId: number, lastToId: string): string {
  return encodeURIComponent(Buffer.from(`${typeId}-${lastToId}`, 'utf8').toString('base64'));
}

/** The last associated id the token points past, or undefined when it is not one of ours. */
export function decodeAfter(token: string): string | undefined {
  let base64: string;
  try {
    base64 = decodeURIComponent(token);
  } catch {
    return undefined;
  }
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(base64)) return undefined;
  return /^\d+-(\d+)$/.exec(Buffer.from(base64, 'base64').toString('utf8'))?.[1];
}

/** One page of ids (ascending) after `afterId`, and the id the next page starts past, if any. */
export function pageAfter(ids: readonly string[], afterId: string | undefined, size: number): { page: string[]; last?: string } {
  const rest = afterId === undefined ? ids : ids.filter((id) => BigInt(id) > BigInt(afterId));
  const page = rest.slice(0, size);
  return rest.length > size ? { page, last: page[page.length - 1] } : { page };
}
