/**
 * Prometheus rules as data, in the shape of a rule file's `groups:` (and of a PrometheusRule's
 * `spec.groups`): the serializers in src/deploy write these objects, never text built by hand.
 */

/** An alert as the model states it; `alertRule` turns it into the rule file's shape. */
export interface AlertSpec {
  readonly alert: string;
  readonly expr: string;
  /** Prometheus duration; omitted: fires on the first evaluation that matches. */
  readonly for?: string;
  readonly severity: 'warning' | 'critical';
  /**
   * May use `{{ $labels.<name> }}` and `{{ with $labels.<name> }}…{{ . }}…{{ else }}…{{ end }}` only (no
   * `$value`), so tests can expand it exactly (expandAnnotation). Name a node with NODE_NAME.
   */
  readonly summary: string;
  readonly description: string;
}

export interface AlertRule {
  readonly alert: string;
  readonly expr: string;
  readonly for?: string;
  readonly labels: { readonly severity: AlertSpec['severity'] };
  readonly annotations: { readonly summary: string; readonly description: string };
}

export interface RecordingRule {
  readonly record: string;
  readonly expr: string;
  readonly labels?: Readonly<Record<string, string>>;
}

/** Rules of one group run in order, each seeing the previous ones' results of the same evaluation. */
export interface RuleGroup {
  readonly name: string;
  readonly rules: ReadonlyArray<AlertRule | RecordingRule>;
}

export function alertRule(spec: AlertSpec): AlertRule {
  return {
    alert: spec.alert,
    expr: spec.expr,
    ...(spec.for === undefined ? {} : { for: spec.for }),
    labels: { severity: spec.severity },
    annotations: { summary: spec.summary, description: spec.description },
  };
}

/** A node's role; PersiaML's own nodes push none (their grouping key is job, instance, ip_addr). */
export const NODE_ROLE = '{{ with $labels.role }}{{ . }}{{ else }}node{{ end }}';

/**
 * The one name of a node in every alert's summary and description: its role (`node` when it has none), its
 * instance, its `ip_addr` when it has one (two PersiaML nodes of one replica index on two hosts differ only
 * there) and its job: "server rep_0 of job dlrm", "node rep_0 at 10.0.0.7 of job dlrm".
 */
export const NODE_NAME = `${NODE_ROLE} {{ $labels.instance }}{{ with $labels.ip_addr }} at {{ . }}{{ end }} of job {{ $labels.job }}`;

const LABEL = '\\$labels\\.([a-zA-Z_][a-zA-Z0-9_]*)';
const WITH = new RegExp(`\\{\\{ with ${LABEL} \\}\\}(.*?)(?:\\{\\{ else \\}\\}(.*?))?\\{\\{ end \\}\\}`, 'g');
const VALUE = new RegExp(`\\{\\{ ${LABEL} \\}\\}`, 'g');

/** An annotation as Prometheus expands it for these labels (the subset AlertSpec allows; blocks do not nest). */
export function expandAnnotation(template: string, labels: Readonly<Record<string, string>>): string {
  return template
    .replace(WITH, (_, name: string, then: string, otherwise: string | undefined) => {
      const value = labels[name] ?? '';
      return value === '' ? (otherwise ?? '') : then.replaceAll('{{ . }}', value);
    })
    .replace(VALUE, (_, name: string) => labels[name] ?? '');
}
