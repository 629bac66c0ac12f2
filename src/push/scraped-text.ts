/**
 * What a scraped /metrics page becomes before it joins a push: text format 0.0.4 as the gateway parses it.
 * A page is served either as text 0.0.4 or, when the client asks for it (as Prometheus and scrape-source.ts
 * do), as OpenMetrics text; prometheus_client writes both. The gateway takes only the former, so an
 * OpenMetrics page is rewritten the way prometheus_client's own 0.0.4 writer (its exposition.py) writes the
 * same registry: a counter family `x` is `x_total`, an info family `x` is the gauge `x_info`, stateset a
 * gauge, unknown untyped, and the `_created`, `_gsum` and `_gcount` samples go to gauge families of their own
 * after their family. A gaugehistogram `x` is the gauge family `x_bucket` (prometheus_client calls it a
 * histogram, and the gateway would then invent an `x_sum 0` and `x_count 0` the page never had): its series
 * are `x_bucket`, `x_gcount` and `x_gsum`, as Prometheus stores them scraping the page itself. `# UNIT` and `# EOF` lines go; a page without its
 * `# EOF` was cut short and is refused. Sample timestamps and exemplars are dropped from either format: the
 * gateway answers 400 to a pushed timestamp, and the push stands for "now".
 *
 * One name is mapped: prometheus_client can only serve a counter as `x_total`, while the catalog's counters of
 * PersiaML's spec are named without the suffix (`nan_count`, `nan_grad_skipped`, `index_miss_count`), as
 * PersiaML's own nodes push them and the NaN alerts and dashboards read them. A counter family `<c>_total`
 * whose `<c>` is such a catalog counter is written as `<c>`: a Python trainer's `Counter('nan_count', …)`
 * behind the agent is then the catalog's `nan_count` (catalog-named-families.ts checks its labels), where it
 * would otherwise be a family of its own that no alert reads.
 *
 * Nothing else is checked here: the result goes through exposition-check.ts like any extra source's text.
 */
import { METRIC_CATALOG } from '../metrics/catalog.js';
import { ExpositionSyntaxProblem } from './exposition-check.js';

export const OPENMETRICS_CONTENT_TYPE = 'application/openmetrics-text';

/** The 0.0.4 text of a scraped page whose Content-Type was `contentType`. */
export function scrapedText(body: string, contentType: string | undefined): string {
  const text = body.replace(/\r\n/g, '\n');
  const openMetrics = (contentType ?? '').toLowerCase().trimStart().startsWith(OPENMETRICS_CONTENT_TYPE);
  return withCatalogCounterNames(openMetrics ? fromOpenMetrics(text) : text.split('\n').map(withoutTimestamp).join('\n'));
}

/** The catalog's counters whose one sample is their bare name (PersiaML's spelling, no `_total`). */
const BARE_CATALOG_COUNTERS: ReadonlySet<string> = new Set(METRIC_CATALOG.filter((spec) => spec.type === 'counter' && !spec.name.endsWith('_total')).map((spec) => spec.name));

