import { describe, expect, it } from 'vitest';
import type { AloneLatency } from '../../bench/alone-latency.ts';
import type { LoadResult } from '../../bench/measure-load.ts';
import { duration, latestRunLine, markers, renderSoakSection, renderTablesSection, replaceSection, sectionOf } from '../../bench/readme-tables.ts';
import { aloneLatencyTable, ratiosTable, upstreamUse, type BenchResults, type Measurement } from '../../bench/report.ts';
import type { SoakResults } from '../../bench/soak.ts';
import { summarizeSoak } from '../../bench/soak-stats.ts';
import { SYSTEMS, type SystemId } from '../../bench/systems.ts';
import type { WorkloadId } from '../../bench/workloads.ts';

const NO_TRAFFIC = { requests: 0, bytes: 0, rateLimited: 0, byStatus: {} };

function load(requestsPerSecond: number): LoadResult {
  return {
    durationSeconds: 15,
    sent: requestsPerSecond * 15,
    responses: requestsPerSecond * 15,
    requestsPerSecond,
    latencyMs: { p50: 1, p99: 2, mean: 1, max: 3 },
    errors: { total: 0, http: 0, graphql: 0, network: 0 },
    responseBytes: 0,
  };
}

function ok(system: SystemId, workload: WorkloadId, requestsPerSecond: number, alone?: AloneLatency): Measurement {
  return {
    system,
    label: SYSTEMS[system].label,
    workload,
    status: 'ok',
    load: load(requestsPerSecond),
    operations: requestsPerSecond * 15,
    upstream: upstreamUse({ customers: NO_TRAFFIC, stripe: NO_TRAFFIC, hubspot: NO_TRAFFIC }, requestsPerSecond * 15),
    aloneCalls: { customers: 1, stripe: 1, hubspot: 3 },
    peakRssBytes: 200 * 2 ** 20,
    ...(alone ? { alone } : {}),
  };
}

const LIMITS = { customers: { limit: 100_000, windowMs: 1000 }, stripe: { limit: 100_000, windowMs: 1000 }, hubspot: { limit: 100_000, windowMs: 1000 } };

function results(systems: SystemId[], measurements: Measurement[]): BenchResults {
  return {
    schemaVersion: 1,
    commit: '0123456789abcdef',
    startedAt: '2026-11-29T06:00:00.000Z',
    finishedAt: '2026-11-29T06:09:08.000Z',
    elapsedSeconds: 548,
    machine: { cpus: 2, cpuModel: 'AMD EPYC', memoryGiB: 23.5, node: 'v20.20.2', os: 'linux 6 x64' },
    options: { quick: false, latencyMs: 20, warmupSeconds: 5, durationSeconds: 15, connections: 10, systems, workloads: ['W2', 'W3'], nodeArgs: [], compiled: false, aloneRuns: 20 },
    workloads: [
      { id: 'W2', title: 'one customer with everything', summary: 'one customer.', limits: LIMITS, floor: { roundTrips: 4, why: 'the chain' } },
      { id: 'W3', title: 'Customer 360, random pages', summary: 'random pages.', limits: LIMITS, floor: { roundTrips: 4, why: 'as W1' } },
    ],
    results: measurements,
  };
}

const ALL: SystemId[] = ['ceiling', 'naive', 'datasource-rest', 'tributary-cold', 'tributary-warm', 'tributary-redis'];
const RUN = results(ALL, [
  ok('ceiling', 'W2', 40_000, { samplesMs: [1, 1, 1], medianMs: 1, p90Ms: 1, floorMs: 80, overFloorMs: null }),
  ok('naive', 'W2', 100, { samplesMs: [90, 91, 95], medianMs: 91, p90Ms: 94.2, floorMs: 80, overFloorMs: 11 }),
  ok('datasource-rest', 'W2', 125),
  ok('tributary-cold', 'W2', 80, { samplesMs: [82.5, 83, 84], medianMs: 83, p90Ms: 83.8, floorMs: 80, overFloorMs: 3 }),
  ok('tributary-warm', 'W2', 20_000),
  ok('tributary-redis', 'W2', 10_000),
  ok('ceiling', 'W3', 6000),
  ok('naive', 'W3', 15),
  { system: 'datasource-rest', label: 'datasource-rest', workload: 'W3', status: 'failed', reason: 'exited' },
  { system: 'tributary-cold', label: 'tributary (cold)', workload: 'W3', status: 'skipped', reason: 'warm only' },
  ok('tributary-warm', 'W3', 1200),
  ok('tributary-redis', 'W3', 600),
]);

