/**
 * Every timestamp in the dataset falls in this window, fixed so that the data never depends on
 * when the tests run. Dates after `endMs` appear only as deal close dates (expected closes).
 */
export const DATASET_WINDOW = {
  startMs: Date.UTC(2023, 0, 1),
  endMs: Date.UTC(2025, 5, 30),
} as const;

export const DAY_MS = 24 * 60 * 60 * 1000;

/** Whole seconds, because HTTP dates (Last-Modified) and Stripe's `created` have no fraction. */
export function floorToSecond(ms: number): number {
  return Math.floor(ms / 1000) * 1000;
}
