/**
 * A gateway's `/metrics` page read as Prometheus reads it. The Pushgateway (1.5.1) accepts a protobuf push
 * of a family named `a-b` or `gé`, or of a histogram whose series carry their own `le` label, with its
 * consistency check on or off (its registry allows such names), and then writes them into its text page
 * as they are: the page answers 200, Prometheus's parser stops at the first such line (`invalid metric
 * type "b gauge"`, `label name "le" is not unique`), the target is down and every job on the gateway goes
 * dark. So a 200 proves nothing until the text parses. The rules are Prometheus's text format's (2.x):
 * metric names `[a-zA-Z_:][a-zA-Z0-9_:]*`, label names `[a-zA-Z_][a-zA-Z0-9_]*`, each label once per
 * series. Pure: GatewayClient.scrapeStatus() (client.ts) streams the page through it line by line.
 */
import type { ScrapeProblem } from './scrape-health.js';

export const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
/** The types a text page can say; the gateway writes `# TYPE x` and stops its page at any other (GAUGE_HISTOGRAM). */
export const TEXT_TYPES: readonly string[] = ['counter', 'gauge', 'histogram', 'summary', 'untyped'];
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
/** Problems kept per page: each names one series, a few per breaking group are enough to find them all. */
export const MAX_PAGE_PROBLEMS = 1000;

/** Checks a page line by line; `problems` are the series Prometheus could not read, in page order. */
export class ExpositionCheck {
  readonly problems: ScrapeProblem[] = [];
  private family = '';

  line(text: string): void {
    if (text === '') return;
    if (text.startsWith('#')) {
      // `# TYPE name type` and `# HELP name text`: the gateway writes the family's name as it was pushed.
      const meta = /^#\s+(TYPE|HELP)\s+(\S*)\s*(.*)$/.exec(text);
      if (meta === null) return;
      this.family = meta[2] ?? '';
      const type = meta[3] ?? '';
      // A family without series on the page (its type unwritable) is named by its name alone: all its groups.
      if (meta[1] === 'TYPE' && !TEXT_TYPES.includes(type)) this.add(this.family, new Map(), `invalid metric type ${JSON.stringify(type)}`);
      return;
    }
    const sample = parseSample(text);
    // The gateway writes a family's TYPE line before its samples: the family is that name (its JSON API key).
    const family = this.family !== '' && sample.name.startsWith(this.family) ? this.family : sample.name;
    const why = !METRIC_NAME.test(sample.name)
      ? `invalid metric name ${JSON.stringify(sample.name)}`
      : (sample.badLabel ?? (sample.duplicate === undefined ? undefined : `label name ${JSON.stringify(sample.duplicate)} is not unique`));
    if (why !== undefined) this.add(family, sample.labels, why);
  }

  private add(family: string, labels: ReadonlyMap<string, string>, why: string): void {
    if (this.problems.length >= MAX_PAGE_PROBLEMS) return; // the page is broken already; memory stays bounded
    const bytes = new Map([...labels].map(([name, value]) => [name, Buffer.from(value, 'utf8')] as const));
    this.problems.push({ metric: family, labels: bytes, kind: 'unparsable', text: why });
  }
}

interface Sample {
  readonly name: string;
  /** Labels as first set on the line (a repeated name keeps its first value). */
  readonly labels: Map<string, string>;
  readonly duplicate?: string;
  readonly badLabel?: string;
}

/** `name{label="value",...} value [timestamp]`, read as far as the checks need. */
function parseSample(text: string): Sample {
  const brace = text.indexOf('{');
  const space = text.search(/[ \t]/);
  const end = brace !== -1 && (space === -1 || brace < space) ? brace : space === -1 ? text.length : space;
  const name = text.slice(0, end);
  const labels = new Map<string, string>();
  if (text[end] !== '{') return { name, labels };
  let duplicate: string | undefined;
  let badLabel: string | undefined;
  let i = end + 1;
  while (i < text.length && text[i] !== '}') {
    const equals = text.indexOf('=', i);
    if (equals === -1) break;
    const label = text.slice(i, equals).trim();
    let value = '';
    let j = equals + 1;
    if (text[j] === '"') j += 1;
    for (; j < text.length && text[j] !== '"'; j++) {
      if (text[j] === '\\') {
        j += 1;
        value += text[j] === 'n' ? '\n' : (text[j] ?? '');
      } else value += text[j];
    }
    if (!LABEL_NAME.test(label)) badLabel ??= `invalid label name ${JSON.stringify(label)}`;
    if (labels.has(label)) duplicate ??= label;
    else labels.set(label, value);
    i = j + 1;
    if (text[i] === ',') i += 1;
  }
  return { name, labels, ...(duplicate === undefined ? {} : { duplicate }), ...(badLabel === undefined ? {} : { badLabel }) };
}
