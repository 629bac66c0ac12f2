/**
 * What every serializer shares: the series model the encoders read (ExposedFamily and the series views),
 * name checks, and the text format's (0.0.4) escaping and number formatting. Escaping follows the format
 * exactly so label values with quotes, backslashes and newlines survive the round trip through the gateway
 * and Prometheus; it is used by the text encoder only (text-exposition.ts): protobuf reads the raw label
 * values from the series (protobuf-exposition.ts), so no change here can alter a protobuf body.
 */
import { MetricDefinitionError } from '../errors.js';
import type { MetricSpec } from './catalog.js';

/** The content type of the text exposition format (0.0.4): the one definition, for every text body and request. */
export const TEXT_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** A series as the encoders see it: its label values, raw (unescaped), in the order of `spec.labels`. */
export interface ExposedSeries {
  readonly labelValues: readonly string[];
}

/** A counter or gauge series. */
export interface ScalarSeriesView extends ExposedSeries {
  readonly value: number;
}

/** A histogram series: non-cumulative counts per bucket (the last is +Inf) and the sum. */
export interface HistogramSeriesView extends ExposedSeries {
  readonly bucketCounts: Float64Array;
  readonly sum: number;
}

/**
 * A family as the encoders see it (metric-family.ts's MetricFamily is one): its spec, and its series in
 * creation order. The series order only grows until the family is cleared, which is what lets each encoder
 * keep per-series bytes or strings by position (and notice a cleared family by series identity).
 */
export interface ExposedFamily {
  readonly spec: MetricSpec;
  readonly seriesCount: number;
  /** Yields ScalarSeriesView for counters and gauges, HistogramSeriesView for histograms. */
  seriesValues(): IterableIterator<unknown>;
}

export const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

export function assertMetricName(name: string): void {
  if (!METRIC_NAME.test(name)) throw new MetricDefinitionError(`"${name}" is not a valid metric name (letters, digits, _ and :, not starting with a digit)`);
}

export function assertLabelName(metric: string, label: string): void {
  if (!LABEL_NAME.test(label) || label.startsWith('__')) {
    throw new MetricDefinitionError(`metric ${metric}: "${label}" is not a valid label name (letters, digits and _, not starting with __)`);
  }
}

/** Blanks the text parser skips after `# HELP name `: kept by protobuf, lost by text, so refused at definition. */
const LEADING_BLANK = /^[ \t]/;
const SURROGATE = /[\uD800-\uDFFF]/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * True when `text` holds half of a UTF-16 surrogate pair. It has no UTF-8 form: both formats would send
 * U+FFFD, so two different values would arrive as one. (String#isWellFormed is ES2024; this is ES2022.)
 */
export function hasLoneSurrogate(text: string): boolean {
  return SURROGATE.test(text) && LONE_SURROGATE.test(text);
}

export function assertHelp(metric: string, help: string): void {
  if (LEADING_BLANK.test(help)) {
    throw new MetricDefinitionError(`metric ${metric}: help must not start with a space or tab (the text format drops leading blanks, protobuf keeps them)`);
  }
  if (hasLoneSurrogate(help)) throw new MetricDefinitionError(`metric ${metric}: help holds a lone UTF-16 surrogate, which has no UTF-8 form`);
}

export function escapeLabelValue(value: string): string {
  return /[\\"\n]/.test(value) ? value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n') : value;
}

export function escapeHelp(help: string): string {
  return help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

/** Go's ParseFloat reads what JavaScript prints, except the infinities and NaN, which have fixed spellings. */
export function formatValue(value: number): string {
  if (Number.isFinite(value)) return String(value);
  if (Number.isNaN(value)) return 'NaN';
  return value > 0 ? '+Inf' : '-Inf';
}

/** `{a="x",b="y"}`, or '' for no labels. Computed once per series, never per sample. */
export function formatLabelSet(names: readonly string[], values: readonly string[], extra?: string): string {
  const parts = names.map((name, index) => `${name}="${escapeLabelValue(values[index] ?? '')}"`);
  if (extra !== undefined) parts.push(extra);
  return parts.length === 0 ? '' : `{${parts.join(',')}}`;
}

export function familyHeader(name: string, help: string, type: string): string {
  return `# HELP ${name} ${escapeHelp(help)}\n# TYPE ${name} ${type}\n`;
}
