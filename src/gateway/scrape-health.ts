/**
 * Whether Prometheus can scrape a gateway, and which groups stop it. The Pushgateway's `/metrics` is all
 * or nothing: one family pushed with two types by two groups (with `--push.disable-consistency-check`), or
 * one group whose grouping value is not valid UTF-8 (with the check on too: the push is refused but the
 * group stays, measured on 1.5.1), and the whole page answers 500, so every job on that gateway goes dark
 * while every push still gets 202. The 500's body lists each offending series in protobuf text form,
 * `collected metric "epoch_loss" { label:<name:"instance" value:"y" > ... } is not a GAUGE`, with every
 * non-ASCII byte escaped (`\377`): the only place the gateway shows a label's exact bytes, since its JSON API
 * replaces invalid UTF-8 by U+FFFD and a DELETE to that spelling is answered 202 and deletes nothing.
 * A page that answers 200 can fail too: text Prometheus cannot parse (exposition-check.ts) downs the
 * target as surely as a 500.
 *
 * The request is GatewayClient.scrapeStatus() (client.ts); reading and matching it to groups is pure here,
 * the bytes' spellings in label-bytes.ts.
 */
import { familyNames, type ApiGroup } from './api.js';
import type { GatewayClient } from './client.js';
import { ExpositionCheck } from './exposition-check.js';
import { asJsonShowsIt, exactGroupingPath, unescapeText } from './label-bytes.js';
import { catalogTypeCulprits, duplicateSeriesCulprits, suffixCollisionCulprits, typeClashCulprits, unwritableFamilyCulprits } from './series-collisions.js';

/**
 * Why the gateway cannot expose a series: a family with two types, a value that is not UTF-8, one series
 * from two groups (or twice from one), a family named like another's samples (`x_bucket` beside the
 * histogram `x`), a line of a 200 page Prometheus cannot parse (exposition-check.ts), a catalog family
 * held with another type (no page error of its own: the gateway refuses every node's push of that family
 * with its consistency check on, and fails its page at the first one with it off).
 */
export type ScrapeProblemKind = 'type-clash' | 'invalid-utf8' | 'duplicate' | 'suffix-collision' | 'unparsable' | 'catalog-type' | 'other';

export interface ScrapeProblem {
  readonly metric: string;
  /** The series' labels (grouping labels included) as the exact bytes the gateway holds. */
  readonly labels: ReadonlyMap<string, Uint8Array>;
  readonly kind: ScrapeProblemKind;
  /** The gateway's own line for it. */
  readonly text: string;
  /** The series' value where the line shows one (`gauge:<value:1.7e+09 >`). */
  readonly value?: number;
  /** A suffix collision: the other family's name, and whether `metric` is the histogram/summary of the two. */
  readonly collidesWith?: string;
  readonly metricIsAggregate?: boolean;
}

export interface ScrapeHealth {
  readonly ok: boolean;
  readonly statusCode: number;
  /** What the gateway answered instead of its page (its error lines), or what in its 200 page does not parse: raw (escape before showing), at most DETAIL_CHARS; empty when ok. */
  readonly detail: string;
  readonly problems: readonly ScrapeProblem[];
}

/** A group that makes the gateway's `/metrics` fail, addressed by the bytes it was pushed under. */
export interface BrokenGroup {
  /** Its labels as the JSON API shows them (invalid UTF-8 as U+FFFD). */
  readonly labels: Readonly<Record<string, string>>;
  /** The DELETE path built from the exact bytes, every value in the gateway's `@base64` form. */
  readonly exactPath: string;
  readonly problems: readonly ScrapeProblem[];
  /** Why, one short text per reason (`epoch_loss pushed as COUNTER; expected GAUGE, the type its other groups use`). */
  readonly reasons: readonly string[];
}

/**
 * Probes `/metrics` once, reading a 200 page as Prometheus would (exposition-check.ts): a page whose text
 * does not parse is as broken as a 500. Rejects only when the gateway cannot be reached (a GatewayRequestError).
 */
export async function probeScrape(client: GatewayClient): Promise<ScrapeHealth> {
  const check = new ExpositionCheck();
  const { statusCode, body } = await client.scrapeStatus((line) => check.line(line));
  if (statusCode !== 200) return { ok: false, statusCode, detail: errorDetail(body), problems: parseScrapeErrors(body) };
  if (check.problems.length === 0) return { ok: true, statusCode, detail: '', problems: [] };
  const texts = [...new Set(check.problems.map((problem) => `${problem.metric}: ${problem.text}`))];
  return { ok: false, statusCode, detail: `text Prometheus cannot parse: ${errorDetail(texts.join('\n'))}`, problems: check.problems };
}

/** How much of the gateway's error text is kept to show: a few of its lines (each names one series). */
export const DETAIL_CHARS = 600;

/**
 * The gateway's error text without its headers ("An error has occurred while serving metrics:", "3 error(s)
 * occurred:"), its lines joined by " | ", cut at DETAIL_CHARS with the count of what is left out.
 */
