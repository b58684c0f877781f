import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parseBenchOptions } from '../../bench/bench-options.ts';
import type { BenchResults, Measured } from '../../bench/report.ts';
import type { SoakResults } from '../../bench/soak.ts';
import type { CompressionResults } from '../../bench/compression.ts';
import { createClient } from '@keyv/redis';
import { REDIS_URL, redisForTests } from '../support/redis.ts';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Runs `bench/run.ts` as `npm run bench` would, bounded in time; resolves with its exit and output. */
function runBench(args: string[], timeoutMs: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'bench/run.ts', ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
    child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    const timer = setTimeout(() => child.kill('SIGINT'), timeoutMs);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

async function keysMatching(pattern: string): Promise<string[]> {
  const client = createClient({ url: REDIS_URL });
  await client.connect();
  try {
    const keys: string[] = [];
    for await (const found of client.scanIterator({ MATCH: pattern, COUNT: 1000 })) keys.push(...(Array.isArray(found) ? found : [found]));
    return keys;
  } finally {
    await client.close();
  }
}

describe('the benchmark harness', () => {
  const out = mkdtempSync(join(tmpdir(), 'tributary-bench-test-'));
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('runs a quick comparison of the ceiling and Tributary, writes the results JSON and prints the table', async () => {
    const { code, stdout, stderr } = await runBench(
      ['--quick', '--only', 'ceiling,tributary-warm', '--workloads', 'W0,W1', '--duration', '1', '--out', out],
      80_000,
    );
    expect(code, stderr).toBe(0);

    const files = readdirSync(out).filter((name) => name.endsWith('.json'));
    expect(files).toHaveLength(1);
    const results = JSON.parse(readFileSync(join(out, files[0] ?? ''), 'utf8')) as BenchResults;
    expect(results.schemaVersion).toBe(1);
    expect(results.machine.cpus).toBeGreaterThan(0);
    expect(results.options).toMatchObject({ quick: true, systems: ['ceiling', 'tributary-warm'], workloads: ['W0', 'W1'] });
    expect(results.workloads.map((w) => w.id)).toEqual(['W0', 'W1']);
    expect(results.results.map((m) => `${m.system} ${m.workload} ${m.status}`)).toEqual([
      'ceiling W0 ok',
      'ceiling W1 ok',
      'tributary-warm W0 ok',
      'tributary-warm W1 ok',
    ]);
    for (const m of results.results as Measured[]) {
      expect(m.load.responses).toBeGreaterThan(0);
      expect(m.load.latencyMs.p99).toBeGreaterThanOrEqual(m.load.latencyMs.p50);
      expect(m.load.errors).toEqual({ total: 0, http: 0, graphql: 0, network: 0 });
      expect(Object.keys(m.upstream).sort()).toEqual(['customers', 'hubspot', 'stripe', 'total']);
      expect(m.upstream.total.callsPerOperation).toBeGreaterThanOrEqual(0);
      expect(m.peakRssBytes).toBeGreaterThan(0);
    }
    // W0 calls no provider, whoever answers it.
    expect(results.results.filter((m) => m.workload === 'W0').every((m) => (m as Measured).upstream.total.calls === 0)).toBe(true);

    expect(stdout).toContain('#### W0: `{ __typename }`');
    expect(stdout).toContain('#### W1: Customer 360, first page');
    expect(stdout).toMatch(/^\| ceiling \| [\d ]+/m);
    expect(stdout).toMatch(/^\| tributary \(warm\) \| [\d .]+ \| 1× \|/m);

    // One operation alone: timed on the ceiling (it keeps nothing), 3 times in a quick run; not on
    // tributary (warm), whose cache would answer all but the first.
    const alone = (system: string, workload: string) => (results.results as Measured[]).find((m) => m.system === system && m.workload === workload)?.alone;
    expect(alone('ceiling', 'W0')).toMatchObject({ floorMs: 0 });
    expect(alone('ceiling', 'W0')?.samplesMs).toHaveLength(3);
    expect(alone('ceiling', 'W1')).toMatchObject({ floorMs: 80, overFloorMs: null });
    expect(alone('tributary-warm', 'W1')).toBeUndefined();
    expect(results.workloads.find((w) => w.id === 'W1')?.floor?.roundTrips).toBe(4);
    expect(stdout).toContain('#### One operation alone: latency');
    expect(stdout).toMatch(/^\| W1 \| tributary \(warm\) \| [\d .]+ \| [\d.]+× \| 1× \|$/m);
  }, 90_000);

  it('runs tributary-redis under a key prefix of its own and leaves no key behind', async (context) => {
    if (!(await redisForTests())) return context.skip();
    const redisOut = join(out, 'redis');
    const { code, stdout, stderr } = await runBench(['--quick', '--only', 'tributary-redis', '--workloads', 'W2', '--redis-url', REDIS_URL, '--out', redisOut], 80_000);
    expect(code, stderr).toBe(0);
    const runPrefix = /keys under (tributary-bench-run-[\w-]+)/.exec(stderr)?.[1];
    expect(runPrefix, stderr).toBeDefined();
    // The check and the load wrote entries and quota windows; the run removed them after.
    expect(stderr).toMatch(new RegExp(`removed [1-9]\\d* keys of ${runPrefix}-1-W2`));
    expect(await keysMatching(`*${runPrefix}*`)).toEqual([]);
    const files = readdirSync(redisOut).filter((name) => name.endsWith('.json'));
    const results = JSON.parse(readFileSync(join(redisOut, files[0] ?? ''), 'utf8')) as BenchResults;
    expect(results.results.map((m) => `${m.system} ${m.workload} ${m.status}`)).toEqual(['tributary-redis W2 ok']);
    expect(JSON.stringify(results)).not.toContain(REDIS_URL);
    expect(stdout).toMatch(/^\| tributary \(warm, Redis\) \| [\d .]+ \|/m);
  }, 90_000);

  it('fails at once, saying so, when the Redis of tributary-redis does not answer', async () => {
    const { code, stderr } = await runBench(['--quick', '--redis', '--redis-url', 'redis://127.0.0.1:1', '--out', join(out, 'no-redis')], 30_000);
    expect(code).toBe(1);
    expect(stderr).toContain('tributary-redis needs a Redis and none answers PING at redis://127.0.0.1:1');
  }, 40_000);

  it('refuses an unknown system or workload, naming what it accepts', () => {
    expect(() => parseBenchOptions(['--only', 'tributary'], out)).toThrow(/--only takes a comma-separated list of ceiling, naive/);
    expect(() => parseBenchOptions(['--workloads', 'W9'], out)).toThrow(/--workloads takes .*W0, W1, W2, W3, W4: "W9"/);
    expect(() => parseBenchOptions(['--latency', 'fast'], out)).toThrow(/--latency must be an integer from 0 to 10000/);
  });

  it('defaults to every system and workload, and quick mode shortens the run', () => {
    const full = parseBenchOptions([], out);
    const quick = parseBenchOptions(['--quick', '--latency', '5'], out);
    expect(full).toMatchObject({ latencyMs: 20, systems: ['ceiling', 'naive', 'datasource-rest', 'tributary-cold', 'tributary-warm'] });
    expect(quick).toMatchObject({ quick: true, latencyMs: 5, warmupSeconds: 0, durationSeconds: 1 });
  });

  it('soaks Tributary for a few seconds, sampling its RSS and its heap, and prints the verdict', async () => {
    const soakOut = join(out, 'soak');
    const { code, stdout, stderr } = await runBench(['--soak', '10', '--sample', '2', '--warmup', '0', '--workloads', 'W1', '--connections', '2', '--out', soakOut], 80_000);
    expect(code, stderr).toBe(0);

    const files = readdirSync(soakOut).filter((name) => /^soak-.*\.json$/.test(name));
    expect(files).toHaveLength(1);
    const results = JSON.parse(readFileSync(join(soakOut, files[0] ?? ''), 'utf8')) as SoakResults;
    expect(results).toMatchObject({ kind: 'soak', system: 'tributary-warm', workload: 'W1', options: { seconds: 10, sampleSeconds: 2, nodeArgs: [] } });
    expect(results.load.responses).toBeGreaterThan(0);
    expect(results.load.errors.total).toBe(0);
    // A sample at the start, one every 2 s, one at the end: a busy machine may drop one or two.
    expect(results.samples.length).toBeGreaterThanOrEqual(4);
    for (const sample of results.samples) {
      expect(sample.rssBytes).toBeGreaterThan(0);
      expect(sample.heapUsedBytes).toBeGreaterThan(0);
    }
    expect(results.summary.peakRssBytes).toBeGreaterThanOrEqual(results.summary.rssBytes.max);
    expect(results.summary.rssSlopeMiBPerMinute).not.toBeNull();

    expect(stdout).toContain('#### Soak: tributary-warm on W1, 10 s');
    expect(stdout).toMatch(/Target \(issues 9 and 13\): peak RSS under 200 MiB: \*\*(met|missed)\*\*/);
  }, 90_000);

  it('soaks one system on one workload, tributary-warm on W3 unless told otherwise', () => {
    expect(parseBenchOptions(['--soak', '600'], out)).toMatchObject({
      systems: ['tributary-warm'],
      workloads: ['W3'],
      soak: { seconds: 600, sampleSeconds: 5 },
      nodeArgs: [],
    });
    expect(parseBenchOptions(['--soak', '60', '--sample', '2', '--only', 'naive', '--workloads', 'W1'], out)).toMatchObject({
      systems: ['naive'],
      workloads: ['W1'],
      soak: { seconds: 60, sampleSeconds: 2 },
    });
    expect(parseBenchOptions([], out)).not.toHaveProperty('soak');
  });

  it('gives a soak its own length on top of the run time limit', () => {
    const soak = parseBenchOptions(['--soak', '600'], out);
    const plain = parseBenchOptions([], out);
    if (soak === 'help' || plain === 'help') throw new Error('unexpected help');
    expect(soak.timeLimitSeconds).toBe(plain.timeLimitSeconds + 600);
  });

  it('refuses a soak over several systems or workloads, a sample without a soak, and a too short soak', () => {
    expect(() => parseBenchOptions(['--soak', '60', '--only', 'naive,tributary-warm'], out)).toThrow(/--soak runs one system on one workload: --only naive,tributary-warm --workloads W3/);
    expect(() => parseBenchOptions(['--soak', '60', '--workloads', 'W1,W3'], out)).toThrow(/--soak runs one system on one workload/);
    expect(() => parseBenchOptions(['--sample', '2'], out)).toThrow(/--sample only applies with --soak: "2"/);
    expect(() => parseBenchOptions(['--soak', '5'], out)).toThrow(/--soak must be an integer from 10 to 86400: "5"/);
  });

  it('measures warm W1 with no Accept-Encoding, br and gzip against one Tributary, and prints rates and sizes', async () => {
    const compressionOut = join(out, 'compression');
    const { code, stdout, stderr } = await runBench(['--compression', '--quick', '--connections', '2', '--out', compressionOut], 80_000);
    expect(code, stderr).toBe(0);
    const files = readdirSync(compressionOut).filter((name) => name.startsWith('compression-') && name.endsWith('.json'));
    expect(files).toHaveLength(1);
    const results = JSON.parse(readFileSync(join(compressionOut, files[0] ?? ''), 'utf8')) as CompressionResults;
    expect(results.kind).toBe('compression');
    expect(results.answerBytes.br * 3).toBeLessThan(results.answerBytes.identity);
    expect(results.answerBytes.gzip * 3).toBeLessThan(results.answerBytes.identity);
    expect(results.phases.map((phase) => phase.encoding)).toEqual(['identity', 'br', 'gzip', 'gzip', 'br', 'identity']);
    for (const phase of results.phases) {
      expect(phase.load.responses, phase.encoding).toBeGreaterThan(0);
      expect(phase.load.errors.http + phase.load.errors.network, phase.encoding).toBe(0);
    }
    // What went over the wire per answer follows what was negotiated.
    const wire = (encoding: string) => results.phases.find((phase) => phase.encoding === encoding)!.load;
    expect(wire('br').responseBytes / wire('br').responses * 3).toBeLessThan(wire('identity').responseBytes / wire('identity').responses);
    expect(stdout).toContain('#### Compression: warm W1');
    expect(() => parseBenchOptions(['--compression', '--events'], out)).toThrow(/different runs: choose one/);
  }, 90_000);

  it('passes node flags to the systems, and refuses anything that is not a flag', () => {
    expect(parseBenchOptions(['--node-args= --max-semi-space-size=2  --max-old-space-size=160 '], out)).toMatchObject({
      nodeArgs: ['--max-semi-space-size=2', '--max-old-space-size=160'],
    });
    expect(() => parseBenchOptions(['--node-args=--expose-gc evil.js'], out)).toThrow(/--node-args takes node flags such as/);
  });
});
