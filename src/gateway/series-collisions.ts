/**
 * Which group to blame when two series meet on the gateway's page (scrape-health.ts reads the 500 that
 * names them). Both kinds are pushed by someone other than the group that looks guilty at first sight:
 *
 * - "was collected before with the same name and label values": two groups produce one series. A group
 *   whose grouping key lacks a label its body sets (`job/hj/role/server` pushing
 *   `persia_node_state{instance="rep_0"}`) writes into another group's identity: where another group holds
 *   the series and its grouping key owns more of the series' labels, the one owning fewer is the intruder.
 *   The gateway names whichever copy it gathered second, which may be the healthy node's.
 * - "collected metric named X_bucket collides with previously collected histogram named X": one family's
 *   name is another's sample name. The family the catalog does not know (or, neither known, the one that
 *   is not the histogram/summary) is the intruder.
 */
import { family, familyNames, type ApiGroup } from './api.js';
import type { ScrapeProblem } from './scrape-health.js';

/** A group blamed for a collision, and why (one short text). */
export interface Culprit {
  readonly group: ApiGroup;
  readonly reason: string;
}

/** `{job="hj",role="server"}`, names sorted, empty values left out (an empty label is no label). */
export function labelText(labels: Readonly<Record<string, string>>): string {
  const entries = Object.entries(labels)
    .filter(([, value]) => value !== '')
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([name, value]) => `${name}=${JSON.stringify(value)}`).join(',')}}`;
}

/**
 * The groups to blame for one series written twice. `shown` is the series' labels as the JSON API shows
 * them (grouping labels included). Holders are the groups whose family holds that very series; of them,
 * a group is an intruder when another holder's grouping key has a label of the series that its own key
 * lacks (it sets that label in its body). Without an intruder (one group writing the series twice, or
 * groups whose keys own the same labels), every holder is blamed.
 */
export function duplicateSeriesCulprits(groups: readonly ApiGroup[], problem: ScrapeProblem, shown: Readonly<Record<string, string>>): Culprit[] {
  const series = labelText(shown);
  const holders = groups.filter((group) => (family(group, problem.metric)?.metrics ?? []).some((metric) => labelText(metric.labels ?? {}) === series));
  const owned = (group: ApiGroup): Set<string> => new Set(Object.entries(group.labels ?? {}).flatMap(([name, value]) => (value !== '' && shown[name] === value ? [name] : [])));
  const intruders: Culprit[] = [];
  for (const group of holders) {
    const own = owned(group);
    const owner = holders.find((other) => other !== group && [...owned(other)].some((name) => !own.has(name)));
    if (owner === undefined) continue;
    const taken = [...owned(owner)].filter((name) => !own.has(name));
    intruders.push({
      group,
      reason: `writes ${problem.metric}${series}, setting ${taken.join(', ')} in its body; the group ${labelText(owner.labels ?? {})} owns that series by its grouping key`,
    });
  }
  if (intruders.length > 0) return intruders;
  return holders.map((group) => ({
    group,
    reason:
      holders.length === 1 ? `writes the series ${problem.metric}${series} twice` : `writes the series ${problem.metric}${series}, as ${holders.length - 1} other group(s) do`,
  }));
}

/**
 * The groups to blame for a family whose name is another family's sample name (`x_bucket` beside the
 * histogram `x`). `expectedType` is the catalog's type of a family (undefined when it does not know it).
 */
export function suffixCollisionCulprits(groups: readonly ApiGroup[], problem: ScrapeProblem, expectedType: (family: string) => string | undefined): Culprit[] {
  const other = problem.collidesWith;
  if (other === undefined) return [];
  // The gateway's text says which of the two is the histogram/summary (scrape-health.ts parses it).
  const [plain, aggregate] = problem.metricIsAggregate === true ? [other, problem.metric] : [problem.metric, other];
  const blamed = expectedType(plain) !== undefined && expectedType(aggregate) === undefined ? aggregate : plain;
  const kept = blamed === plain ? aggregate : plain;
  const typeIn = (group: ApiGroup, name: string): string => {
    const type = (family(group, name) as { type?: unknown } | undefined)?.type;
    return typeof type === 'string' ? type.toLowerCase() : 'untyped';
  };
  const keptType = groups.map((group) => (familyNames(group).includes(kept) ? typeIn(group, kept) : undefined)).find((type) => type !== undefined) ?? 'family';
  const catalog = expectedType(kept) === undefined ? '' : ", the catalog's";
  return groups
    .filter((group) => familyNames(group).includes(blamed))
    .map((group) => ({
      group,
      reason:
        blamed === plain
          ? `${plain} pushed as ${typeIn(group, plain)}: a sample name of the ${keptType} ${aggregate}${catalog}`
          : `${aggregate} pushed as ${typeIn(group, aggregate)}: its samples meet the ${keptType} ${plain}${catalog}`,
    }));
}
