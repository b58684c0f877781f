/**
 * A lease or ttl as the write stores keep it: whole milliseconds, at least one (Redis refuses
 * `PX 0`); anything else is the caller's bug, refused before it reaches a store.
 */
export function wholeMs(name: string, ms: number): number {
  if (!(Number.isFinite(ms) && ms > 0)) throw new TypeError(`${name} must be a positive number of milliseconds: ${ms}`);
  return Math.ceil(ms);
}
