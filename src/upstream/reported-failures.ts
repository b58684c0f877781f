/**
 * Failures the pipeline already told telemetry about, one per attempt: the error boundary, which
 * sees one error for every field a failed batch fed (a HubSpot outage gave 181 lines for 7
 * requests), leaves these to the attempt's own log line. Weak: an error is forgotten with it.
 */
const reported = new WeakSet<Error>();

export function markReported(error: Error): void {
  reported.add(error);
}

export function wasReported(error: unknown): boolean {
  return error instanceof Error && reported.has(error);
}
