import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';
import { join } from 'node:path';
import type { BenchOptions } from './bench-options.ts';
import type { LoadResult } from './measure-load.ts';
import { PROVIDERS, type Provider, type Traffic } from './sim-admin.ts';
import { BASELINE, SYSTEMS, type SystemId } from './systems.ts';
import type { RateLimit, Workload, WorkloadId } from './workloads.ts';

/** Bumped when a field changes meaning or goes away. */
export const RESULTS_SCHEMA_VERSION = 1;

export interface UpstreamUse {
  calls: number;
  callsPerOperation: number;
  /** Response body bytes the provider sent. */
  bytes: number;
  bytesPerOperation: number;
  /** 429 answers the system received. */
  rateLimited: number;
  byStatus: Record<string, number>;
}

interface MeasurementBase {
  system: SystemId;
  label: string;
  workload: WorkloadId;
}

/** A (system, workload) that was measured. */
export interface Measured extends MeasurementBase {
  status: 'ok';
  load: LoadResult;
  /** Operations sent during the measurement: the divisor of every per-operation figure. */
  operations: number;
  upstream: Record<Provider, UpstreamUse> & { total: UpstreamUse };
  /** VmHWM of the system's process at the end of the measurement; null where /proc is missing. */
  peakRssBytes: number | null;
}

/** A (system, workload) that was not measured, and why. */
export interface NotMeasured extends MeasurementBase {
  /** `skipped`: by design; `mismatch`: its answer differed from Tributary's; `failed`: it broke. */
  status: 'skipped' | 'mismatch' | 'failed';
  reason: string;
}

export type Measurement = Measured | NotMeasured;

export interface Machine {
  cpus: number;
  cpuModel: string;
  memoryGiB: number;
  node: string;
  os: string;
}

export interface BenchResults {
  schemaVersion: number;
  startedAt: string;
  finishedAt: string;
  elapsedSeconds: number;
  machine: Machine;
  options: Omit<BenchOptions, 'outDir' | 'timeLimitSeconds'>;
  workloads: Array<{ id: WorkloadId; title: string; summary: string; limits: Record<Provider, RateLimit> }>;
  results: Measurement[];
}

export function describeMachine(): Machine {
  const all = cpus();
  return {
    cpus: all.length,
    cpuModel: all[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    os: `${process.platform} ${release()} ${process.arch}`,
  };
}

export function describeWorkload(workload: Workload): BenchResults['workloads'][number] {
  return { id: workload.id, title: workload.title, summary: workload.summary, limits: workload.limits };
}

/** Turns what the simulators counted into per-operation upstream use. */
export function upstreamUse(traffic: Traffic, operations: number): Measured['upstream'] {
  const per = (value: number) => (operations > 0 ? value / operations : 0);
  const one = (provider: Provider): UpstreamUse => {
    const { requests, bytes, rateLimited, byStatus } = traffic[provider];
    return { calls: requests, callsPerOperation: per(requests), bytes, bytesPerOperation: per(bytes), rateLimited, byStatus };
  };
  const each = { customers: one('customers'), stripe: one('stripe'), hubspot: one('hubspot') };
  const sum = (pick: (use: UpstreamUse) => number) => PROVIDERS.reduce((total, p) => total + pick(each[p]), 0);
  const calls = sum((u) => u.calls);
  const bytes = sum((u) => u.bytes);
  const byStatus: Record<string, number> = {};
  for (const p of PROVIDERS) for (const [status, n] of Object.entries(each[p].byStatus)) byStatus[status] = (byStatus[status] ?? 0) + n;
  return { ...each, total: { calls, callsPerOperation: per(calls), bytes, bytesPerOperation: per(bytes), rateLimited: sum((u) => u.rateLimited), byStatus } };
}

/** Writes `<dir>/<timestamp>.json` and returns its path. */
export function writeResults(dir: string, results: BenchResults): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${results.startedAt.replace(/:/g, '-').replace(/\.\d+Z$/, 'Z')}.json`);
  writeFileSync(path, `${JSON.stringify(results, null, 2)}\n`);
  return path;
}

/** The Markdown report: one table per workload, then what the columns mean. */
export function renderMarkdown(results: BenchResults): string {
  const lines: string[] = [];
  for (const workload of results.workloads) {
    const rows = results.results.filter((m) => m.workload === workload.id);
    if (rows.length === 0) continue;
    lines.push(`#### ${workload.id}: ${workload.title}`, '', table(rows), '');
  }
  lines.push(...legend(results));
  return lines.join('\n');
}

const HEADER = [
  'system', 'req/s', '÷ tributary (warm)', '÷ ceiling', 'p50 ms', 'p99 ms', 'errors',
  'customers calls/op', 'Stripe calls/op', 'HubSpot calls/op', 'upstream KiB/op', '429s', 'peak RSS MiB',
];
const RIGHT_ALIGNED = new Set(HEADER.slice(1));

