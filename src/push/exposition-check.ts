/**
 * A line-level check of text exposition we did not build ourselves (an extra source's), before it joins a
 * push. A PUT is all or nothing: one line the gateway cannot parse, one series carrying a grouping label, or
 * one family the catalog (or an earlier source) already defines makes the gateway refuse or silently
 * rewrite the whole body, and then every metric of the node stops arriving because of one source.
 *
 * The check follows the text format 0.0.4 as the gateway's parser reads it (prometheus/common expfmt):
 * `# HELP name text`, `# TYPE name counter|gauge|histogram|summary|untyped`, other `#` lines are comments,
 * and samples are `name{label="value",...} value`. Samples with a timestamp are refused too: the gateway
 * answers 400 to any pushed timestamp (tried against prometheus-pushgateway 1.5.1). One series written twice
 * (the same labels in any order; an empty value is no label) is a clash as well: a gateway run with
 * --push.disable-consistency-check takes it, and its /metrics then answers 500 for every job on it ("was
 * collected before with the same name and label values", tried against 1.5.1).
 */
import { LabelClashError, MetricDefinitionError } from '../errors.js';
import { GROUPING_LABELS, type MetricSpec } from '../metrics/catalog.js';
import { GATEWAY_OWNED_NAMES, sampleNames, type MetricsRegistry } from '../metrics/registry.js';
import { catalogFamilyOf, catalogLabelsProblem } from './catalog-named-families.js';

/** The text is not exposition format the gateway would accept; `line` is 1-based. */
export class ExpositionSyntaxProblem extends Error {
  constructor(
    readonly line: number,
    detail: string,
  ) {
    super(`line ${line}: ${detail}`);
  }
}

import { METRIC_NAME } from '../metrics/exposition-format.js';
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);
/** Values the gateway's parser takes (tried against it): decimal forms, NaN/Inf/Infinity in any case (prom-client writes "Nan"); no hex, no underscores. */
const VALUE = /^[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|inf|infinity|nan)$/i;
const SERIES_SUFFIXES = ['_bucket', '_sum', '_count'];
const GROUPING: ReadonlySet<string> = new Set(GROUPING_LABELS);

/**
 * Names Prometheus writes itself for every target it scrapes: `up` and `scrape_*` (its scrape health). Pushed,
 * such a series would reach Prometheus through the gateway's scrape and pass for scrape health of its own
 * (an `up` of 1 for a node nobody scrapes). The gateway's own (push_time_seconds, push_failure_time_seconds)
 * are in registrySampleOwners.
 */
function prometheusOwned(sample: string): boolean {
  return sample === 'up' || sample.startsWith('scrape_');
}

/** Sample name → which family writes it, e.g. `metric index_miss_count of this node`. */
export type SampleOwners = ReadonlyMap<string, string>;

/**
 * The sample names a source's family writes. The gateway refuses two families whose sample names meet
 * (a histogram `index_miss` writes `index_miss_count`, the catalog's counter), whichever pushed it.
 */
function familySampleNames(name: string, type: string): string[] {
  if (type === 'summary') return [name, `${name}_sum`, `${name}_count`];
  return sampleNames({ name, type: type === 'histogram' ? 'histogram' : 'gauge' });
}

/** Who writes which sample name before any extra source: the node's own families and the gateway. */
export function registrySampleOwners(registry: MetricsRegistry): Map<string, string> {
  const owners = new Map<string, string>(GATEWAY_OWNED_NAMES.map((name) => [name, 'the Pushgateway (it adds it to every group)']));
  for (const family of registry.names()) {
    const spec = registry.get(family)?.spec;
    if (spec !== undefined) for (const name of sampleNames(spec)) owners.set(name, `this node's metric ${family}`);
  }
  return owners;
}

/**
 * Told of a family that clashes (its name, or a series of it with a grouping label) instead of a throw: the
 * caller leaves that family out and keeps the rest of the text (see extra-sources.ts).
 */
export type ClashHandler = (family: string, problem: MetricDefinitionError | LabelClashError) => void;

/**
 * Checks `text` and returns the sample names its families write, with their owner's description. Throws
 * ExpositionSyntaxProblem for text the gateway would not parse, LabelClashError for a series with a grouping
 * label, MetricDefinitionError for a family whose sample names `owners` (the node's families, the gateway's,
 * and those of sources checked before this one) or another family of this text already write, or that writes
 * one series twice, or one named like a catalog family that no owner writes but that is not that family
 * with its type and labels (catalog-named-families.ts). With
 * `onClash`, those two go to it, once per family, and the check goes on.
 */
