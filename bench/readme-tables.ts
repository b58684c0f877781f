/**
 * The README's generated parts, from a results JSON: the comparison's tables between
 * `<!-- bench:tables:start -->` and `<!-- bench:tables:end -->`, a soak's between
 * `<!-- bench:soak:start -->` and `<!-- bench:soak:end -->`. Everything outside the markers is
 * hand-written and left as it is. Pure: bench/write-readme.ts does the files.
 */
import { formatNumber, legendParts, renderTables, type BenchResults } from './report.ts';
import { renderSoakBody, type SoakResults } from './soak.ts';

export type ReadmeSection = 'tables' | 'soak';

/** Where the JSON a README section was made from is kept (committed; other results are not). */
export const KEPT_RESULTS: Record<ReadmeSection, string> = {
  tables: 'bench/results/latest.json',
  soak: 'bench/results/latest-soak.json',
};

export function markers(section: ReadmeSection): { start: string; end: string } {
  return { start: `<!-- bench:${section}:start -->`, end: `<!-- bench:${section}:end -->` };
}

/**
 * `readme` with what lies between the section's markers replaced by `content` (a blank line on
 * each side, so Markdown sees the markers as blocks of their own). Throws when a marker is
 * missing, repeated or out of order: a README edited by hand should fail loudly, not lose text.
 */
export function replaceSection(readme: string, section: ReadmeSection, content: string): string {
  const { start, end } = markers(section);
  const at = (marker: string) => {
    const first = readme.indexOf(marker);
    if (first === -1) throw new Error(`README has no ${marker} marker`);
    if (readme.indexOf(marker, first + 1) !== -1) throw new Error(`README has ${marker} more than once`);
    return first;
  };
  const from = at(start);
  const to = at(end);
  if (to < from) throw new Error(`README has ${end} before ${start}`);
  return `${readme.slice(0, from + start.length)}\n\n${content.trim()}\n\n${readme.slice(to)}`;
}

/** Which section a parsed results file fills, or why it fills none. */
export function sectionOf(results: unknown): ReadmeSection {
  const value = results as { kind?: unknown; schemaVersion?: unknown; results?: unknown } | null;
  if (typeof value !== 'object' || value === null) throw new TypeError('not a bench results JSON: not an object');
  if (value.kind === 'soak') {
    if (value.schemaVersion !== 1) throw new TypeError(`a soak results JSON of schema ${String(value.schemaVersion)}; this README writer reads 1`);
    return 'soak';
  }
  if (value.kind !== undefined) throw new TypeError(`a ${String(value.kind)} results JSON: the README's generated parts are the comparison's and the soak's`);
  if (value.schemaVersion !== 1 || !Array.isArray(value.results)) throw new TypeError(`not a comparison results JSON of schema 1: ${String(value.schemaVersion)}`);
  return 'tables';
}

/** The comparison's part: the run in one line, the tables, and the generated legend paragraphs. */
export function renderTablesSection(results: BenchResults): string {
  const parts = legendParts(results);
  return [
    latestRunLine(results),
    '',
    ...renderTables(results),
    // Columns stay hand-written in the README (shorter than the printed legend); the rest is the run's.
    ...[parts.systems, parts.workloads, parts.measured, parts.alone].filter((p) => p !== undefined).flatMap((p) => [p, '']),
  ].join('\n');
}

export function latestRunLine(results: BenchResults): string {
  const { options, machine } = results;
  return (
    `The latest run (\`${KEPT_RESULTS.tables}\`): ${results.startedAt.slice(0, 10)}` +
    `${results.commit ? `, commit ${results.commit.slice(0, 7)}` : ''}, ${machine.cpus} × ${machine.cpuModel}, ${machine.memoryGiB} GiB, ` +
    `Node ${machine.node}, ${machine.os}; simulators add ${options.latencyMs} ms to every answer; autocannon with ` +
    `${options.connections} connections, ${options.warmupSeconds} s warm-up, ${options.durationSeconds} s measured; ${duration(results.elapsedSeconds)}.` +
    (options.quick ? ' A `--quick` run: it keeps the harness working and says nothing about speed.' : '')
  );
}

/** The soak's part: what was run, on what, then the printed report without its heading. */
export function renderSoakSection(results: SoakResults): string {
  const { options } = results;
  const flags = [
    `--soak ${options.seconds}`,
    `--only ${results.system}`,
    `--workloads ${results.workload}`,
    `--warmup ${options.warmupSeconds}`,
    `--sample ${options.sampleSeconds}`,
    `--connections ${options.connections}`,
    ...(options.latencyMs === 20 ? [] : [`--latency ${options.latencyMs}`]), // 20: the bench's default
    ...(options.compiled ? ['--compiled'] : []),
    ...(options.nodeArgs.length > 0 ? [`--node-args="${options.nodeArgs.join(' ')}"`] : []),
  ].join(' ');
  return [
    `**Result** (\`${KEPT_RESULTS.soak}\`, ${results.startedAt.slice(0, 10)}${results.commit ? `, commit ${results.commit.slice(0, 7)}` : ''}: ` +
      `\`npm run bench -- ${flags}\`):`,
    '',
    renderSoakBody(results),
  ].join('\n');
}

/** 548 → "9 min 8 s"; under a minute, "42.5 s". */
export function duration(seconds: number): string {
  if (seconds < 60) return `${formatNumber(seconds)} s`;
  const whole = Math.round(seconds);
  return `${Math.floor(whole / 60)} min ${whole % 60} s`;
}