export function errorDetail(body: string): string {
  const lines = body
    .split('\n')
    .map((line) => line.replace(/^\*\s*/, '').trim())
    .filter((line) => line !== '' && !/^An error has occurred while serving metrics:?$/.test(line) && !/^\d+ error\(s\) occurred:?$/.test(line));
  if (lines.length === 0) return body.trim() === '' ? '(empty body)' : body.trim().slice(0, DETAIL_CHARS);
  let detail = '';
  let shown = 0;
  for (const line of lines) {
    const next = detail === '' ? line : `${detail} | ${line}`;
    if (next.length > DETAIL_CHARS) break;
    detail = next;
    shown += 1;
  }
  if (shown === 0) return `${(lines[0] ?? '').slice(0, DETAIL_CHARS)}...${lines.length > 1 ? ` (and ${lines.length - 1} more)` : ''}`;
  return shown < lines.length ? `${detail} | (and ${lines.length - shown} more)` : detail;
}

const COLLECTED = /collected metric "([^"]*)" \{(.*)\} (.*)$/;
/** client_golang's registry (checkSuffixCollisions): which is first, and whether it is the histogram/summary. */
const SUFFIX_COLLISION = /collected (metric|histogram|histogram or summary) named "([^"]*)" collides with previously collected (?:metric|histogram|summary) named "([^"]*)"/;
/** The value of a counter, gauge or untyped series in protobuf text form. */
const SERIES_VALUE = /(?:^|\s)(?:counter|gauge|untyped)\s*:?\s*[<{]\s*value:\s*([^\s>}]+)/;
const LABEL = /label:\s*[<{]\s*name:\s*"((?:[^"\\]|\\.)*)"\s+value:\s*"((?:[^"\\]|\\.)*)"\s*[>}]/g;

/** Every series the gateway's 500 names, in its order. */
export function parseScrapeErrors(body: string): ScrapeProblem[] {
  const problems: ScrapeProblem[] = [];
  for (const line of body.split('\n')) {
    const text = line.replace(/^\*\s*/, '').trim();
    const suffix = SUFFIX_COLLISION.exec(line);
    if (suffix !== null) {
      const [, what = '', metric = '', collidesWith = ''] = suffix;
      problems.push({ metric, labels: new Map(), kind: 'suffix-collision', text, collidesWith, metricIsAggregate: what !== 'metric' });
      continue;
    }
    const match = COLLECTED.exec(line);
    if (match === null) continue;
    const [, metric = '', inner = '', why = ''] = match;
    const labels = new Map<string, Uint8Array>();
    for (const [, name = '', value = ''] of inner.matchAll(LABEL)) labels.set(Buffer.from(unescapeText(name)).toString('utf8'), unescapeText(value));
    const kind: ScrapeProblemKind = /not utf8|not valid UTF-8/i.test(why)
      ? 'invalid-utf8'
      : /is not a [A-Z]+/.test(why)
        ? 'type-clash'
        : /collected before with the same name and label values/.test(why)
          ? 'duplicate'
          : 'other';
    const value = SERIES_VALUE.exec(inner)?.[1];
    problems.push({ metric, labels, kind, text, ...(value === undefined || !Number.isFinite(Number(value)) ? {} : { value: Number(value) }) });
  }
  return problems;
}

/**
 * The groups that make `/metrics` fail. A series that is not valid UTF-8 (or fails otherwise) belongs to
 * the group that holds its family and whose grouping labels equal the series' labels as the JSON API shows
 * them; of several, the one with the most grouping labels (the gateway adds `instance=""` to a job-only
 * group's series, so `{job}` alone also matches). For a type clash the gateway names whichever series
 * disagrees with the first type it gathered, which may be the right one (a catalog family sent untyped by
 * another program, gathered first): the family's groups are compared instead, and the ones whose type is
 * not `expectedType(family)` (the catalog's, passed in from above this layer), or for a family the catalog
 * does not know, not the type most of them use (a tie: the type the gateway kept, and the reason says it
 * was a tie), are the breaking ones: oddOnesOut (series-collisions.ts), the rule a name collision is judged
 * by too. When every group holds the family with one type, one group's push put a sample of another type
 * in it (a protobuf GAUGE family carrying a counter value): the group holding that series is the one.
 */
export function groupsBreakingScrape(
  groups: readonly ApiGroup[],
  problems: readonly ScrapeProblem[],
  expectedType: (family: string) => string | undefined = () => undefined,
): BrokenGroup[] {
  const found = new Map<string, { labels: Record<string, string>; problems: ScrapeProblem[]; reasons: Set<string> }>();
  const add = (labels: Record<string, string>, path: string, problem: ScrapeProblem, reason: string) => {
    const entry = found.get(path) ?? { labels: { ...labels }, problems: [], reasons: new Set<string>() };
    entry.problems.push(problem);
    entry.reasons.add(reason);
    found.set(path, entry);
  };
  const clashing = new Set<string>();
  for (const problem of problems) {
    const wrongTypes = problem.kind === 'type-clash' ? typeClashCulprits(groups, problem, expectedType(problem.metric)) : [];
    if (wrongTypes.length > 0) {
      if (clashing.has(problem.metric)) continue;
      clashing.add(problem.metric);
      for (const { group, reason } of wrongTypes) {
        const path = jsonPath(group.labels ?? {});
        if (path !== undefined) add(group.labels ?? {}, path, problem, reason); // a group that is not UTF-8 is named by its own problem
      }
      continue;
    }
    if (problem.kind === 'suffix-collision') {
      if (clashing.has(`${problem.metric} ${problem.collidesWith ?? ''}`)) continue;
      clashing.add(`${problem.metric} ${problem.collidesWith ?? ''}`);
      for (const { group, reason } of suffixCollisionCulprits(groups, problem, expectedType)) {
        const path = jsonPath(group.labels ?? {});
        if (path !== undefined) add(group.labels ?? {}, path, problem, reason);
      }
      continue;
    }
    if (problem.kind === 'duplicate') {
      const shown = Object.fromEntries([...problem.labels].map(([name, value]) => [name, asJsonShowsIt(value)]));
      for (const { group, reason } of duplicateSeriesCulprits(groups, problem, shown)) add(group.labels ?? {}, seriesPath(group, problem), problem, reason);
      continue;
    }
    // A problem of the family itself (no series: its TYPE line) is every holder's; a series' is its group's.
    const wholeFamily = problem.kind === 'unparsable' && problem.labels.size === 0;
    const holders = groups.filter((group) => {
      const labels = group.labels ?? {};
      if (!familyNames(group).includes(problem.metric)) return false;
      return wholeFamily || Object.entries(labels).every(([name, value]) => asJsonShowsIt(problem.labels.get(name) ?? new Uint8Array()) === value);
    });
    if (wholeFamily) {
      for (const holder of holders) {
        const path = jsonPath(holder.labels ?? {});
        if (path !== undefined) add(holder.labels ?? {}, path, problem, holderReason(holder, problem));
      }
      continue;
    }
    const holder = holders.sort((a, b) => Object.keys(b.labels ?? {}).length - Object.keys(a.labels ?? {}).length)[0];
    if (holder === undefined) continue;
    add(holder.labels ?? {}, seriesPath(holder, problem), problem, holderReason(holder, problem));
  }
  // A catalog family held with another type breaks every node's push of it (check on) or the page once one is pushed (off);
  // a family the gateway cannot write cuts its page short, which may still parse.
  for (const { group, problem, reason } of [...catalogTypeCulprits(groups, expectedType), ...unwritableFamilyCulprits(groups)]) {
    const path = jsonPath(group.labels ?? {});
    if (path !== undefined && found.get(path)?.problems.some((p) => p.metric === problem.metric) !== true) add(group.labels ?? {}, path, problem, reason);
  }
  return [...found].map(([exactPath, entry]) => ({ labels: entry.labels, exactPath, problems: entry.problems, reasons: fewReasons([...entry.reasons]) }));
}

/** A group writing into every series of a node has one reason per series: three say it, a count says the rest. */
function fewReasons(reasons: string[]): string[] {
  return reasons.length <= 3 ? reasons : [...reasons.slice(0, 3), `and ${reasons.length - 3} more series`];
}

/** The DELETE path of a group shown by the JSON API, or undefined when it shows U+FFFD (not its bytes). */
function jsonPath(labels: Readonly<Record<string, string>>): string | undefined {
  if (Object.values(labels).some((value) => value.includes('\uFFFD'))) return undefined;
  return exactGroupingPath(new Map(Object.entries(labels).map(([name, value]) => [name, Buffer.from(value, 'utf8')])));
}

/** The DELETE path of a group holding a series the gateway's error names: its grouping values as the series' exact bytes. */
function seriesPath(group: ApiGroup, problem: ScrapeProblem): string {
  return exactGroupingPath(new Map(Object.keys(group.labels ?? {}).map((name) => [name, problem.labels.get(name) ?? new Uint8Array()] as const)));
}

/** Why the group holding a series the gateway (or Prometheus) cannot read breaks the page. */
function holderReason(group: ApiGroup, problem: ScrapeProblem): string {
  if (problem.kind === 'invalid-utf8') return notUtf8Reason(group, problem);
  if (problem.kind === 'unparsable') return `${problem.metric}: ${problem.text}, so Prometheus cannot parse the gateway's page`;
  // Every group holds the family with one type: this group's push put a sample of another type in it.
  const type = /is not a ([A-Z]+)/.exec(problem.text)?.[1];
  if (problem.kind === 'type-clash' && type !== undefined) return `${problem.metric} is typed ${type} but holds a sample of another type`;
  return problem.text;
}

/** Which value is not UTF-8: a grouping value (the group's key), or one its body sets (the gateway's line names the label). */
function notUtf8Reason(group: ApiGroup, problem: ScrapeProblem): string {
  const label = /label named "((?:[^"\\]|\\.)*)" whose value is not/.exec(problem.text)?.[1];
  if (label === undefined || label in (group.labels ?? {})) return 'a grouping value is not valid UTF-8';
  return `the value of ${label} in ${problem.metric} (set in its body, not in its grouping key) is not valid UTF-8`;
}
