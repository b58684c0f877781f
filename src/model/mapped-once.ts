/**
 * A mapper that maps each provider object once. The in-process entity store hands the same
 * wire object to every read, so without this a warm Customer 360 page built its ~600 models
 * (and their Dates) again on every request: CPU, and garbage the collector then had to sweep
 * (docs/performance.md). Keyed weakly by the wire object, so a model lives exactly as long as
 * the cache entry it came from; a changed entity is a new wire object (events and fetches replace
 * entries, never edit them), so it is mapped afresh. Models are read-only (model/types.ts).
 */
export function mappedOnce<W extends object, M>(map: (wire: W) => M): (wire: W) => M {
  const made = new WeakMap<W, M>();
  return (wire) => {
    let model = made.get(wire);
    if (model === undefined) {
      model = map(wire);
      made.set(wire, model);
    }
    return model;
  };
}