/** 0.0.4 text whose counter families `<c>_total` of a bare catalog counter `<c>` are named `<c>` (see above). */
function withCatalogCounterNames(text: string): string {
  const renamed = new Set<string>();
  for (const [, name = ''] of text.matchAll(/^#[ \t]+TYPE[ \t]+(\S+)_total[ \t]+counter[ \t]*$/gm)) if (BARE_CATALOG_COUNTERS.has(name)) renamed.add(name);
  if (renamed.size === 0) return text;
  return text
    .split('\n')
    .map((line) => {
      const meta = /^(#[ \t]+(?:HELP|TYPE)[ \t]+)(\S+)_total(?=[ \t]|$)/.exec(line);
      if (meta !== null) return renamed.has(meta[2] ?? '') ? `${meta[1] ?? ''}${meta[2] ?? ''}${line.slice(meta[0].length)}` : line;
      const name = line.slice(0, line.search(/[{ \t]|$/));
      return name.endsWith('_total') && renamed.has(name.slice(0, -'_total'.length)) ? line.slice(0, name.length - '_total'.length) + line.slice(name.length) : line;
    })
    .join('\n');
}

/** OpenMetrics family types and the 0.0.4 type and family-name suffix prometheus_client writes for them (gaugehistogram: see above). */
const TYPE_MAPPING: Readonly<Record<string, { type: string; suffix: string }>> = {
  counter: { type: 'counter', suffix: '_total' },
  gauge: { type: 'gauge', suffix: '' },
  histogram: { type: 'histogram', suffix: '' },
  gaugehistogram: { type: 'gauge', suffix: '_bucket' },
  summary: { type: 'summary', suffix: '' },
  info: { type: 'gauge', suffix: '_info' },
  stateset: { type: 'gauge', suffix: '' },
  unknown: { type: 'untyped', suffix: '' },
};
/** Samples OpenMetrics adds to a family, which 0.0.4 writes as gauge families of their own. */
const OWN_GAUGE_SUFFIXES = ['_created', '_gsum', '_gcount'];
/** The sample names an OpenMetrics family `x` writes: `x` plus one of these. */
const SAMPLE_SUFFIXES = ['', '_total', '_bucket', '_sum', '_count', '_info', ...OWN_GAUGE_SUFFIXES];

interface Family {
  readonly name: string;
  help?: string;
  type?: string;
  readonly samples: string[];
  /** `_created` etc. sample lines by suffix. */
  readonly ownGauges: Map<string, string[]>;
}

function fromOpenMetrics(text: string): string {
  const lines = text.split('\n');
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  if (lines.pop() !== '# EOF') throw new ExpositionSyntaxProblem(lines.length + 1, 'an OpenMetrics page without its closing "# EOF" (cut short?)');
  const out: string[] = [];
  let family: Family | undefined;
  const flush = (): void => {
    if (family !== undefined) out.push(...familyLines(family));
    family = undefined;
  };
  for (const line of lines) {
    const meta = /^#[ \t]+(HELP|TYPE|UNIT)[ \t]+(\S+)(?:[ \t]+(.*))?$/.exec(line);
    if (meta !== null) {
      const [, keyword, name = '', rest = ''] = meta;
      if (family?.name !== name) {
        flush();
        family = { name, samples: [], ownGauges: new Map() };
      }
      if (keyword === 'HELP') family.help = rest;
      else if (keyword === 'TYPE') family.type = rest.trim();
      continue;
    }
    if (line.startsWith('#') || line.trim() === '') continue;
    const sample = withoutTimestamp(line);
    const name = sample.slice(0, sample.search(/[{ \t]|$/));
    if (family === undefined || !SAMPLE_SUFFIXES.some((suffix) => name === `${family?.name}${suffix}`)) {
      // A sample without metadata is a family of its own (type unknown), as OpenMetrics reads it.
      flush();
      family = { name, samples: [], ownGauges: new Map() };
    }
    const suffix = OWN_GAUGE_SUFFIXES.find((candidate) => name === `${family?.name}${candidate}`);
    if (suffix !== undefined && family.type !== undefined && family.type !== 'gauge' && family.type !== 'unknown') {
      family.ownGauges.set(suffix, [...(family.ownGauges.get(suffix) ?? []), sample]);
    } else family.samples.push(sample);
  }
  flush();
  return out.length === 0 ? '' : `${out.join('\n')}\n`;
}

function familyLines(family: Family): string[] {
  const mapping = TYPE_MAPPING[family.type ?? 'unknown'];
  // An unknown type is left as it is: exposition-check.ts refuses it with the line's own words.
  const type = mapping?.type ?? family.type ?? 'untyped';
  const name = `${family.name}${mapping?.suffix ?? ''}`;
  const help = family.help === undefined ? undefined : helpText(family.help);
  const lines: string[] = [];
  if (help !== undefined) lines.push(`# HELP ${name} ${help}`);
  if (family.type !== undefined) lines.push(`# TYPE ${name} ${type}`);
  lines.push(...family.samples);
  for (const suffix of [...family.ownGauges.keys()].sort()) {
    if (help !== undefined) lines.push(`# HELP ${family.name}${suffix} ${help}`);
    lines.push(`# TYPE ${family.name}${suffix} gauge`, ...(family.ownGauges.get(suffix) ?? []));
  }
  return lines;
}

/** OpenMetrics escapes `"` in HELP text; 0.0.4 knows only `\\` and `\n` there (the gateway refuses `\"`). */
function helpText(text: string): string {
  return text.replace(/\\(.)/g, (escape, character: string) => (character === '"' ? '"' : escape));
}

/**
 * The sample line without what follows its value (a timestamp, an exemplar). A line that cannot be split
 * (an unclosed label value) is returned as it is, for exposition-check.ts to refuse with its line number.
 */
export function withoutTimestamp(line: string): string {
  if (line.startsWith('#') || line.trim() === '') return line;
  let position = line.search(/[{ \t]|$/);
  const brace = line.slice(position).search(/[^ \t]/); // the gateway takes blanks before the label set
  if (line[position + brace] === '{') {
    position += brace;
    let quoted = false;
    for (position += 1; position < line.length; position += 1) {
      const character = line[position];
      if (quoted && character === '\\') position += 1;
      else if (character === '"') quoted = !quoted;
      else if (!quoted && character === '}') break;
    }
    if (position >= line.length) return line;
    position += 1;
  }
  const head = line.slice(0, position);
  const value =
    line
      .slice(position)
      .trim()
      .split(/[ \t]+/)[0] ?? '';
  return `${head} ${value}`;
}
