/**
 * The user's extra exposition sources (`extraSources`, e.g. a prom-client Registry), collected for a push
 * one by one and isolated from each other and from the node's own metrics.
 *
 * A PUT is all or nothing, so without this one bad source stops every metric of the node, catalog and pusher
 * health included: a `metrics()` that throws, text the gateway cannot parse (400 for the whole body), a
 * series clashing with a catalog name or a grouping label, or a `metrics()` that never settles (the push,
 * and every `flush()`, would then wait forever). Each source is collected under the push timeout and checked
 * (see exposition-check.ts); a bad one is held back from that push, reported once per kind of trouble until
 * it is good again, and the pusher counts it under reason "extra_source". The others go out as usual.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { describeValue } from '../config/yaml-document.js';
import { ExtraSourceError } from '../errors.js';
import type { ExpositionSource, MetricsRegistry } from '../metrics/registry.js';
import { checkExtraExposition, ExpositionSyntaxProblem, registrySampleOwners } from './exposition-check.js';

export interface ExtraSourcesLogger {
  warn(message: string): void;
  info(message: string): void;
}

export interface ExtraSourcesOptions {
  /** How long one source's `metrics()` may take (the node's push timeout). */
  readonly timeoutSeconds: number;
  readonly logger: ExtraSourcesLogger;
}

export interface CollectedExtras {
  /** The good sources' text, each ending with a newline. */
  readonly text: string;
  /** Why each bad source was left out of this push. */
  readonly heldBack: readonly Error[];
}

const TIMED_OUT = Symbol('timed out');

/** Set while a source's `metrics()` runs (and in what it awaits): the index of that source. */
const insideSource = new AsyncLocalStorage<number>();

/** The extra source whose `metrics()` the caller runs inside, if any (a flush() from there would wait for itself). */
export function currentExtraSource(): number | undefined {
  return insideSource.getStore();
}

/** One source's part of a push: its text, or why it has none. */
type Part = { readonly text: string; readonly problem?: undefined } | { readonly text?: undefined; readonly problem: Error };

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

  async collect(): Promise<CollectedExtras> {
    const collected = await Promise.all(this.sources.map((source, index) => this.collectOne(source, index)));
    // Sample names already written: the node's own families and the gateway's, then each good source's.
    const taken = registrySampleOwners(this.registry);
    const heldBack: Error[] = [];
    let text = '';
    collected.forEach((part, index) => {
      const problem = part.problem ?? this.check(part.text, index, taken);
      if (problem !== undefined) {
        heldBack.push(problem);
        this.bad(index, problem);
      } else if (part.text !== undefined) {
        text += part.text.endsWith('\n') || part.text === '' ? part.text : `${part.text}\n`;
        this.good(index);
      }
    });
    return { text, heldBack };
  }

  /** The source's text, or why it has none for this push. Never waits longer than the timeout. */
  private async collectOne(source: ExpositionSource, index: number): Promise<Part> {
    // A call still pending from an earlier push is not started again (a hung source would pile up one
    // call per push) nor waited for again (every push would then be late by the timeout).
    if (this.pending.has(index)) {
      return { problem: new ExtraSourceError(index, 'timeout', 'metrics() has not settled since an earlier push; left out until it does') };
    }
    const call = new Promise<unknown>((resolve) => resolve(insideSource.run(index, () => source.metrics())));
    this.pending.set(index, call);
    const settled = (): void => void this.pending.delete(index);
    call.then(settled, settled);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<typeof TIMED_OUT>((resolve) => {
      timer = setTimeout(() => resolve(TIMED_OUT), this.options.timeoutSeconds * 1000);
      timer.unref(); // an explicit flush() holds the process itself (see src/gateway/keep-alive.ts)
    });
    try {
      const result = await Promise.race([call, timeout]);
      if (result === TIMED_OUT) {
        return { problem: new ExtraSourceError(index, 'timeout', `metrics() did not settle within ${this.options.timeoutSeconds} s (the push timeout)`) };
      }
      if (typeof result !== 'string') {
        return { problem: new ExtraSourceError(index, 'malformed', `metrics() returned ${describeValue(result)}, not exposition text`) };
      }
      // prom-client on Windows-style input, or a hand-written source: CRLF is only a line ending.
      return { text: result.replace(/\r\n/g, '\n') };
    } catch (error) {
      return { problem: new ExtraSourceError(index, 'threw', `metrics() threw: ${error instanceof Error ? error.message : String(error)}`, error) };
    } finally {
      clearTimeout(timer);
    }
  }

  private check(text: string, index: number, taken: Map<string, string>): Error | undefined {
    try {
      for (const [sample, owner] of checkExtraExposition(text, taken, `extraSources[${index}]`)) taken.set(sample, owner);
      return undefined;
    } catch (error) {
      if (error instanceof ExpositionSyntaxProblem) {
        return new ExtraSourceError(index, 'malformed', `returned text that is not exposition format (${error.message})`, error);
      }
      return error instanceof Error ? error : new Error(String(error));
    }
  }

  private bad(index: number, problem: Error): void {
    const kind = problem instanceof ExtraSourceError ? problem.problem : ((problem as { code?: string }).code ?? 'error');
    const reported = this.reported.get(index) ?? new Set<string>();
    this.reported.set(index, reported);
    if (reported.has(kind)) return;
    reported.add(kind);
    const named = problem instanceof ExtraSourceError || problem.message.startsWith(`extraSources[${index}]`);
    const what = named ? problem.message : `extraSources[${index}]: ${problem.message.replace(/\.$/, '')}`;
    this.options.logger.warn(
      `${what}; pushing the node's other metrics without it and trying it again at every push ` +
        '(reported once, counted in persia_metrics_push_failures_total{reason="extra_source"})',
    );
  }

  private good(index: number): void {
    if (!this.reported.has(index)) return;
    this.reported.delete(index);
    this.options.logger.info(`extraSources[${index}] is good again: its metrics are pushed again`);
  }
}
