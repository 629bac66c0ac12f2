/**
 * The body of a push: the node registry's exposition, plus extra sources the user registered (a prom-client
 * Registry, say). Extra text is checked before it leaves: a series carrying a grouping label would be
 * silently rewritten by the gateway, and a name the catalog owns would collide with the catalog's type.
 */
import { LabelClashError, MetricDefinitionError } from '../errors.js';
import { GROUPING_LABELS } from '../metrics/catalog.js';
import type { ExpositionSource, MetricsRegistry } from '../metrics/registry.js';

const GROUPING_LABEL_IN_SAMPLE = new RegExp(`[{,]\\s*(${GROUPING_LABELS.join('|')})\\s*=`);

export function bodyComposer(registry: MetricsRegistry, extras: readonly ExpositionSource[]): () => Promise<string> | string {
  if (extras.length === 0) return () => registry.metrics();
  return async () => {
    const parts = [registry.metrics()];
    for (const source of extras) {
      const text = await source.metrics();
      checkExtraExposition(text, registry);
      parts.push(text.endsWith('\n') || text === '' ? text : `${text}\n`);
    }
    return parts.join('');
  };
}

export function checkExtraExposition(text: string, registry: MetricsRegistry): void {
  for (const line of text.split('\n')) {
    if (line.startsWith('# TYPE ')) {
      const name = line.split(' ')[2] ?? '';
      if (registry.get(name) !== undefined) {
        throw new MetricDefinitionError(`an extra registry defines ${name}, which the persia-metrics catalog already defines`);
      }
      continue;
    }
    if (line === '' || line.startsWith('#')) continue;
    const match = GROUPING_LABEL_IN_SAMPLE.exec(line);
    if (match) throw new LabelClashError(line.slice(0, line.search(/[{\s]/)), match[1] ?? '');
  }
}
