/**
 * The body of a push: the node registry's families, in the protobuf-delimited format (the default: half
 * the bytes of text and about half the gateway's parse time) or in text, plus extra sources the user
 * registered (a prom-client Registry, say). Extra sources are collected and checked one by one before they
 * join the body, and a bad one is left out (see extra-sources.ts): a series carrying a grouping label would
 * be silently rewritten by the gateway, a name the catalog owns would collide with the catalog's type, and
 * text the gateway cannot parse would have the whole push refused.
 *
 * Families the gateway refused are left out by name before anything is encoded, in either format; only an
 * extra source's text, which we do not build, is filtered as text.
 */
import { FAMILIES_LEFT_OUT_METRIC } from '../metrics/catalog.js';
import { TEXT_CONTENT_TYPE } from '../metrics/exposition-format.js';
import { Gauge } from '../metrics/gauge.js';
import type { MetricFamily } from '../metrics/metric-family.js';
import { PROTOBUF_CONTENT_TYPE } from '../metrics/protobuf-exposition.js';
import type { ExpositionSource, MetricsRegistry } from '../metrics/registry.js';
import { withoutFamilies } from './exposition-check.js';
import { ExtraSources, type ExtraSourcesOptions } from './extra-sources.js';

export { checkExtraExposition, withoutFamilies } from './exposition-check.js';

export type PushFormat = 'protobuf' | 'text';

/** What one push sends. */
export interface PushBody {
  readonly data: string | Uint8Array;
  readonly contentType: string;
  /** Whether the body holds this metric family: a refusal naming it can then be answered by leaving it out. */
  contains(family: string): boolean;
  /** Extra sources, or families of a scraped page, left out of this body, and why (see extra-sources.ts). */
  readonly heldBackSources?: readonly Error[];
  /** How many extra sources were left out whole (a push failure each); every heldBackSources entry when not given. */
  readonly sourcesLeftOut?: number;
}

/**
 * Builds the body of each push, leaving out the families named in `heldBack`. `sourcesCut` is aborted when
 * the extra sources must no longer be waited for (shutdown's deadline is near, see pusher.ts): the body
 * then goes without those that have not answered.
 */
export type BodySource = (heldBack: ReadonlySet<string>, sourcesCut?: AbortSignal) => Promise<PushBody | string> | PushBody | string;

/**
 * Series written per turn of the event loop in a protobuf body: 10k series encode in ~1 ms here, so a
 * slice of 2,500 keeps each turn well under a millisecond while a small node's body is one slice.
 */
const SERIES_PER_SLICE = 2_500;

/** A text body (of a caller's own body function, or our fallback), with held-back families filtered out. */
export function textBody(text: string, heldBack: ReadonlySet<string> = new Set()): PushBody {
  const data = withoutFamilies(text, heldBack);
  return { data, contentType: TEXT_CONTENT_TYPE, contains: (family) => textContains(data, family) };
}

const DEFAULT_EXTRAS_OPTIONS: ExtraSourcesOptions = {
  timeoutSeconds: 5,
  logger: { warn: (message) => process.stderr.write(`persia-metrics warning: ${message}\n`), info: () => {} },
};

export function bodyComposer(
  registry: MetricsRegistry,
  extraSources: readonly ExpositionSource[],
  format: PushFormat = 'protobuf',
  extrasOptions: ExtraSourcesOptions = DEFAULT_EXTRAS_OPTIONS,
): BodySource {
  const extras = new ExtraSources(extraSources, registry, extrasOptions);
  return async (heldBack, sourcesCut) => {
    // Extra sources are text we do not build; converting them to protobuf would mean parsing them, so a
    // node with extras pushes text (its own families rendered as text too: one body, one content type).
    if (format === 'protobuf' && extras.size === 0) {
      registry.collect();
      const families = familiesToSend(registry, heldBack);
      const names = new Set(families.map((family) => family.spec.name));
      // The registry's encoder: its caches and its one writer serve every push of this node (see ProtoWriter).
      const data = await registry.protobufExposition.encodeInSlices(families, SERIES_PER_SLICE);
      return { data, contentType: PROTOBUF_CONTENT_TYPE, contains: (family) => names.has(family) };
    }
    // The sources first: what the node samples before a push (its progress, read from a scraped page by
    // extrasOptions.onCollected) is then as of this push, not the one before.
    const collected = await extras.collect(sourcesCut);
    extrasOptions.onCollected?.(collected.text, collected.sourcesLeftOut === 0, collected.leftOutFamilies);
    const leftOut = registry.get(FAMILIES_LEFT_OUT_METRIC);
    if (leftOut instanceof Gauge) leftOut.set(collected.familiesLeftOut); // as of this push
    registry.collect();
    const families = familiesToSend(registry, heldBack);
    const names = new Set(families.map((family) => family.spec.name));
    const text = registry.textExposition.families(families);
    const extraText = withoutFamilies(collected.text, heldBack);
    return {
      data: text + extraText,
      contentType: TEXT_CONTENT_TYPE,
      contains: (family) => names.has(family) || textContains(extraText, family),
      heldBackSources: collected.heldBack,
      sourcesLeftOut: collected.sourcesLeftOut,
    };
  };
}

/** The registry's families that have series and are not held back, in registry order. */
function familiesToSend(registry: MetricsRegistry, heldBack: ReadonlySet<string>): MetricFamily<unknown>[] {
  const families: MetricFamily<unknown>[] = [];
  for (const name of registry.names()) {
    const family = registry.get(name);
    if (family !== undefined && family.seriesCount > 0 && !heldBack.has(name)) families.push(family);
  }
  return families;
}

function textContains(body: string, name: string): boolean {
  return body.includes(`# TYPE ${name} `) || body.startsWith(`${name} `) || body.startsWith(`${name}{`) || body.includes(`\n${name} `) || body.includes(`\n${name}{`);
}