function table(rows: Measurement[]): string {
  const rate = (id: SystemId) => {
    const row = rows.find((m) => m.system === id);
    return row?.status === 'ok' ? row.load.requestsPerSecond : undefined;
  };
  const baseline = rate(BASELINE);
  const ceiling = rate('ceiling');
  const body = rows.map((m) => {
    if (m.status !== 'ok') return [m.label, `${m.status}: ${m.reason}`, ...HEADER.slice(2).map(() => '')];
    const { load, upstream } = m;
    return [
      m.label,
      formatNumber(load.requestsPerSecond),
      ratio(load.requestsPerSecond, baseline),
      ratio(load.requestsPerSecond, ceiling),
      formatNumber(load.latencyMs.p50),
      formatNumber(load.latencyMs.p99),
      errors(m),
      formatNumber(upstream.customers.callsPerOperation),
      formatNumber(upstream.stripe.callsPerOperation),
      formatNumber(upstream.hubspot.callsPerOperation),
      formatNumber(upstream.total.bytesPerOperation / 1024),
      String(upstream.total.rateLimited),
      m.peakRssBytes === null ? '—' : formatNumber(m.peakRssBytes / 2 ** 20, 0),
    ];
  });
  const align = HEADER.map((name) => (RIGHT_ALIGNED.has(name) ? '---:' : '---'));
  return [HEADER, align, ...body].map((cells) => `| ${cells.join(' | ')} |`).join('\n');
}

function errors(m: Measured): string {
  const { total } = m.load.errors;
  if (total === 0) return '0';
  const share = m.load.responses > 0 ? ` (${formatNumber((100 * total) / Math.max(m.load.responses, total))} %)` : '';
  return `${total}${share}`;
}

function ratio(value: number, against: number | undefined): string {
  if (against === undefined || against === 0) return '—';
  return `${formatNumber(value / against)}×`;
}

/** Three significant digits, at most `maxDecimals` after the point: 12 345, 123, 12.3, 1.23, 0.12. */
export function formatNumber(value: number, maxDecimals = 2): string {
  if (!Number.isFinite(value)) return '—';
  const magnitude = Math.abs(value);
  const decimals = magnitude >= 100 || value === 0 ? 0 : magnitude >= 10 ? 1 : 2;
  return value.toLocaleString('en-US', { maximumFractionDigits: Math.min(decimals, maxDecimals), minimumFractionDigits: 0 }).replace(/,/g, ' ');
}

function legend(results: BenchResults): string[] {
  const { options, machine } = results;
  const limits = results.workloads.find((w) => w.id !== 'W4')?.limits.stripe;
  return [
    '**Systems.** ' + Object.values(SYSTEMS).filter((s) => options.systems.includes(s.id)).map((s) => `*${s.label}*: ${s.summary}`).join(' '),
    '',
    '**Workloads.** ' + results.workloads.map((w) => `*${w.id}*: ${w.summary}`).join(' '),
    '',
    `**How it was measured.** Each system runs as its own process, started fresh for each workload, against the same three ` +
      `simulators (another process) adding ${options.latencyMs} ms to every answer. autocannon runs ${options.connections} ` +
      `closed-loop connections: ${options.warmupSeconds} s of warm-up (not counted), then ${options.durationSeconds} s measured. ` +
      `Before measuring, each system's answer to the workload's first request is compared with Tributary's (\`data\` deep-equal). ` +
      (limits ? `For W0–W3 every provider allows ${formatNumber(limits.limit)} requests per ${limits.windowMs / 1000} s, so that the real quotas do not measure all systems the same; ` : '') +
      `W4 holds HubSpot to its real limit.`,
    '',
    '**Columns.** *req/s*: responses per second, any status. *÷*: that rate divided by tributary (warm)\'s and by the ceiling\'s. ' +
      '*p50/p99*: response time percentiles of every response. *errors*: responses that were not HTTP 2xx, plus 2xx responses ' +
      'carrying GraphQL `errors` (partial results included), plus timeouts and connection errors; in brackets, the share of ' +
      'responses. *calls/op*: requests each provider counted during the measurement (its `/_sim/stats`), divided by the ' +
      'operations sent. *upstream KiB/op*: response bytes the providers sent, per operation. *429s*: rate-limited answers the ' +
      'providers gave. *peak RSS*: the system process\'s VmHWM at the end of the measurement.',
    '',
    `Machine: ${machine.cpus} × ${machine.cpuModel}, ${machine.memoryGiB} GiB, Node ${machine.node}, ${machine.os}. ` +
      'The load generator, the simulators and the system under test share these cores.',
  ];
}
