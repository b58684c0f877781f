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
    async reset(): Promise<void> {
      const response = await fetch(`${baseUrl}/_sim/reset`, { method: 'POST' });
      if (response.status !== 204) throw new Error(`reset answered ${response.status}`);
    },
  };
}
