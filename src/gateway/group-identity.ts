/**
 * A group's identity on the gateway: the exact bytes of its grouping values, as its DELETE path
 * (exactGroupingPath, label-bytes.ts). The JSON API shows every byte that is not valid UTF-8 as U+FFFD, so
 * a group pushed under the byte 0xFF and one pushed under a real U+FFFD look alike there; only the 500 of
 * the gateway's /metrics (scrape-health.ts) names the first by its bytes, and a page that answers 200 holds
 * no such byte at all. Deleting a group and confirming it is gone both go by this identity
 * (src/discovery/group-expiry.ts), and status tells such groups apart with it.
 */
import { firstValue, type ApiGroup } from './api.js';
import { asJsonShowsIt, exactGroupingPath, exactLabelsOf } from './label-bytes.js';
import type { ScrapeHealth, ScrapeProblem } from './scrape-health.js';

/** Set by the gateway on each push of a group, to the nanosecond: what tells apart groups the JSON API shows alike. */
const PUSH_TIMES = ['push_time_seconds', 'push_failure_time_seconds'];

/** Whether the JSON API may have hidden this group's bytes: a value it shows holds U+FFFD. */
export function showsReplacement(labels: Readonly<Record<string, string>> | undefined): boolean {
  return Object.values(labels ?? {}).some((value) => value.includes('\uFFFD'));
}

/** The identity of grouping values that are text: their UTF-8 bytes. */
export function textPath(labels: Readonly<Record<string, string>>): string {
  return exactGroupingPath(new Map(Object.entries(labels).map(([name, value]) => [name, Buffer.from(value, 'utf8')])));
}

/** The push-time series of the 500 that are not UTF-8: one per such group and push time, with its exact bytes and value. */
function timedProblems(problems: readonly ScrapeProblem[]): ScrapeProblem[] {
  return problems.filter((problem) => problem.kind === 'invalid-utf8' && PUSH_TIMES.includes(problem.metric) && problem.value !== undefined);
}

/** The exact path of a push-time series if its grouping labels are `labels` as the JSON API shows them. */
function pathSpeltLike(labels: Readonly<Record<string, string>>, problem: ScrapeProblem): string | undefined {
  const names = Object.keys(labels);
  const spelt = names.every((name) => asJsonShowsIt(problem.labels.get(name) ?? new Uint8Array()) === labels[name]);
  const more = [...problem.labels].some(([name, value]) => !names.includes(name) && value.length > 0);
  if (!spelt || more) return undefined;
  return exactGroupingPath(new Map(names.map((name) => [name, problem.labels.get(name) ?? new Uint8Array()] as const)));
}

/**
 * The exact DELETE path of each group the JSON API shows with U+FFFD whose bytes are not UTF-8, from the
 * scrape's 500 (problems): groups that differ only in such bytes look alike in JSON, but the 500 names
 * each of their series by its bytes and value, and the push times the gateway sets on each group differ.
 * A group is given the one path whose push times (one at least not 0) equal its own; one that matches
 * none, or several, or shares its match with another group, is left out (a real U+FFFD matches none).
 */
export function exactGroupingPaths(groups: readonly ApiGroup[], problems: readonly ScrapeProblem[]): Map<ApiGroup, string> {
  const timed = timedProblems(problems);
  const matched = new Map<ApiGroup, string>();
  const owners = new Map<string, number>();
  for (const group of groups) {
    const labels = group.labels ?? {};
    if (!showsReplacement(labels)) continue;
    // Per exact path spelt like this group, whether its push times are this group's.
    const fit = new Map<string, { same: boolean; told: boolean }>();
    for (const problem of timed) {
      const path = pathSpeltLike(labels, problem);
      if (path === undefined) continue;
      const entry = fit.get(path) ?? { same: true, told: false };
      entry.same &&= firstValue(group, problem.metric) === problem.value;
      entry.told ||= problem.value !== 0; // a push time of 0 (never) tells no group apart
      fit.set(path, entry);
    }
    const fits = [...fit].filter(([, entry]) => entry.same && entry.told).map(([path]) => path);
    if (fits.length !== 1) continue;
    const [path = ''] = fits;
    matched.set(group, path);
    owners.set(path, (owners.get(path) ?? 0) + 1);
  }
  for (const [group, path] of matched) if ((owners.get(path) ?? 0) > 1) matched.delete(group);
  return matched;
}

/** Every group's identity as far as the gateway tells it, and which identities it holds. */
export interface GroupIdentities {
  /** The group's exact DELETE path; undefined when the gateway does not tell its bytes. */
  readonly pathOf: (group: ApiGroup) => string | undefined;
  /** Whether the gateway holds a group under exactly this path; undefined when it holds one spelt alike whose bytes it does not tell. */
  readonly holds: (path: string) => boolean | undefined;
}

/**
 * The identities of `groups` (one read of the JSON API), with `scrape` a probe of /metrics made beside it
 * (undefined: not probed). A group shown without U+FFFD is its text. One shown with U+FFFD is, when the
 * page answers 200, its text too (the page fails on any byte that is not UTF-8); otherwise the groups
 * spelt alike are matched to the paths the 500 names by their push times (exactGroupingPaths), and the one
 * left over, when one group more than the 500 names is spelt alike, is the real U+FFFD, its text.
 */
export function groupIdentities(groups: readonly ApiGroup[], scrape: ScrapeHealth | undefined): GroupIdentities {
  const paths = new Map<ApiGroup, string | undefined>();
  const spellings = new Map<string, ApiGroup[]>();
  for (const group of groups) {
    const labels = group.labels ?? {};
    if (!showsReplacement(labels) || scrape?.statusCode === 200) paths.set(group, textPath(labels));
    else spellings.set(spellingKey(labels), [...(spellings.get(spellingKey(labels)) ?? []), group]);
  }
  const timed = scrape === undefined ? [] : timedProblems(scrape.problems);
  for (const alike of spellings.values()) {
    const labels = alike[0]?.labels ?? {};
    if (scrape === undefined || scrape.statusCode === 0) {
      for (const group of alike) paths.set(group, undefined);
      continue;
    }
    const named = new Set(timed.map((problem) => pathSpeltLike(labels, problem)).filter((path): path is string => path !== undefined));
    // One group more than the 500 names: the one whose bytes are UTF-8 (a real U+FFFD). More than one more: the 500 did not name them all.
    const candidates = alike.length === named.size + 1 ? new Set([...named, textPath(labels)]) : named;
    const matched = exactGroupingPaths(alike, scrape.problems);
    for (const path of matched.values()) candidates.delete(path);
    const unmatched = alike.filter((group) => !matched.has(group));
    for (const group of alike) paths.set(group, matched.get(group) ?? (unmatched.length === 1 && candidates.size === 1 ? [...candidates][0] : undefined));
  }
  const held = new Set([...paths.values()].filter((path): path is string => path !== undefined));
  const untold = new Set([...paths].filter(([, path]) => path === undefined).map(([group]) => spellingKey(group.labels ?? {})));
  return {
    pathOf: (group) => paths.get(group),
    holds: (path) => {
      if (held.has(path)) return true;
      const shown = Object.fromEntries([...exactLabelsOf(path)].map(([name, bytes]) => [name, asJsonShowsIt(bytes)]));
      return untold.has(spellingKey(shown)) ? undefined : false;
    },
  };
}

function spellingKey(labels: Readonly<Record<string, string>>): string {
  return JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
