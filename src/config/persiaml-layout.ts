/**
 * Keys of PersiaML's own files that we read under another name, in PersiaML's layout only
 * (`common_config.metrics_config`). PersiaML's example global_config.yaml files spell the interval
 * `push_interval_sec`, which PersiaML's parser silently ignores (it pushes every 10 s whatever the file
 * says). Refusing that key would refuse PersiaML's own examples; ignoring it would repeat PersiaML's bug.
 * So in that layout it is read as what its author meant, with a warning; in the `PersiaMetricsConfig`
 * section, which is ours, it stays an unknown key with "did you mean".
 */
import { ConfigError } from '../errors.js';
import { PERSIA_SECTION_PATH, type MetricsSection } from './yaml-document.js';

/** PersiaML spelling → our key. */
const PERSIAML_ALIASES: ReadonlyMap<string, string> = new Map([['push_interval_sec', 'push_interval_seconds']]);

export interface SectionEntry {
  /** The key as written in the file (what errors and lines point at). */
  readonly written: string;
  /** The option key it is read as. */
  readonly key: string;
  readonly value: unknown;
  /** For a PersiaML spelling: the warning to give once the value is validated (file, line, what it is read as). */
  readonly warning?: (value: unknown) => string;
}

/** The section's entries, PersiaML spellings mapped to our keys. */
export function sectionEntries(section: MetricsSection): SectionEntry[] {
  const persiaLayout = section.path.join('.') === PERSIA_SECTION_PATH.join('.');
  const entries: SectionEntry[] = [];
  for (const [written, value] of Object.entries(section.values)) {
    const alias = persiaLayout ? PERSIAML_ALIASES.get(written) : undefined;
    if (alias === undefined) {
      entries.push({ written, key: written, value });
      continue;
    }
    const line = section.lineOf(written);
    const where = line === undefined ? section.file : `${section.file}:${line}`;
    const keyPath = [...section.path, written].join('.');
    if (Object.hasOwn(section.values, alias)) {
      throw new ConfigError(
        { source: section.file, path: keyPath, line },
        `one of ${alias} and ${written} (the same option)`,
        'both',
        `remove ${written}`,
      );
    }
    const warning = (validated: unknown): string =>
      `${where}: ${keyPath} is read as ${alias}: ${String(validated)} (PersiaML's example spelling, which PersiaML itself ignores); rename it to ${alias} to silence this warning`;
    entries.push({ written, key: alias, value, warning });
  }
  return entries;
}
