/**
 * The user's extra exposition sources (`extraSources`, e.g. a prom-client Registry), collected for a push
 * one by one and isolated from each other and from the node's own metrics.
 *
 * A PUT is all or nothing, so without this one bad source stops every metric of the node, catalog and pusher
 * health included: a `metrics()` that throws, text the gateway cannot parse (400 for the whole body), a
 * series clashing with a catalog name or a grouping label, or a `metrics()` that never settles (the push,
 * and every `flush()`, would then wait forever). Each source is collected under the push timeout and checked
 * (see exposition-check.ts); a bad one is held back from that push, reported once per kind of trouble until
 * it is good again, and the pusher counts it under reason "extra_source", once per push. The others go out
 * as usual. In a scraped page (ForeignSource) a family that clashes is left out alone (reported once per
 * family while it clashes): the rest of the page still goes, so the `python_info` that two scraped Python
 * processes both write does not stop the second one's metrics. Such a clash is a standing configuration
 * problem, not a failure of the push: it is not counted as one (the push-failure alert would fire for a
 * healthy node at every push) but shown in FAMILIES_LEFT_OUT_METRIC, the number left out of this push.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { describeValue } from '../config/yaml-document.js';
import { ConfigError, ExtraSourceError, ScrapeError, type ExtraSourceProblem } from '../errors.js';
import { FAMILIES_LEFT_OUT_METRIC } from '../metrics/catalog.js';
import type { ExpositionSource, MetricsRegistry } from '../metrics/registry.js';
import { checkExtraExposition, ExpositionSyntaxProblem, registrySampleOwners, withoutFamilies } from './exposition-check.js';

export interface ExtraSourcesLogger {
  warn(message: string): void;
  info(message: string): void;
}

export interface ExtraSourcesOptions {
  /** How long one source's `metrics()` may take (the node's push timeout). */
  readonly timeoutSeconds: number;
  readonly logger: ExtraSourcesLogger;
  /**
   * Given the good sources' text at each push, before the node's own metrics are sampled (its progress may
   * be read there), whether every source answered (none was left out whole), and the families of scraped
   * pages left out of it for a clash, with why (CollectedExtras.leftOutFamilies).
   */
  readonly onCollected?: (text: string, complete: boolean, leftOutFamilies: ReadonlyMap<string, Error>) => void;
}

export interface CollectedExtras {
  /** The good sources' text, each ending with a newline. */
  readonly text: string;
  /** Why each bad source, or family of a scraped page, was left out of this push. */
  readonly heldBack: readonly Error[];
  /** Sources left out whole: each counted as a push failure (reason "extra_source"). */
  readonly sourcesLeftOut: number;
  /** Families of scraped pages left out for a clash while the rest of their page went (not failures: see FAMILIES_LEFT_OUT_METRIC). */
  readonly familiesLeftOut: number;
  /** Those families by name (as the page's TYPE line, or an untyped sample, names them), each with why it clashes. */
  readonly leftOutFamilies: ReadonlyMap<string, Error>;
}

/**
 * A source whose page another program writes (a scrape, scrape-source.ts): its reports name it beside its
 * index, and a family of it that clashes is left out alone, since the user cannot rename it (every
 * prometheus_client process writes python_info). A source of the user's own code is held back whole
 * instead: the clash is theirs to fix, and a whole missing source says so plainly.
 */
export interface ForeignSource extends ExpositionSource {
  readonly sourceName: string;
  /** The endpoint it reads, without credentials: two sources with one URL are one endpoint given twice. */
  readonly url?: string;
  /** `signal` is aborted when the push timeout passes. */
  metrics(signal?: AbortSignal): Promise<string> | string;
}

/**
 * The extra sources a caller gave (startNodeMetrics()), each once: one source object twice, or two scrapes
 * of one endpoint, would write every family of it twice, a clash at every push.
 */
export function checkExtraSources(sources: readonly ExpositionSource[]): void {
  const refuse = (index: number, found: string): never => {
    throw new ConfigError({ source: 'startNodeMetrics()', path: `extraSources[${index}]` }, 'each source once (read twice, every family of it would clash with itself)', found);
  };
  const endpoints = new Map<string, number>();
  sources.forEach((source, index) => {
    const first = sources.indexOf(source);
    if (first !== index) refuse(index, `the source of extraSources[${first}] again`);
    const { url, sourceName } = source as Partial<ForeignSource>;
    if (typeof url !== 'string') return;
    const earlier = endpoints.get(url);
    if (earlier !== undefined) refuse(index, `the endpoint of extraSources[${earlier}] again (${sourceName ?? ''})`);
    endpoints.set(url, index);
  });
}

/** Why a source, or one of its families, was left out, and the kind of trouble it is reported once for. */
interface Trouble {
  readonly problem: Error;
  readonly kind: string;
  /** The family of a scraped page left out alone (the rest of the page goes). */
  readonly family?: string;
}

