/**
 * For providers without a batch endpoint: one call per key, all in flight together, each key
 * failing on its own. DataLoader takes an Error in the result array as that key's rejection.
 */
export function loadEach<K, V>(keys: readonly K[], load: (key: K) => Promise<V>): Promise<Array<V | Error>> {
  return Promise.all(keys.map((key) => load(key).catch((error: unknown) => (error instanceof Error ? error : new Error(String(error))))));
}
