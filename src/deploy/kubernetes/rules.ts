/**
 * The alert and recording rules of the compose deployment, for a Prometheus on Kubernetes: the very rule
 * files src/deploy/prometheus/rule-files.ts writes, in a ConfigMap for a Prometheus configured by file, and
 * the same rule groups of the monitoring model in a PrometheusRule for one run by the Prometheus Operator.
 * The rules select by label, not by job, so they cover every persia-metrics job a Prometheus scrapes: one
 * name for all jobs, so applying a second job's copy replaces the first instead of firing every alert twice.
 */
import { alertRuleGroups } from '../../monitoring/alert-rules.js';
import type { MonitoringOptions } from '../../monitoring/options.js';
import { recordingRuleGroups } from '../../monitoring/recording-rules.js';
import type { RuleGroup } from '../../monitoring/rule-model.js';
import { ruleFiles } from '../prometheus/rule-files.js';
import { type KubernetesObject } from './manifests.js';

/** Name of the rules ConfigMap and of the PrometheusRule: one per Prometheus, whatever the job. */
export const RULES_OBJECT_NAME = 'persia-metrics-rules';

/** Where a self-managed Prometheus mounts the ConfigMap (its rule_files glob points there). */
export const RULES_MOUNT_DIR = '/etc/prometheus/persia-rules';

const LABELS = { 'app.kubernetes.io/part-of': 'persia-metrics', 'app.kubernetes.io/component': 'prometheus-rules' };

/** Every rule group, in the order of the rule files (alerts, then recording rules). */
export function ruleGroups(options: MonitoringOptions): RuleGroup[] {
  return [...alertRuleGroups(options), ...recordingRuleGroups()];
}

export function prometheusRulesConfigMap(options: MonitoringOptions): KubernetesObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: RULES_OBJECT_NAME, labels: LABELS }, data: ruleFiles(options) };
}

export function prometheusRule(options: MonitoringOptions): KubernetesObject {
  return {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'PrometheusRule',
    metadata: { name: RULES_OBJECT_NAME, labels: LABELS },
    spec: { groups: ruleGroups(options) },
  };
}
