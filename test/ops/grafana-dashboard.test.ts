import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { contractProblems, metricContract } from '../support/metric-contract.ts';
import { promtool, promtoolForTests } from '../support/promtool.ts';
import { selectorsIn } from '../support/promql-selectors.ts';

interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  targets?: Array<{ refId: string; expr: string }>;
}
interface Dashboard {
  uid: string;
  schemaVersion: number;
  panels: Panel[];
  templating: { list: Array<{ name: string; definition: string }> };
}

const dashboard = JSON.parse(readFileSync(new URL('../../ops/grafana/dashboards/tributary.json', import.meta.url), 'utf8')) as Dashboard;
const queries = dashboard.panels.flatMap((panel) => (panel.targets ?? []).map((target) => ({ panel: panel.title, expr: target.expr })));

/** The PromQL Prometheus receives once Grafana has put in its variables. */
function asPrometheusSees(expr: string): string {
  return expr.replaceAll('$__rate_interval', '1m').replaceAll('$provider', '.*');
}

describe('the Grafana dashboard (ops/grafana/dashboards/tributary.json)', () => {
  it('reads only metrics, labels and label values of the contract (ops/metric-names.json)', () => {
    expect(queries.length).toBeGreaterThan(20);
    const problems = queries.flatMap(({ panel, expr }) => selectorsIn(expr).flatMap((selector) => contractProblems(selector).map((problem) => `${panel}: ${problem}`)));
    for (const variable of dashboard.templating.list) {
      const [, metric, label] = /^label_values\((\w+),\s*(\w+)\)$/.exec(variable.definition) ?? [];
      if (!metric || !(label! in (metricContract.metrics[metric]?.labels ?? {}))) problems.push(`variable ${variable.name}: ${variable.definition}`);
    }
    expect(problems).toEqual([]);
  });

  it('shows each provider signal the alerts watch, and GraphQL\'s', () => {
    const read = new Set(queries.flatMap(({ expr }) => selectorsIn(expr).map((selector) => selector.name)));
    for (const series of [
      'tributary_upstream_requests_total',
      'tributary_upstream_request_duration_seconds_bucket',
      'tributary_cache_lookups_total',
      'tributary_quota_remaining',
      'tributary_quota_limit',
      'tributary_breaker_state',
      'tributary_events_dead_letters',
      'tributary_writes_dead_letters',
      'tributary_graphql_requests_total',
      'tributary_graphql_errors_total',
      'tributary_graphql_request_duration_seconds_bucket',
    ]) {
      expect(read, series).toContain(series);
    }
  });

  it('narrows every per-provider query to the chosen providers', () => {
    const unfiltered = queries.flatMap(({ panel, expr }) =>
      selectorsIn(expr)
        .filter((selector) => selector.name.startsWith('tributary_') && 'provider' in (metricContract.metrics[selector.name.replace(/_bucket$/, '')]?.labels ?? {}))
        .filter((selector) => !selector.matchers.some((matcher) => matcher.label === 'provider' && matcher.value === '$provider'))
        .map((selector) => `${panel}: ${selector.name}`),
    );
    expect(unfiltered).toEqual([]);
  });

  it('lays panels out on Grafana\'s 24-column grid with unique ids and query ids', () => {
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(36);
    expect(new Set(dashboard.panels.map((panel) => panel.id)).size).toBe(dashboard.panels.length);
    for (const panel of dashboard.panels) {
      expect(panel.gridPos.x + panel.gridPos.w, panel.title).toBeLessThanOrEqual(24);
      const refIds = (panel.targets ?? []).map((target) => target.refId);
      expect(new Set(refIds).size, panel.title).toBe(refIds.length);
    }
  });
});

const hasPromtool = await promtoolForTests();

describe.skipIf(!hasPromtool)('the Grafana dashboard\'s queries', () => {
  it('are PromQL that Prometheus accepts', async () => {
    // promtool has no "check this expression": as recording rules, `check rules` parses each one.
    const dir = mkdtempSync(join(tmpdir(), 'tributary-dashboard-'));
    try {
      const rules = queries.map(({ expr }, index) => ({ record: `dashboard:query_${index}`, expr: asPrometheusSees(expr) }));
      writeFileSync(join(dir, 'queries.yml'), stringify({ groups: [{ name: 'dashboard', rules }] }));
      const run = await promtool(['check', 'rules', join(dir, 'queries.yml')]);
      expect(run.ok, run.output).toBe(true);
      expect(run.output).toContain(`SUCCESS: ${queries.length} rules found`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
