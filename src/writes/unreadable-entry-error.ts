/**
 * A write store found a value under one of its keys that it did not write (a hand-made key, a
 * newer format under the same version, a truncated value). Thrown rather than read as "nothing
 * there": for an idempotency key that would let a request run twice.
 */
export class UnreadableEntryError extends Error {
  readonly code = 'WRITE_STORE_ENTRY_UNREADABLE';

  constructor(what: string) {
    super(`unreadable ${what}: not in the format this store writes`);
    this.name = 'UnreadableEntryError';
  }
}