export function checkExtraExposition(text: string, owners: SampleOwners, source = 'an extra source', onClash?: ClashHandler): Map<string, string> {
  const claimed = new Map<string, string>();
  const families = new Set<string>();
  const typed = new Map<string, string>();
  /** Families passed to onClash: their samples claim nothing and are not reported again. */
  const dropped = new Set<string>();
  /** This text's families that are the catalog's (see above), whose samples must carry the catalog's labels. */
  const catalogFamilies = new Map<string, MetricSpec>();
  let current: { name: string; type: string } | undefined;
  /** Each series written so far (sample name and sorted labels) → its line. */
  const series = new Map<string, number>();
  const clash = (family: string, problem: MetricDefinitionError | LabelClashError): void => {
    if (onClash === undefined) throw problem;
    if (!dropped.has(family)) onClash(family, problem);
    dropped.add(family);
    families.add(family);
    for (const [sample, owner] of claimed) if (owner === `${source}'s ${family}`) claimed.delete(sample);
  };
  const claim = (name: string, type: string, line: number): void => {
    for (const sample of familySampleNames(name, type)) {
      const owner = owners.get(sample) ?? claimed.get(sample);
      if (owner === undefined && !prometheusOwned(sample)) continue;
      const what = sample === name ? name : `${name} (its samples ${sample})`;
      const why =
        owner === undefined
          ? "a name Prometheus writes itself for every target it scrapes (up, scrape_*): pushed, it would pass for the gateway's scrape health"
          : `which ${owner} writes already; the gateway would refuse the whole push`;
      clash(name, new MetricDefinitionError(`${source} defines ${what} at line ${line}, ${why}`));
      return;
    }
    const catalog = catalogFamilyOf(name, type, familySampleNames(name, type), line);
    if (catalog !== undefined && 'problem' in catalog) {
      clash(name, new MetricDefinitionError(`${source} defines ${name} ${catalog.problem}`));
      return;
    }
    if (catalog !== undefined) catalogFamilies.set(name, catalog.spec);
    for (const sample of familySampleNames(name, type)) claimed.set(sample, `${source}'s ${name}`);
    families.add(name);
  };
  const lines = text.split('\n');
  for (let index = 0; index < lines.length; index += 1) {
    const number = index + 1;
    const line = (lines[index] ?? '').replace(/^[ \t]+/, '');
    if (line === '') continue;
    if (line.includes('\r')) throw new ExpositionSyntaxProblem(number, 'a carriage return (the gateway reads it as part of the line)');
    if (line.startsWith('#')) {
      const [, keyword, name, rest] = /^#[ \t]+(HELP|TYPE)(?:[ \t]+(\S+))?(?:[ \t]+(.*))?$/.exec(line) ?? [];
      if (keyword === undefined) continue; // an ordinary comment
      if (name === undefined || !METRIC_NAME.test(name)) throw new ExpositionSyntaxProblem(number, `# ${keyword} without a valid metric name`);
      if (keyword === 'HELP') continue;
      const type = (rest ?? '').trim();
      if (!TYPES.has(type)) throw new ExpositionSyntaxProblem(number, `unknown metric type "${type}" for ${name}`);
      if (typed.has(name) || families.has(name)) throw new ExpositionSyntaxProblem(number, `second TYPE line for ${name}, or TYPE after its samples`);
      typed.set(name, type);
      claim(name, type, number);
      current = { name, type };
      continue;
    }
    let sample: ReturnType<typeof checkSample>;
    try {
      sample = checkSample(line, number);
    } catch (error) {
      if (!(error instanceof LabelClashError)) throw error;
      clash(current !== undefined && belongsTo(error.metric, current) ? current.name : error.metric, error);
      continue;
    }
    const { name, key, labels } = sample;
    const ownFamily = current !== undefined && belongsTo(name, current);
    if (!ownFamily && !families.has(name)) claim(name, 'untyped', number);
    const family = ownFamily && current !== undefined ? current.name : name;
    const spec = catalogFamilies.get(family);
    const unfit = spec === undefined || dropped.has(family) ? undefined : catalogLabelsProblem(spec, name, labels, number);
    if (unfit !== undefined) clash(family, new MetricDefinitionError(`${source} writes ${name} with ${unfit}`));
    const first = series.get(key);
    if (first === undefined) series.set(key, number);
    else {
      const what = `${source} writes the series ${truncate(line.slice(0, line.search(/\}|$/) + 1))} at line ${number} again (first at line ${first}, labels in any order)`;
      clash(family, new MetricDefinitionError(`${what}; the gateway's /metrics would then fail for every job on it`));
    }
  }
  return claimed;
}

