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
  /** May use `{{ $labels.<name> }}` only (no `$value`), so tests can expand it exactly. */
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
