/**
 * A clock the memory stores read and a test moves, and the harness's `until` over it: time jumps
 * ahead a step between probes instead of passing.
 */
export function drivenClock(start = 1_700_000_000_000): { now: () => number; advance(ms: number): void; until(holds: () => Promise<boolean>): Promise<void> } {
  let now = start;
  const STEP_MS = 100;
  return {
    now: () => now,
    advance: (ms) => {
      now += ms;
    },
    until: async (holds) => {
      for (let i = 0; i < 10_000; i += 1) {
        if (await holds()) return;
        now += STEP_MS;
      }
      throw new Error('the condition did not hold after 1000 s of driven time');
    },
  };
}
