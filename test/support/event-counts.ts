/** One provider's webhook and effect counters, as `gateway.events.counters.snapshot()` and /readyz show them. */
export interface ProviderEventCounts {
  received: number;
  stored: number;
  duplicates: number;
  unavailable: number;
  refused: Record<string, number>;
  effects: Record<string, number>;
}

const EMPTY: ProviderEventCounts = { received: 0, stored: 0, duplicates: 0, unavailable: 0, refused: {}, effects: {} };

/** A provider's counts from a snapshot, zeros when it has counted nothing yet. */
export function countsOf(snapshot: Record<string, unknown>, provider: string): ProviderEventCounts {
  const counts = snapshot[provider] as Partial<ProviderEventCounts> | undefined;
  return { ...structuredClone(EMPTY), ...structuredClone(counts ?? {}) };
}

/** What was counted between two snapshots of one provider's counts (zero entries left out of the maps). */
export function countedSince(before: ProviderEventCounts, after: ProviderEventCounts): ProviderEventCounts {
  const map = (a: Record<string, number>, b: Record<string, number>) =>
    Object.fromEntries(Object.keys(b).flatMap((key) => (b[key]! - (a[key] ?? 0) === 0 ? [] : [[key, b[key]! - (a[key] ?? 0)]])));
  return {
    received: after.received - before.received,
    stored: after.stored - before.stored,
    duplicates: after.duplicates - before.duplicates,
    unavailable: after.unavailable - before.unavailable,
    refused: map(before.refused, after.refused),
    effects: map(before.effects, after.effects),
  };
}

/** Adds several instances' counts (e.g. what two gateways on one Redis counted together). */
export function sumCounts(...all: ProviderEventCounts[]): ProviderEventCounts {
  const map = (maps: Array<Record<string, number>>) => {
    const sum: Record<string, number> = {};
    for (const counts of maps) for (const [key, value] of Object.entries(counts)) sum[key] = (sum[key] ?? 0) + value;
    return sum;
  };
  return {
    received: all.reduce((n, c) => n + c.received, 0),
    stored: all.reduce((n, c) => n + c.stored, 0),
    duplicates: all.reduce((n, c) => n + c.duplicates, 0),
    unavailable: all.reduce((n, c) => n + c.unavailable, 0),
    refused: map(all.map((c) => c.refused)),
    effects: map(all.map((c) => c.effects)),
  };
}
