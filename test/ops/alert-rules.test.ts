import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { contractProblems } from '../support/metric-contract.ts';
import { promtool, promtoolForTests } from '../support/promtool.ts';
import { selectorsIn } from '../support/promql-selectors.ts';

interface Rule {
  alert?: string;
  expr: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
interface UnitTest {
  alert_rule_test?: Array<{ alertname: string; exp_alerts?: unknown[] }>;
}

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');
const rules = (parse(read('ops/prometheus/alerts.yml')) as { groups: Array<{ rules: Rule[] }> }).groups.flatMap((group) => group.rules);
const alerts = rules.filter((rule): rule is Rule & { alert: string } => rule.alert !== undefined);
const unitTests = (parse(read('ops/prometheus/alerts.test.yml')) as { tests: UnitTest[] }).tests.flatMap((test) => test.alert_rule_test ?? []);

describe('the alert rules (ops/prometheus/alerts.yml)', () => {
  it('say to whoever is paged how bad it is, what happened and what to do', () => {
    expect(alerts.length).toBeGreaterThanOrEqual(7);
    for (const alert of alerts) {
      expect(['critical', 'warning', 'info'], alert.alert).toContain(alert.labels?.['severity']);
      for (const key of ['summary', 'description', 'runbook']) expect(alert.annotations?.[key]?.trim(), `${alert.alert}: annotations.${key}`).toBeTruthy();
      // One line: a runbook that needs a page belongs in the docs, linked from here.
      expect(alert.annotations?.['runbook'], alert.alert).not.toContain('\n');
    }
  });

  it('read only metrics, labels and label values of the contract (ops/metric-names.json)', () => {
    const problems = rules.flatMap((rule) => selectorsIn(rule.expr).flatMap((selector) => contractProblems(selector).map((problem) => `${rule.alert}: ${problem}`)));
    expect(problems).toEqual([]);
  });

  it('each have a unit test where they fire and one where they stay quiet', () => {
    for (const { alert } of alerts) {
      const cases = unitTests.filter((test) => test.alertname === alert);
      expect(cases.some((test) => (test.exp_alerts ?? []).length > 0), `${alert} fires in some case of alerts.test.yml`).toBe(true);
      expect(cases.some((test) => (test.exp_alerts ?? []).length === 0), `${alert} stays quiet in some case of alerts.test.yml`).toBe(true);
    }
  });
});

const hasPromtool = await promtoolForTests();

describe.skipIf(!hasPromtool)('promtool', () => {
  it('accepts the alert rules', async () => {
    const run = await promtool(['check', 'rules', 'ops/prometheus/alerts.yml']);
    expect(run.ok, run.output).toBe(true);
  });

  it('passes every unit test of the alert rules: each fires on its synthetic series and only then', async () => {
    const run = await promtool(['test', 'rules', 'ops/prometheus/alerts.test.yml']);
    expect(run.ok, run.output).toBe(true);
  });

  it('accepts the compose Prometheus configuration and the rule files it loads', async () => {
    const run = await promtool(['check', 'config', 'ops/prometheus/prometheus.yml']);
    expect(run.ok, run.output).toBe(true);
    expect(run.output).toMatch(/SUCCESS: 1 rule files found/);
  });
});