const TIMED_OUT = Symbol('timed out');

/** Set while a source's `metrics()` runs (and in what it awaits): the index of that source. */
const insideSource = new AsyncLocalStorage<number>();

/** The extra source whose `metrics()` the caller runs inside, if any (a flush() from there would wait for itself). */
export function currentExtraSource(): number | undefined {
  return insideSource.getStore();
}

/** One source's part of a push: its text, or why it has none. */
type Part = { readonly text: string; readonly problem?: undefined } | { readonly text?: undefined; readonly problem: Trouble };

/** How a failed scrape counts among an extra source's troubles. */
const SCRAPE_PROBLEMS: Readonly<Record<ScrapeError['problem'], ExtraSourceProblem>> = {
  unreachable: 'threw',
  http_status: 'threw',
  too_large: 'threw',
  timeout: 'timeout',
  malformed: 'malformed',
};

export class ExtraSources {
  /** Calls of `metrics()` that have not settled yet, by source index: never two at once for one source. */
  private readonly pending = new Map<number, Promise<unknown>>();
  /** Kinds of trouble reported per source since it was last good. */
  private readonly reported = new Map<number, Set<string>>();

  constructor(
    private readonly sources: readonly ExpositionSource[],
    private readonly registry: MetricsRegistry,
    private readonly options: ExtraSourcesOptions,
  ) {}

  get size(): number {
    return this.sources.length;
  }

  /**
   * `cut`: aborted when the sources must stop being waited for before the push timeout (shutdown's deadline
   * is near, see pusher.ts); its reason (a string) says how long they had, and why.
   */
  async collect(cut?: AbortSignal): Promise<CollectedExtras> {
    // One listener on `cut` for all the sources (one each would pass Node's limit of 10 and warn).
    const cutShort =
      cut === undefined
        ? undefined
        : new Promise<string>((resolve) => {
            if (cut.aborted) resolve(String(cut.reason));
            else cut.addEventListener('abort', () => resolve(String(cut.reason)), { once: true });
          });
    const collected = await Promise.all(this.sources.map((source, index) => this.collectOne(source, index, cutShort)));
    // Sample names already written: the node's own families and the gateway's, then each good source's.
    const taken = registrySampleOwners(this.registry);
    const heldBack: Error[] = [];
    let text = '';
    let sourcesLeftOut = 0;
    let familiesLeftOut = 0;
    const leftOutFamilies = new Map<string, Error>();
    collected.forEach((part, index) => {
      const checked = part.problem === undefined ? this.check(part.text, index, taken) : { problems: [part.problem] };
      for (const trouble of checked.problems) {
        heldBack.push(trouble.problem);
        this.bad(index, trouble);
      }
      if (checked.text !== undefined) {
        text += checked.text.endsWith('\n') || checked.text === '' ? checked.text : `${checked.text}\n`;
        this.good(index, new Set(checked.problems.map((trouble) => trouble.kind)));
        familiesLeftOut += checked.problems.length;
        for (const { family, problem } of checked.problems) if (family !== undefined && !leftOutFamilies.has(family)) leftOutFamilies.set(family, problem);
      } else sourcesLeftOut += 1;
    });
    return { text, heldBack, sourcesLeftOut, familiesLeftOut, leftOutFamilies };
  }

  /** The source's text, or why it has none for this push. Never waits longer than the timeout. */
  private async collectOne(source: ExpositionSource, index: number, cutShort: Promise<string> | undefined): Promise<Part> {
    // A call still pending from an earlier push is not started again (a hung source would pile up one
    // call per push) nor waited for again (every push would then be late by the timeout).
    if (this.pending.has(index)) {
      return this.problem(index, 'timeout', 'metrics() has not settled since an earlier push; left out until it does');
    }
    // A source that names itself (a scrape) is handed the push timeout's signal, to stop its request there.
    const abort = new AbortController();
    const named = this.named(index) !== '';
    const call = new Promise<unknown>((resolve) => resolve(insideSource.run(index, () => (named ? (source as ForeignSource).metrics(abort.signal) : source.metrics()))));
    this.pending.set(index, call);
    const settled = (): void => void this.pending.delete(index);
    call.then(settled, settled);
    let timer: NodeJS.Timeout | undefined;
    let within = `within ${this.options.timeoutSeconds} s (the push timeout)`;
    const timeout = new Promise<typeof TIMED_OUT>((resolve) => {
      const stop = (): void => {
        abort.abort();
        resolve(TIMED_OUT);
      };
      timer = setTimeout(stop, this.options.timeoutSeconds * 1000);
      timer.unref(); // an explicit flush() holds the process itself (see src/gateway/keep-alive.ts)
      void cutShort?.then((reason) => {
        within = reason;
        stop();
      });
    });
    try {
      const result = await Promise.race([call, timeout]);
      if (result === TIMED_OUT) {
        const what = named ? 'did not answer' : 'metrics() did not settle';
        return this.problem(index, 'timeout', `${what} ${within}`, undefined, named ? 'scrape:timeout' : 'timeout');
      }
      if (typeof result !== 'string') return this.problem(index, 'malformed', `metrics() returned ${describeValue(result)}, not exposition text`);
      // prom-client on Windows-style input, or a hand-written source: CRLF is only a line ending.
      return { text: result.replace(/\r\n/g, '\n') };
    } catch (error) {
      // A scrape says what went wrong in its own words (scrape-source.ts), reported once per kind.
      if (error instanceof ScrapeError) {
        // Named by its URL already (named()): the message without "scrape of <url>".
        const detail = error.message.startsWith(`scrape of ${error.url} `) ? error.message.slice(`scrape of ${error.url} `.length) : error.message;
        return this.problem(index, SCRAPE_PROBLEMS[error.problem], detail, error, `scrape:${error.problem}`);
      }
      return this.problem(index, 'threw', `metrics() threw: ${error instanceof Error ? error.message : String(error)}`, error);
    } finally {
      clearTimeout(timer);
    }
  }