describe('the ratios of Tributary to every peer', () => {
  it('divides tributary (warm)\'s and tributary (Redis)\'s rate by each peer\'s, "—" where a peer was not measured', () => {
    const lines = ratiosTable(RUN)?.split('\n') ?? [];
    expect(lines[0]).toBe('| workload | system | req/s | ÷ ceiling | ÷ naive | ÷ datasource-rest | ÷ tributary (cold) | ÷ tributary (warm) |');
    expect(lines.slice(2)).toEqual([
      '| W2 | tributary (warm) | 20 000 | 0.5× | 200× | 160× | 250× | 1× |',
      '| W2 | tributary (warm, Redis) | 10 000 | 0.25× | 100× | 80× | 125× | 0.5× |',
      '| W3 | tributary (warm) | 1 200 | 0.2× | 80× | — | — | 1× |',
      '| W3 | tributary (warm, Redis) | 600 | 0.1× | 40× | — | — | 0.5× |',
    ]);
  });

  it('has columns only for the peers that ran, and no table without Tributary (warm) or Redis', () => {
    const two = results(['ceiling', 'tributary-warm'], [ok('ceiling', 'W2', 1000), ok('tributary-warm', 'W2', 250)]);
    expect(ratiosTable(two)?.split('\n')).toEqual(['| workload | system | req/s | ÷ ceiling | ÷ tributary (warm) |', '| --- | --- | ---: | ---: | ---: |', '| W2 | tributary (warm) | 250 | 0.25× | 1× |']);
    expect(ratiosTable(results(['ceiling'], [ok('ceiling', 'W2', 1000)]))).toBeUndefined();
  });
});

describe('the alone latency table', () => {
  it('lists the timed systems per workload with the floor and the median over it', () => {
    expect(aloneLatencyTable(RUN)?.split('\n').slice(2)).toEqual([
      '| W2 | 80 | ceiling | 3 | 1 | 1 | — (calls no provider) | — |',
      '| W2 | 80 | naive | 3 | 91 | 94.2 | +11 | — |',
      '| W2 | 80 | tributary (cold) | 3 | 83 | 83.8 | +3 | — |',
    ]);
    expect(aloneLatencyTable(results(['tributary-warm'], [ok('tributary-warm', 'W2', 1)]))).toBeUndefined();
  });

  it("puts the providers' chain first where it was timed, and beside each system that made its calls, the median over it", () => {
    const timed = { samplesMs: [81, 82, 84], medianMs: 82, p90Ms: 83.6, floorMs: 80, overFloorMs: 2 };
    const withChain = (chain: typeof timed & { calls?: { customers: number; stripe: number; hubspot: number } }): BenchResults => ({
      ...RUN,
      workloads: RUN.workloads.map((w) => (w.id === 'W2' ? { ...w, chain } : w)),
      // The naive peer's N+1: more HubSpot calls than the chain's.
      results: RUN.results.map((m) => (m.system === 'naive' && m.status === 'ok' ? { ...m, aloneCalls: { customers: 1, stripe: 1, hubspot: 5 } } : m)),
    });
    const rows = [
      "| W2 | 80 | providers' chain (no gateway) | 3 | 82 | 83.6 | +2 | — |",
      '| W2 | 80 | ceiling | 3 | 1 | 1 | — (calls no provider) | — |',
      '| W2 | 80 | naive | 3 | 91 | 94.2 | +11 | — (other calls) |',
      '| W2 | 80 | tributary (cold) | 3 | 83 | 83.8 | +3 | +1 |',
    ];
    expect(aloneLatencyTable(withChain({ ...timed, calls: { customers: 1, stripe: 1, hubspot: 3 } }))?.split('\n').slice(2)).toEqual(rows);
    // A results file from before the chain's calls were kept: its chain made tributary (cold)'s.
    expect(aloneLatencyTable(withChain(timed))?.split('\n').slice(2)).toEqual(rows);
    // Timed, but no system was: nothing to set it beside.
    expect(aloneLatencyTable({ ...withChain(timed), results: [] })).toBeUndefined();
  });
});

