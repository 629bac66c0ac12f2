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
 *   name is another's sample name. The family the catalog does not know is the intruder, or, neither
 *   known, the one fewer groups hold (oddOnesOut: the same rule judges a type clash, scrape-health.ts).
 */
import { family, familyNames, type ApiGroup } from './api.js';
import { METRIC_NAME, TEXT_TYPES } from './exposition-check.js';
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
 * One way a name is held on the gateway: a family's type (`epoch_loss` as a GAUGE), or a family whose
 * samples take the name (the summary `samples` writes `samples_count`).
 */
export interface ClashSide {
  /** How the side holds the name, for a person (`GAUGE`, `summary samples`). */
  readonly what: string;
  readonly groups: readonly ApiGroup[];
  /** The catalog defines this side (a catalog family with its catalog type). */
  readonly catalog: boolean;
  /** The side the gateway gathered first (the one its error says it kept). */
  readonly gatheredFirst: boolean;
}

/**
 * The one blame rule for a name held two ways, a type clash and a name collision alike: the side the
 * catalog defines is right and every other side is blamed; without it, the sides fewer groups hold than the
 * largest are blamed (the one hostile group, not the three nodes it meets). A tie between the largest
 * sides cannot say who is wrong: the one the gateway gathered first is kept, and `tie` says so.
 */
export function oddOnesOut(sides: readonly ClashSide[]): { readonly blamed: ClashSide[]; readonly kept: ClashSide | undefined; readonly tie: boolean } {
  const catalog = sides.filter((side) => side.catalog);
  if (catalog.length === 1) return { blamed: sides.filter((side) => !side.catalog), kept: catalog[0], tie: false };
  const most = Math.max(0, ...sides.map((side) => side.groups.length));
  const largest = sides.filter((side) => side.groups.length === most);
  const kept = largest.length === 1 ? largest[0] : (largest.find((side) => side.gatheredFirst) ?? largest[0]);
  return { blamed: sides.filter((side) => side !== kept), kept, tie: largest.length > 1 };
}

