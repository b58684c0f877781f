/**
 * Asks `probe` until it holds, a few milliseconds apart, at most `tries` times; throws if it
 * never does. For what arrives asynchronously with no event to await (a pub/sub message taken
 * by another instance): the test states the outcome, not how long it may take.
 */
export async function eventually(probe: () => Promise<boolean>, tries = 300): Promise<void> {
  for (let i = 0; i < tries; i += 1) {
    if (await probe()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`the condition did not hold after ${tries} tries`);
}
