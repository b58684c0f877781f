import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { request } from 'undici';
import type { BenchOptions } from './bench-options.ts';
import { BENCH_HEADERS } from './bench-credentials.ts';
import { measureLoad, type LoadResult } from './measure-load.ts';
import { currentCommit, describeMachine, type Machine } from './report.ts';
import type { SimAdmin } from './sim-admin.ts';
import type { SimulatorAddresses } from './simulators-process.ts';
import { REPO_ROOT } from './service-process.ts';
import { faults, raisedLimits, startSystem } from './start-system.ts';
import { SYSTEMS } from './systems.ts';
import { buildWorkloads } from './workloads.ts';

export const COMPRESSION_SCHEMA_VERSION = 1;

/** What the load generator sends as Accept-Encoding in each phase; `identity`: no header at all. */
export const ENCODINGS = ['identity', 'br', 'gzip'] as const;
export type Encoding = (typeof ENCODINGS)[number];

/**
 * Rounds of the three phases, the order reversed every other round (identity, br, gzip, then
 * gzip, br, identity): on a machine shared with other work, a drift in its load then weighs on
 * every encoding alike instead of on whichever came last.
 */
const ROUNDS = 2;

export interface CompressionPhase {
  encoding: Encoding;
  round: number;
  load: LoadResult;
  /** Gateway process CPU (user + system) per response, in ms; null when /proc could not tell. */
  cpuMsPerResponse: number | null;
}

export interface CompressionResults {
  schemaVersion: typeof COMPRESSION_SCHEMA_VERSION;
  kind: 'compression';
  commit: string | null;
  startedAt: string;
  machine: Machine;
  options: { latencyMs: number; warmupSeconds: number; durationSeconds: number; connections: number; rounds: number };
  /** W1's answer as sent with each Accept-Encoding, in bytes of content (headers not counted). */
  answerBytes: Record<Encoding, number>;
  phases: CompressionPhase[];
}

/**
 * `npm run bench -- --compression`: warm W1 (Customer 360, 50 customers, the result cache
 * replaying it) against one tributary-warm, with no Accept-Encoding, then `br`, then `gzip`, in
 * the same run, in rounds. Before the load, each encoding's answer is fetched once, decoded and
 * compared with the identity one: during the load the client does not decode (it would take the
 * gateway's cores), so it checks statuses only, and its GraphQL error count is blind to
 * compressed bodies.
 */
export async function runCompression(options: BenchOptions, sims: SimulatorAddresses, admin: SimAdmin, progress: (line: string) => void): Promise<CompressionResults> {
  const startedAt = new Date();
  const body = buildWorkloads(100).W1.bodies[0]!;
  const limits = raisedLimits();
  const running = await startSystem(SYSTEMS['tributary-warm'], { sims, limits, answersFile: '' }, 'compression', { nodeArgs: options.nodeArgs, compiled: options.compiled, tributaryNodeArgs: options.tributaryNodeArgs });
  try {
    await admin.resetWith(faults(options.latencyMs, limits));
    const answerBytes = await checkAnswers(running.url, body);
    progress(`compression: W1's answer is ${answerBytes.identity} B, ${answerBytes.br} B in brotli, ${answerBytes.gzip} B in gzip`);
    const load = (encoding: Encoding, durationSeconds: number) =>
      measureLoad({ url: running.url, bodies: [body], pick: 'first', connections: options.connections, durationSeconds, headers: headersFor(encoding) });
    if (options.warmupSeconds > 0) await load('identity', options.warmupSeconds);
    const phases: CompressionPhase[] = [];
    for (let round = 1; round <= ROUNDS; round += 1) {
      const order = round % 2 === 1 ? ENCODINGS : [...ENCODINGS].reverse();
      for (const encoding of order) {
        const cpuBefore = running.process.cpuSeconds();
        const result = await load(encoding, options.durationSeconds);
        const cpuAfter = running.process.cpuSeconds();
        if (!running.process.running) throw new Error(`the gateway exited (${running.process.exitStatus}) during the ${encoding} phase`);
        const cpuMsPerResponse = cpuBefore === undefined || cpuAfter === undefined || result.responses === 0 ? null : ((cpuAfter - cpuBefore) * 1000) / result.responses;
        phases.push({ encoding, round, load: result, cpuMsPerResponse });
        progress(`compression: round ${round}, ${encoding}: ${result.requestsPerSecond.toFixed(1)} req/s, p99 ${result.latencyMs.p99.toFixed(1)} ms, ${result.errors.http + result.errors.network} errors, ${cpuMsPerResponse?.toFixed(2) ?? '?'} ms CPU per answer`);
      }
    }
    return {
      schemaVersion: COMPRESSION_SCHEMA_VERSION,
      kind: 'compression',
      commit: currentCommit(REPO_ROOT),
      startedAt: startedAt.toISOString(),
      machine: describeMachine(),
      options: { latencyMs: options.latencyMs, warmupSeconds: options.warmupSeconds, durationSeconds: options.durationSeconds, connections: options.connections, rounds: ROUNDS },
      answerBytes,
      phases,
    };
  } finally {
    await running.process.stop();
  }
}

