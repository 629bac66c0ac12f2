/**
 * The alert and recording rules of the compose deployment, for a Prometheus on Kubernetes: the very rule
 * files src/deploy/alert-rules.ts renders, in a ConfigMap for a Prometheus configured by file, and the same
 * groups (parsed back from those files, so never a copy that drifts) in a PrometheusRule for one run by
 * the Prometheus Operator. The rules select by label, not by job, so they cover every persia-metrics job a
 * Prometheus scrapes: one name for all jobs, so applying a second job's copy replaces the first instead of
 * firing every alert twice.
 */
import { load } from 'js-yaml';
import { renderAlertRules, renderRecordingRules } from './alert-rules.js';
import { type DeployOptions } from './deploy-options.js';
import { type KubernetesObject } from './kubernetes-manifests.js';
import { ALERT_RULES_FILE, RECORDING_RULES_FILE } from './prometheus-config.js';

/** Name of the rules ConfigMap and of the PrometheusRule: one per Prometheus, whatever the job. */
export const RULES_OBJECT_NAME = 'persia-metrics-rules';

/** Where a self-managed Prometheus mounts the ConfigMap (its rule_files glob points there). */
export const RULES_MOUNT_DIR = '/etc/prometheus/persia-rules';

const LABELS = { 'app.kubernetes.io/part-of': 'persia-metrics', 'app.kubernetes.io/component': 'prometheus-rules' };

/** The rule files by name, as the compose deployment has them under config/prometheus/rules/. */
export function ruleFiles(options: DeployOptions): Record<string, string> {
  return { [ALERT_RULES_FILE]: renderAlertRules(options), [RECORDING_RULES_FILE]: renderRecordingRules() };
}

/** Every rule group of those files, in order. */
export function ruleGroups(options: DeployOptions): unknown[] {
  return Object.values(ruleFiles(options)).flatMap((text) => (load(text) as { groups: unknown[] }).groups);
}

export function prometheusRulesConfigMap(options: DeployOptions): KubernetesObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: RULES_OBJECT_NAME, labels: LABELS }, data: ruleFiles(options) };
}

export function prometheusRule(options: DeployOptions): KubernetesObject {
  return {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'PrometheusRule',
    metadata: { name: RULES_OBJECT_NAME, labels: LABELS },
    spec: { groups: ruleGroups(options) },
  };
}
