/**
 * Which groups keep Prometheus from scraping a gateway, as `status` prints them and the view's banner shows
 * them: the gateway's /metrics probe (src/gateway/scrape-health.ts) matched to its groups, a clash judged
 * against the catalog's types. Every value in it was pushed by someone, so the texts meant for a person
 * (`groupText`) are escaped here, once: JSON quoting, and nothing that steers a terminal or reorders text.
 */
import { clipValue, escapeControl, escapeValue, quoteValue } from '../errors.js';
import type { ApiGroup } from '../gateway/api.js';
import type { GatewayClient } from '../gateway/client.js';
import { bytesQuoted, exactLabelsOf } from '../gateway/label-bytes.js';
import { groupsBreakingScrape, probeScrape, type ScrapeHealth } from '../gateway/scrape-health.js';
import { catalogType, orderedLabels } from './expiry-plan.js';

export interface BreakingGroup {
  /** The group's labels as the gateway's JSON API shows them (raw: escape before showing, see groupText). */
  readonly labels: Readonly<Record<string, string>>;
  /** Why it breaks the page, one short text per reason, escaped. */
  readonly problems: readonly string[];
  /** Its DELETE path by its exact bytes (src/gateway/label-bytes.ts, exactGroupingPath). */
  readonly exactPath: string;
}

/** Whether a gateway's /metrics answers, and which groups break it. */
export interface ScrapeDiagnosis {
  readonly ok: boolean;
  /** 0 when the page could not be read at all. */
  readonly statusCode: number;
  /** The gateway's first line instead of its page, or why it could not be read; escaped. */
  readonly detail: string;
  readonly breakingGroups: readonly BreakingGroup[];
}

/**
 * `job="a" role="trainer" instance="rep_0"`, job first; values quoted, escaped and clipped (shown, never
 * obeyed: src/errors/error-text.ts). With the group's exact path, a value the JSON API shows with U+FFFD is
 * shown by its bytes (`"x\xff"`; the text `x\xff` is `"x\\xff"`).
 */
export function groupText(labels: Readonly<Record<string, string>>, exactPath?: string): string {
  const exact = exactPath === undefined ? undefined : exactLabelsOf(exactPath);
  return orderedLabels(labels)
    .map(([label, value]) => {
      const bytes = value.includes('\uFFFD') ? exact?.get(label) : undefined;
      return `${escapeValue(label)}=${bytes === undefined ? quoteValue(clipValue(value)) : bytesQuoted(bytes)}`;
    })
    .join(' ');
}

/** The diagnosis of a probe (or of the error that kept it from answering), given the gateway's groups. */
export function scrapeDiagnosis(groups: readonly ApiGroup[], scrape: ScrapeHealth | Error): ScrapeDiagnosis {
  if (scrape instanceof Error) return { ok: false, statusCode: 0, detail: escapeControl(scrape.message), breakingGroups: [] };
  const breakingGroups = groupsBreakingScrape(groups, scrape.problems, catalogType).map((group) => ({
    labels: group.labels,
    problems: group.reasons.map(escapeControl),
    exactPath: group.exactPath,
  }));
  return { ok: scrape.ok, statusCode: scrape.statusCode, detail: escapeControl(scrape.detail), breakingGroups };
}

/** Probes one gateway; reads its groups only when the page fails (a healthy gateway costs one request). */
export async function diagnoseScrape(client: GatewayClient): Promise<ScrapeDiagnosis> {
  let scrape: ScrapeHealth;
  try {
    scrape = await probeScrape(client);
  } catch (error) {
    return scrapeDiagnosis([], error instanceof Error ? error : new Error(String(error)));
  }
  if (scrape.ok) return scrapeDiagnosis([], scrape);
  const groups = await client.groups().catch(() => []); // the 500 alone still says the page fails
  return scrapeDiagnosis(groups, scrape);
}