function headersFor(encoding: Encoding): Record<string, string> {
  return encoding === 'identity' ? {} : { 'accept-encoding': encoding };
}

/**
 * Each encoding's answer, decoded and its `data` compared with the identity one's (the upstream
 * report in `extensions` differs between a run and a replay); their sizes as sent. The answer is
 * asked once first, unchecked: on a loaded machine the cold one may miss its deadline.
 */
async function checkAnswers(url: string, body: string): Promise<Record<Encoding, number>> {
  const ask = async (encoding: Encoding) => {
    const response = await request(url, { method: 'POST', headers: { ...BENCH_HEADERS, ...headersFor(encoding) }, body });
    const wire = Buffer.from(await response.body.arrayBuffer());
    const sent = response.headers['content-encoding'] ?? 'identity';
    if (response.statusCode !== 200 || sent !== encoding) throw new Error(`W1 with Accept-Encoding ${encoding} answered HTTP ${response.statusCode} in ${String(sent)}`);
    const decoded = encoding === 'br' ? brotliDecompressSync(wire) : encoding === 'gzip' ? gunzipSync(wire) : wire;
    const answer = JSON.parse(decoded.toString('utf8')) as { data?: unknown; errors?: Array<{ message: string }> };
    if (answer.errors?.length) throw new Error(`W1's answer in ${encoding} carries GraphQL errors: ${answer.errors[0]!.message}`);
    return { bytes: wire.length, data: JSON.stringify(answer.data) };
  };
  await ask('identity').catch(() => undefined);
  const sizes = {} as Record<Encoding, number>;
  let identity: string | undefined;
  for (const encoding of ENCODINGS) {
    const { bytes, data } = await ask(encoding);
    identity ??= data;
    if (data !== identity) throw new Error(`W1's answer in ${encoding} does not decode to the identity answer's data`);
    sizes[encoding] = bytes;
  }
  return sizes;
}

export function writeCompressionResults(dir: string, results: CompressionResults): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `compression-${results.startedAt.replace(/:/g, '-').replace(/\.\d+Z$/, 'Z')}.json`);
  writeFileSync(path, `${JSON.stringify(results, null, 2)}\n`);
  return path;
}

/** The printed report: per encoding, the answer's size, the rate of each round and their mean, CPU per answer. */
export function renderCompressionMarkdown(results: CompressionResults): string {
  const { options, answerBytes, phases } = results;
  const rows = ENCODINGS.map((encoding) => {
    const own = phases.filter((phase) => phase.encoding === encoding);
    const rates = own.map((phase) => phase.load.requestsPerSecond);
    const mean = rates.reduce((sum, rate) => sum + rate, 0) / Math.max(1, rates.length);
    const cpu = own.map((phase) => phase.cpuMsPerResponse).filter((value): value is number => value !== null);
    const wirePerAnswer = own.reduce((sum, phase) => sum + phase.load.responseBytes, 0) / Math.max(1, own.reduce((sum, phase) => sum + phase.load.responses, 0));
    const p99 = Math.max(...own.map((phase) => phase.load.latencyMs.p99));
    const errors = own.reduce((sum, phase) => sum + phase.load.errors.http + phase.load.errors.network, 0);
    return `| ${encoding === 'identity' ? 'none' : encoding} | ${answerBytes[encoding]} | ${(answerBytes.identity / answerBytes[encoding]).toFixed(1)}× | ${Math.round(wirePerAnswer)} | ${rates.map((rate) => rate.toFixed(0)).join(' / ')} | ${mean.toFixed(0)} | ${p99.toFixed(1)} | ${cpu.length ? (cpu.reduce((a, b) => a + b, 0) / cpu.length).toFixed(2) : '—'} | ${errors} |`;
  });
  return [
    `#### Compression: warm W1 (Customer 360, 50 customers), ${options.durationSeconds} s per phase, ${options.rounds} rounds`,
    '',
    `One tributary-warm; ${options.connections} connections; simulators add ${options.latencyMs} ms (unused once warm: the result cache replays the answer). Rounds alternate the order of the phases.`,
    '',
    '| Accept-Encoding | answer bytes | smaller by | wire bytes per answer (with headers) | req/s per round | req/s mean | worst p99 ms | gateway CPU ms per answer | HTTP/network errors |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows,
  ].join('\n');
}
