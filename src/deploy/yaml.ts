/**
 * The one YAML emitter of every file `init` writes from objects (rule files, their promtool tests, the
 * Kubernetes objects): a header comment that says what the file is and how to use it, then the documents.
 */
import { dump } from 'js-yaml';

/** `# ` before every line of `text` (no trailing newline). */
export function yamlComment(text: string): string {
  return `# ${text.split('\n').join('\n# ')}`.replace(/ +$/gm, '');
}

/**
 * One value as YAML. lineWidth -1: never fold a long line (PromQL, global_config.yaml); noRefs: every object
 * spelled out in full, never as an anchor.
 */
export function yamlValue(value: unknown): string {
  return dump(value, { lineWidth: -1, noRefs: true });
}

/** A file of one document, under a header comment. */
export function yamlFile(header: string, value: unknown): string {
  return `${yamlComment(header)}\n${yamlValue(value)}`;
}

/** A file of several documents (`---` before each), under a header comment. */
export function yamlDocuments(header: string, values: readonly unknown[]): string {
  return `${yamlComment(header)}\n${values.map((value) => `---\n${yamlValue(value)}`).join('')}`;
}

/** `key:` and a list under it, each item after its own comment line (promtool's test groups say what each shows). */
export function yamlCommentedList(key: string, items: ReadonlyArray<{ readonly comment: string; readonly value: unknown }>): string {
  return `${key}:\n${items.map((item) => `${yamlComment(item.comment)}\n${yamlValue([item.value])}`).join('\n')}`;
}
