import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parseBenchOptions } from '../../bench/bench-options.ts';
import type { BenchResults, Measured } from '../../bench/report.ts';

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
  }, 90_000);

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
});