/** `, the catalog's` / `, held by 3 groups to its 1` / `, a tie: 1 group each, the gateway kept the first it gathered`. */
export function keptBecause(kept: ClashSide | undefined, blamed: ClashSide, tie: boolean): string {
  if (kept === undefined) return '';
  if (kept.catalog) return ", the catalog's";
  if (tie) return `, a tie (${plural(kept.groups.length, 'group')} each way): the gateway kept the one it gathered first`;
  return `, held by ${plural(kept.groups.length, 'group')} to its ${blamed.groups.length}`;
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

/**
 * The groups to blame for a family whose name is another family's sample name (`x_bucket` beside the
 * histogram `x`, `samples_count` beside the summary `samples`), by oddOnesOut. `expectedType` is the
 * catalog's type of a family (undefined when it does not know it).
 */
export function suffixCollisionCulprits(groups: readonly ApiGroup[], problem: ScrapeProblem, expectedType: (family: string) => string | undefined): Culprit[] {
  const other = problem.collidesWith;
  if (other === undefined) return [];
  // The gateway's text says which of the two is the histogram/summary (scrape-health.ts parses it), and which it gathered first.
  const [plain, aggregate] = problem.metricIsAggregate === true ? [other, problem.metric] : [problem.metric, other];
  const typeIn = (group: ApiGroup, name: string): string => {
    const type = (family(group, name) as { type?: unknown } | undefined)?.type;
    return typeof type === 'string' ? type.toLowerCase() : 'untyped';
  };
  const holding = (name: string) => groups.filter((group) => familyNames(group).includes(name));
  const side = (name: string): ClashSide => ({ what: name, groups: holding(name), catalog: expectedType(name) !== undefined, gatheredFirst: name === other });
  const sides = [side(plain), side(aggregate)];
  const { blamed, kept, tie } = oddOnesOut(sides);
  const typeOf = (name: string) => holding(name).map((group) => typeIn(group, name))[0] ?? 'family';
  return blamed.flatMap((wrong) =>
    wrong.groups.map((group) => ({
      group,
      reason:
        wrong.what === plain
          ? `${plain} pushed as ${typeIn(group, plain)}: a sample name of the ${typeOf(aggregate)} ${aggregate}${keptBecause(kept, wrong, tie)}`
          : `${aggregate} pushed as ${typeIn(group, aggregate)}: its samples meet the ${typeOf(plain)} ${plain}${keptBecause(kept, wrong, tie)}`,
    })),
  );
}

/**
 * The groups holding the clashing family with another type than the right one (oddOnesOut in
 * series-collisions.ts: the catalog's type, else the type most groups use), each with why; empty when every
 * group holds the family with one type (the clash is inside one group's push, see groupsBreakingScrape in scrape-health.ts).
 */
export function typeClashCulprits(groups: readonly ApiGroup[], problem: ScrapeProblem, expected: string | undefined): Culprit[] {
  const typeIn = (group: ApiGroup): string => {
    const type = (family(group, problem.metric) as { type?: unknown } | undefined)?.type;
    return typeof type === 'string' ? type.toUpperCase() : '';
  };
  const byType = new Map<string, ApiGroup[]>();
  for (const group of groups.filter((g) => family(g, problem.metric) !== undefined)) byType.set(typeIn(group), [...(byType.get(typeIn(group)) ?? []), group]);
  if (byType.size < 2) return [];
  const kept = /is not a ([A-Z]+)/.exec(problem.text)?.[1] ?? '';
  const want = expected?.toUpperCase();
  const sides = [...byType].map(([type, holders]): ClashSide => ({ what: type, groups: holders, catalog: type === want, gatheredFirst: type === kept }));
  // A catalog family no group holds with its catalog type: every side is wrong.
  const { blamed, kept: right, tie } = want !== undefined ? { blamed: sides.filter((side) => !side.catalog), kept: undefined, tie: false } : oddOnesOut(sides);
  const because = want !== undefined ? "the catalog's type" : `the type its other groups use`;
  return blamed.flatMap((side) =>
    side.groups.map((group) => ({
      group,
      reason: `${problem.metric} pushed as ${side.what}; expected ${want ?? right?.what ?? kept}, ${because}${tie ? keptBecause(right, side, tie) : ''}`,
    })),
  );
}

/**
 * The groups holding a catalog family with another type than the catalog's (`index_miss_count` pushed as a
 * gauge by another job's program): the gateway's page may still answer 200, but with its consistency check
 * on it refuses every node's push of that family (each node holds it back and counts an http_4xx failure at
 * every push), and with it off the page fails at the first node's push. The whole gateway is one namespace,
 * so a group of any job squats the name for all. Only a declared type counts (see below). `expectedType`
 * is the catalog's type (undefined: not a catalog family).
 */
export function catalogTypeCulprits(groups: readonly ApiGroup[], expectedType: (family: string) => string | undefined): Array<Culprit & { readonly problem: ScrapeProblem }> {
  const culprits: Array<Culprit & { problem: ScrapeProblem }> = [];
  for (const group of groups) {
    for (const name of familyNames(group, false)) {
      const want = expectedType(name)?.toUpperCase();
      const type = (family(group, name) as { type?: unknown } | undefined)?.type;
      const held = typeof type === 'string' ? type.toUpperCase() : 'UNTYPED';
      // A hand-made untyped push of a catalog name (`persia_node_state 1`, also how tests stand in for a node)
      // is left to the page's own check, which names it once a typed push meets it (with the check off).
      if (want === undefined || held === want || held === 'UNTYPED') continue;
      const reason = `holds the catalog family ${name} as ${held} (the catalog's type is ${want}): the gateway refuses every node's push of it with its consistency check on, and fails its page at the first one with it off`;
      culprits.push({ group, reason, problem: { metric: name, labels: new Map(), kind: 'catalog-type', text: reason } });
    }
  }
  return culprits;
}

/**
 * The groups holding a family the gateway cannot write into its text page: one named "" or with another
 * name no text line can carry is refused by Prometheus (an empty name stops the gateway's page right there,
 * and the families sort after it: the page answers 200, parses, and is empty), one of a type the text
 * format lacks (a protobuf GAUGE_HISTOGRAM) ends the page at its `# TYPE` line. Every job on the gateway
 * loses what follows, `up` may stay 1. Read from the JSON API, which shows such families as they are.
 */
export function unwritableFamilyCulprits(groups: readonly ApiGroup[]): Array<Culprit & { readonly problem: ScrapeProblem }> {
  const culprits: Array<Culprit & { problem: ScrapeProblem }> = [];
  for (const group of groups) {
    for (const name of familyNames(group, false)) {
      const type = (family(group, name) as { type?: unknown } | undefined)?.type;
      const textType = typeof type === 'string' ? type.toLowerCase() : 'untyped';
      const why = !METRIC_NAME.test(name)
        ? `a family named ${JSON.stringify(name)}, a name Prometheus cannot read`
        : !TEXT_TYPES.includes(textType)
          ? `${name} pushed as ${String(type)}, a type the gateway's text page cannot say`
          : undefined;
      if (why === undefined) continue;
      const reason = `${why}: the gateway's page breaks or ends there, and every job on it loses what follows`;
      culprits.push({ group, reason, problem: { metric: name, labels: new Map(), kind: 'unparsable', text: reason } });
    }
  }
  return culprits;
}