/** Checks one sample line; returns its metric name, the series' key (name and sorted non-empty labels) and those labels' names, sorted. */
function checkSample(line: string, number: number): { name: string; key: string; labels: string[] } {
  const nameEnd = line.search(/[{ \t]|$/);
  const name = line.slice(0, nameEnd);
  if (!METRIC_NAME.test(name)) throw new ExpositionSyntaxProblem(number, `"${truncate(line)}" does not start with a metric name`);
  let rest = line.slice(nameEnd).replace(/^[ \t]+/, ''); // the gateway takes blanks before the label set too
  const labels: string[] = [];
  if (rest.startsWith('{')) rest = checkLabels(rest, name, number, labels);
  const fields = rest.trim().split(/[ \t]+/);
  const value = fields[0] ?? '';
  if (fields.length === 0 || value === '' || !VALUE.test(value)) {
    throw new ExpositionSyntaxProblem(number, `${name}: expected a number as value, found "${truncate(rest.trim())}"`);
  }
  // Go's ParseFloat refuses a finite spelling beyond float64 (1e400) rather than reading it as Inf.
  if (!/^[+-]?(inf|infinity|nan)$/i.test(value) && !Number.isFinite(Number(value))) {
    throw new ExpositionSyntaxProblem(number, `${name}: value ${truncate(value)} is out of the float64 range (write +Inf)`);
  }
  if (fields.length > 1)
    throw new ExpositionSyntaxProblem(number, `${name}: a timestamp or trailing text ("${truncate(fields.slice(1).join(' '))}"); the gateway refuses pushed timestamps`);
  labels.sort();
  return { name, key: JSON.stringify([name, ...labels]), labels: labels.map((label) => label.slice(0, label.indexOf('='))) };
}

/**
 * Checks `{name="value",...}` at the start of `rest`; returns what follows the closing brace and adds each
 * `name="value"` with a non-empty value (as written: the only escapes are canonical) to `labels`.
 */
function checkLabels(rest: string, metric: string, number: number, labels: string[]): string {
  const seen = new Set<string>();
  let position = 1;
  for (;;) {
    while (rest[position] === ' ' || rest[position] === '\t') position += 1;
    if (rest[position] === '}') return rest.slice(position + 1);
    const match = /^([^=\s{},"]*)[ \t]*=[ \t]*"/.exec(rest.slice(position));
    const label = match?.[1];
    if (match === null || label === undefined || !LABEL_NAME.test(label)) {
      throw new ExpositionSyntaxProblem(number, `${metric}: expected label="value" at "${truncate(rest.slice(position))}"`);
    }
    if (GROUPING.has(label)) throw new LabelClashError(metric, label);
    if (seen.has(label)) throw new ExpositionSyntaxProblem(number, `${metric}: label ${label} appears twice`);
    seen.add(label);
    position += match[0].length;
    const valueStart = position;
    // The value: any characters but a bare quote, backslash or newline; escapes \\ \" \n only.
    for (;;) {
      const character = rest[position];
      if (character === undefined) throw new ExpositionSyntaxProblem(number, `${metric}: label value of ${label} is not closed`);
      if (character === '"') break;
      if (character === '\\') {
        if (!['\\', '"', 'n'].includes(rest[position + 1] ?? '')) throw new ExpositionSyntaxProblem(number, `${metric}: invalid escape in label value of ${label}`);
        position += 1;
      }
      position += 1;
    }
    if (position > valueStart) labels.push(`${label}="${rest.slice(valueStart, position)}"`);
    position += 1;
    while (rest[position] === ' ' || rest[position] === '\t') position += 1;
    if (rest[position] === ',') position += 1;
    else if (rest[position] !== '}') throw new ExpositionSyntaxProblem(number, `${metric}: expected "," or "}" after label ${label}`);
  }
}

/** A sample of family `family`: the family's own name, or a histogram's/summary's series names. */
function belongsTo(name: string, family: { name: string; type: string }): boolean {
  if (name === family.name) return true;
  if (family.type !== 'histogram' && family.type !== 'summary') return false;
  return SERIES_SUFFIXES.some((suffix) => name === `${family.name}${suffix}`);
}

/**
 * Drop whole families from text exposition we did not build (an extra source's, or a caller's own body): their
 * HELP/TYPE lines and their samples (a histogram's or summary's _bucket/_sum/_count lines sit under its TYPE
 * line). A sample that is not its header's family's is a family of its own, as the gateway's parser reads it
 * (`# TYPE up gauge`, `up 1`, then `okfam 3`: okfam stays when up goes), dropped by its own name.
 */
export function withoutFamilies(body: string, families: ReadonlySet<string>): string {
  if (families.size === 0) return body;
  const kept: string[] = [];
  let current: { name: string; type: string } | undefined;
  for (const line of body.split('\n')) {
    const header = /^# (HELP|TYPE) (\S+)(?: (\S+))?/.exec(line);
    if (header !== null) {
      const [, keyword, name = '', type = 'untyped'] = header;
      if (current?.name !== name || keyword === 'TYPE') current = { name, type: keyword === 'TYPE' ? type : 'untyped' };
      if (families.has(name)) continue;
    } else if (!line.startsWith('#') && line !== '') {
      const name = line.slice(0, line.search(/[{\s]|$/));
      if (current !== undefined && !belongsTo(name, current)) current = undefined;
      if (families.has(current?.name ?? name)) continue;
    } else if (current !== undefined && families.has(current.name)) continue;
    kept.push(line);
  }
  return kept.join('\n');
}

function truncate(text: string): string {
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
