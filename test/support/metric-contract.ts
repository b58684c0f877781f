import { readFileSync } from 'node:fs';
import type { Selector } from './promql-selectors.ts';

/** ops/metric-names.json: the names and labels the registry, alerts and dashboards agree on. */
export interface MetricContract {
  metrics: Record<string, { type: 'counter' | 'gauge' | 'histogram'; labels: Record<string, string[] | null>; buckets?: number[] }>;
  defaultMetrics: { names: string[] };
  scrapeMetrics: { names: string[] };
}

export const metricContract = JSON.parse(readFileSync(new URL('../../ops/metric-names.json', import.meta.url), 'utf8')) as MetricContract;

/** Labels Prometheus adds to every scraped series (the scrape config's job and target). */
const TARGET_LABELS = ['job', 'instance'];
const HISTOGRAM_SERIES = ['_bucket', '_sum', '_count'];

function declaredLabels(series: string): Record<string, string[] | null> | undefined {
  const direct = metricContract.metrics[series];
  if (direct) return direct.type === 'histogram' ? undefined : direct.labels;
  for (const suffix of HISTOGRAM_SERIES) {
    const base = metricContract.metrics[series.slice(0, -suffix.length)];
    if (series.endsWith(suffix) && base?.type === 'histogram') return suffix === '_bucket' ? { ...base.labels, le: null } : base.labels;
  }
  if ([...metricContract.defaultMetrics.names, ...metricContract.scrapeMetrics.names].includes(series)) return {};
  return undefined;
}

/**
 * What is wrong with a selector against the contract: an unknown series, a label the metric
 * does not have, or a literal value outside the label's declared values (a Grafana variable such
 * as `$provider` is not checked). Empty when it is sound.
 */
export function contractProblems(selector: Selector): string[] {
  const labels = declaredLabels(selector.name);
  if (!labels) return [`${selector.name} is not in ops/metric-names.json (a histogram is read as _bucket, _sum or _count)`];
  const problems: string[] = [];
  for (const { label, op, value } of selector.matchers) {
    if (TARGET_LABELS.includes(label)) continue;
    if (!(label in labels)) {
      problems.push(`${selector.name} has no label ${label}`);
      continue;
    }
    const allowed = labels[label];
    if (!allowed || value.includes('$') || op.startsWith('!')) continue;
    const values = op === '=~' ? value.split('|') : [value];
    if (op === '=~' && !/^[\w.|]+$/.test(value)) continue; // a real regular expression: not enumerable
    for (const one of values) if (!allowed.includes(one)) problems.push(`${selector.name}{${label}${op}"${value}"}: ${one} is not one of ${allowed.join(', ')}`);
  }
  return problems;
}
