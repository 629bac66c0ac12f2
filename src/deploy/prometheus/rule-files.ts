/**
 * The rule files of a deployment (config/prometheus/rules/): the monitoring model's alert and recording
 * rule groups, and its rule test cases as the `promtool test rules` file that checks them.
 */
import { alertRuleGroups, alertSpecs } from '../../monitoring/alert-rules.js';
import { ruleTestCases } from '../../monitoring/alert-rule-tests.js';
import { promDuration } from '../../monitoring/duration.js';
import { DEFAULT_SCRAPE_INTERVAL_SECONDS, type MonitoringOptions } from '../../monitoring/options.js';
import { RULE_TEST_EVALUATION_SECONDS } from '../../monitoring/fast-rule-series.js';
import { recordingRuleGroups } from '../../monitoring/recording-rules.js';
import { type AlertSpec, expandAnnotation } from '../../monitoring/rule-model.js';
import type { RuleTestCase } from '../../monitoring/straggler-rule-tests.js';
import { commented, yamlFile } from '../yaml.js';

export const ALERT_RULES_FILE = 'persia-alerts.yml';
export const RECORDING_RULES_FILE = 'persia-recording.yml';
export const RULE_TESTS_FILE = 'persia-alerts.test.yml';

export function renderAlertRules(options: MonitoringOptions): string {
  return yamlFile(`Alerts for persia-metrics jobs (rendered by \`persia-metrics init\`; tested by ${RULE_TESTS_FILE}:\npromtool test rules ${RULE_TESTS_FILE}).`, {
    groups: alertRuleGroups(options),
  });
}

export function renderRecordingRules(): string {
  return yamlFile('Recording rules for persia-metrics jobs (rendered by `persia-metrics init`).', { groups: recordingRuleGroups() });
}

/** The rule files by name, as the compose deployment has them under config/prometheus/rules/. */
export function ruleFiles(options: MonitoringOptions): Record<string, string> {
  return { [ALERT_RULES_FILE]: renderAlertRules(options), [RECORDING_RULES_FILE]: renderRecordingRules() };
}

type Labels = Readonly<Record<string, string>>;

function seriesText(labels: Labels): string {
  const { __name__: name = '', ...rest } = labels;
  const inner = Object.entries(rest)
    .map(([key, value]) => `${key}="${value}"`)
    .join(', ');
  return `${name}{${inner}}`;
}

function alertTest(spec: AlertSpec, at: number, firing: readonly Labels[]): Record<string, unknown> {
  return {
    eval_time: promDuration(at),
    alertname: spec.alert,
    exp_alerts: firing.map((labels) => ({
      exp_labels: { severity: spec.severity, ...labels },
      exp_annotations: { summary: expandAnnotation(spec.summary, labels), description: expandAnnotation(spec.description, labels) },
    })),
  };
}

function testItem(c: RuleTestCase, specs: ReadonlyMap<string, AlertSpec>): Record<string, unknown> {
  return {
    interval: promDuration(c.intervalSeconds ?? DEFAULT_SCRAPE_INTERVAL_SECONDS),
    input_series: c.series.map(([labels, values]) => ({ series: seriesText(labels), values })),
    alert_rule_test: c.evals.map((e) => {
      const spec = specs.get(e.alert);
      if (spec === undefined) throw new Error(`alert test names unknown alert ${e.alert}`);
      return alertTest(spec, e.at, e.firing);
    }),
    ...(c.exprs === undefined
      ? {}
      : {
          promql_expr_test: c.exprs.map((test) => ({
            expr: test.expr,
            eval_time: promDuration(test.at),
            exp_samples: test.samples.map((sample) => ({ labels: seriesText(sample.labels), value: sample.value })),
          })),
        }),
  };
}

/** The promtool test file: every alert firing and not firing; the recording rules too, which the straggler alert reads. */
export function renderAlertRuleTests(options: MonitoringOptions): string {
  const specs = new Map(alertSpecs(options).map((spec) => [spec.alert, spec]));
  return yamlFile(`promtool unit tests for ${ALERT_RULES_FILE}: every alert firing and not firing.\nRun: promtool test rules ${RULE_TESTS_FILE}`, {
    rule_files: [ALERT_RULES_FILE, RECORDING_RULES_FILE],
    evaluation_interval: promDuration(RULE_TEST_EVALUATION_SECONDS),
    // Each test group after the comment that says what it shows.
    tests: ruleTestCases(options).map((c, index) => commented(c.comment, testItem(c, specs), index > 0)),
  });
}
