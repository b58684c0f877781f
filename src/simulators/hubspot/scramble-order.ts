/**
 * HubSpot's batch results do not follow the order of `inputs`. Sorting by a hash of the id gives
 * an order that is unrelated to the input yet the same on every run, so a client that matches
 * results to inputs by position fails deterministically instead of by luck.
 */
export function scrambleOrder<T>(items: readonly T[], idOf: (item: T) => string): T[] {
  return [...items].sort((a, b) => fnv1a(idOf(a)) - fnv1a(idOf(b)));
}

function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return hash >>> 0;
}