  private problem(index: number, problem: ExtraSourceProblem, detail: string, cause?: unknown, kind: string = problem): { problem: Trouble } {
    return { problem: { problem: new ExtraSourceError(index, problem, `${this.named(index)}${detail}`, cause), kind } };
  }

  /**
   * The source's text as it joins the push, and what was wrong with it. In a scraped page, a family that
   * clashes (a name written already, a series with a grouping label) is left out alone and the rest goes;
   * text the gateway would not parse holds the whole source back.
   */
  private check(text: string, index: number, taken: Map<string, string>): { text?: string; problems: Trouble[] } {
    const label = `extraSources[${index}]${this.named(index).replace(/^(.+) $/, ' $1')}`;
    const clashing = new Map<string, Error>();
    const dropClashing = this.named(index) === '' ? undefined : (family: string, problem: Error): void => void clashing.set(family, problem);
    try {
      const claimed = checkExtraExposition(text, taken, label, dropClashing);
      const kept = clashing.size === 0 ? text : withoutFamilies(text, new Set(clashing.keys()));
      // What is left is checked again as it is sent: leaving a family out must never leave text the gateway refuses.
      if (clashing.size > 0) checkExtraExposition(kept, taken, label);
      for (const [sample, owner] of claimed) taken.set(sample, owner);
      return { text: kept, problems: [...clashing].map(([family, problem]) => ({ problem, kind: `clash:${family}`, family })) };
    } catch (error) {
      if (error instanceof ExpositionSyntaxProblem)
        return { problems: [this.problem(index, 'malformed', `returned text that is not exposition format (${error.message})`, error).problem] };
      const problem = error instanceof Error ? error : new Error(String(error));
      return { problems: [{ problem, kind: (problem as { code?: string }).code ?? 'error' }] };
    }
  }

  /** `(http://127.0.0.1:8000/metrics) ` for a source that names itself (scrape-source.ts), else ''. */
  private named(index: number): string {
    const name = (this.sources[index] as Partial<ForeignSource> | undefined)?.sourceName;
    return typeof name === 'string' && name !== '' ? `(${name}) ` : '';
  }

  private bad(index: number, trouble: Trouble): void {
    const { problem, kind } = trouble;
    const reported = this.reported.get(index) ?? new Set<string>();
    this.reported.set(index, reported);
    if (reported.has(kind)) return;
    reported.add(kind);
    const named = problem instanceof ExtraSourceError || problem.message.startsWith(`extraSources[${index}]`);
    const what = named ? problem.message : `extraSources[${index}]${this.named(index).replace(/^(.+) $/, ' $1')}: ${problem.message.replace(/\.$/, '')}`;
    const counted = kind.startsWith('clash:')
      ? `left out; pushing the rest of the node's metrics and trying it again at every push (reported once while it clashes, counted in ${FAMILIES_LEFT_OUT_METRIC})`
      : `pushing the node's other metrics without it and trying it again at every push (reported once, counted in persia_metrics_push_failures_total{reason="extra_source"})`;
    this.options.logger.warn(`${what}; ${counted}`);
  }

  /** The source was collected: troubles it no longer has may be reported again, and its recovery is said. */
  private good(index: number, stillBad: ReadonlySet<string>): void {
    const reported = this.reported.get(index);
    if (reported === undefined) return;
    let recovered = false;
    for (const kind of reported) {
      if (stillBad.has(kind)) continue;
      reported.delete(kind);
      recovered ||= !kind.startsWith('clash:');
    }
    if (reported.size === 0) this.reported.delete(index);
    if (recovered) this.options.logger.info(`extraSources[${index}] ${this.named(index)}is good again: its metrics are pushed again`);
  }
}