describe('the README rewrite', () => {
  const { start, end } = markers('tables');
  const readme = ['# T', '', '## Performance', 'Hand-written prose.', '', start, '', 'old tables', '', end, '', '**Columns.** hand-written', ''].join('\n');

  it('replaces what lies between the markers and nothing else', () => {
    const rewritten = replaceSection(readme, 'tables', 'new tables\n');
    expect(rewritten).toBe(['# T', '', '## Performance', 'Hand-written prose.', '', start, '', 'new tables', '', end, '', '**Columns.** hand-written', ''].join('\n'));
    // Running it again with the same content changes nothing.
    expect(replaceSection(rewritten, 'tables', 'new tables')).toBe(rewritten);
  });

  it('refuses a README whose markers are missing, repeated or reversed', () => {
    expect(() => replaceSection('# T\n', 'tables', 'x')).toThrow('README has no <!-- bench:tables:start --> marker');
    expect(() => replaceSection(`${readme}${start}\n`, 'tables', 'x')).toThrow('README has <!-- bench:tables:start --> more than once');
    expect(() => replaceSection(`${end}\n${start}\n`, 'tables', 'x')).toThrow('README has <!-- bench:tables:end --> before <!-- bench:tables:start -->');
    expect(() => replaceSection(readme, 'soak', 'x')).toThrow('README has no <!-- bench:soak:start --> marker');
  });

  it('renders the run line, every table and the generated legend, not the columns paragraph', () => {
    const section = renderTablesSection(RUN);
    expect(section.split('\n')[0]).toBe(
      'The latest run (`bench/results/latest.json`): 2026-11-29, commit 0123456, 2 × AMD EPYC, 23.5 GiB, Node v20.20.2, linux 6 x64; ' +
        'simulators add 20 ms to every answer; autocannon with 10 connections, 5 s warm-up, 15 s measured; 9 min 8 s.',
    );
    for (const heading of ['#### W2: one customer with everything', '#### W3: Customer 360, random pages', "#### Tributary's rate over every peer's, same run", '#### One operation alone: upstream calls', '#### One operation alone: latency']) {
      expect(section).toContain(heading);
    }
    expect(section).toContain('**Systems.**');
    expect(section).toContain('**One operation alone: latency.** Before the warm-up, the workload\'s first request is sent 20 times');
    expect(section).toContain('W2 4 (the chain)');
    expect(section).not.toContain('**Columns.**');
    expect(section).not.toContain('Machine:');
  });

  it('says when the run was a quick one', () => {
    expect(latestRunLine({ ...RUN, options: { ...RUN.options, quick: true } })).toMatch(/A `--quick` run: it keeps the harness working and says nothing about speed\.$/);
  });

  it('renders a soak with the command that made it, its verdict and its samples', () => {
    const samples = [0, 10, 20].map((atSeconds) => ({ atSeconds, rssBytes: 150 * 2 ** 20, responses: 100 }));
    const soak: SoakResults = {
      schemaVersion: 1,
      kind: 'soak',
      commit: 'abcdef0123',
      startedAt: '2026-11-29T07:00:00.000Z',
      finishedAt: '2026-11-29T07:10:00.000Z',
      machine: RUN.machine,
      loadAverageAtStart: 1,
      system: 'tributary-warm',
      workload: 'W3',
      options: { latencyMs: 20, warmupSeconds: 5, connections: 10, nodeArgs: ['--max-semi-space-size=2'], compiled: true, seconds: 20, sampleSeconds: 10 },
      idleRssBytes: 100 * 2 ** 20,
      load: load(90),
      upstream: RUN.results[0]?.status === 'ok' ? RUN.results[0].upstream : ({} as never),
      summary: summarizeSoak(samples, 20, 160 * 2 ** 20),
      samples,
    };
    const section = renderSoakSection(soak);
    expect(section.split('\n')[0]).toBe(
      '**Result** (`bench/results/latest-soak.json`, 2026-11-29, commit abcdef0: `npm run bench -- --soak 20 --only tributary-warm --workloads W3 --warmup 5 --sample 10 --connections 10 --compiled --node-args="--max-semi-space-size=2"`):',
    );
    expect(section).toMatch(/peak RSS under 200 MiB: \*\*met\*\*; flat \(second-half slope under 1 MiB\/min\): \*\*yes\*\*/);
    expect(section).toContain('| 20 | 150 |');
    expect(section).not.toContain('#### Soak');
  });

  it('tells a comparison from a soak, and refuses other results', () => {
    expect(sectionOf(RUN)).toBe('tables');
    expect(sectionOf({ schemaVersion: 1, kind: 'soak' })).toBe('soak');
    expect(() => sectionOf({ schemaVersion: 1, kind: 'fairness' })).toThrow(/a fairness results JSON/);
    expect(() => sectionOf({ schemaVersion: 2, results: [] })).toThrow(/not a comparison results JSON of schema 1: 2/);
    expect(() => sectionOf(null)).toThrow(/not an object/);
  });

  it('writes durations as minutes and seconds', () => {
    expect(duration(548)).toBe('9 min 8 s');
    expect(duration(42.5)).toBe('42.5 s');
    expect(duration(60)).toBe('1 min 0 s');
  });
});

describe('the README itself', () => {
  it('has each generated section between markers once, so bench:readme can rewrite it', async () => {
    const { readFileSync } = await import('node:fs');
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    for (const section of ['tables', 'soak'] as const) expect(() => replaceSection(readme, section, 'x')).not.toThrow();
  });
});
