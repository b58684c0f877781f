import type { Faults, SimStats } from '../../src/simulators/index.ts';

/** The `/_sim/*` admin API of one simulator, as tests drive it. */
export function simAdmin(baseUrl: string) {
  return {
    async stats(): Promise<SimStats> {
      return (await (await fetch(`${baseUrl}/_sim/stats`)).json()) as SimStats;
    },
    async faults(faults: Faults): Promise<Response> {
      return fetch(`${baseUrl}/_sim/faults`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(faults),
      });
    },
    /** `POST /_sim/mutate`: a change made outside the API, announced by webhook. */
    async mutate(body: Record<string, unknown>): Promise<Response> {
      return fetch(`${baseUrl}/_sim/mutate`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    },
    /** `POST /_sim/webhooks`: where webhooks go, and the retry schedule. */
    async webhooks(config: unknown): Promise<Response> {
      return fetch(`${baseUrl}/_sim/webhooks`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(config),
      });
    },
    async reset(): Promise<void> {
      const response = await fetch(`${baseUrl}/_sim/reset`, { method: 'POST' });
      if (response.status !== 204) throw new Error(`reset answered ${response.status}`);
    },
  };
}
