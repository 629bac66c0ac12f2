/**
 * The one YAML emitter of every file `init` writes: compose files, prometheus.yml, rule files and their
 * promtool tests, Grafana provisioning, global_config.yaml and the Kubernetes objects. Each file is data
 * (plain objects, arrays, scalars) plus the comments that say why, attached to the values they explain with
 * the wrappers below; the `yaml` package's Document API writes both.
 *
 * Written as YAML 1.1 (without a `%YAML` directive): docker-compose (PyYAML) and Prometheus (go-yaml) read
 * 1.1, where `yes`, `on` or `0:30` are not strings, so every string that 1.1 would read as something else is
 * quoted. `<<` merge keys resolve under 1.1 too.
 */
import { Alias, Document, isScalar, type Node, Pair, parse, Scalar, YAMLMap, YAMLSeq } from 'yaml';

interface Style {
  /** Comment lines written before the value (before its key in a mapping). */
  readonly comment?: string | undefined;
  /** An empty line before the value (before its key in a mapping): the file's sections stay apart. */
  readonly blankLineBefore?: boolean | undefined;
  /** `[a, b]` / `{a: b}` on one line instead of one item per line. */
  readonly flow?: boolean | undefined;
  /** `&name` on the value, for `alias(name)` elsewhere in the same document. */
  readonly anchor?: string | undefined;
}

/** A value and how it is written; build with the functions below. */
class Styled {
  constructor(
    readonly value: unknown,
    readonly style: Style,
  ) {}
}

/** `*name`: the value anchored as `name` (for a compose file's `<<: *name` merge of a shared block). */
class AliasOf {
  constructor(readonly name: string) {}
}

/** `value` with `comment` written on the line(s) before it; `blankLineBefore` sets it apart from what precedes. */
export function commented(comment: string, value: unknown, blankLineBefore = false): Styled {
  return new Styled(value, { comment, blankLineBefore });
}

/** `value` after an empty line, without a comment. */
export function spaced(value: unknown): Styled {
  return new Styled(value, { blankLineBefore: true });
}

/** A list or mapping on one line (`[simulate, --config, ...]`), where that reads better than one item per line. */
export function flow(value: readonly unknown[] | Readonly<Record<string, unknown>>): Styled {
  return new Styled(value, { flow: true });
}

/** `value` anchored as `&name`. */
export function anchored(name: string, value: unknown): Styled {
  return new Styled(value, { anchor: name });
}

/** `*name`, the value anchored with `anchored(name, ...)` earlier in the document. */
export function alias(name: string): AliasOf {
  return new AliasOf(name);
}

/** Comment text as the Document API wants it: each line after `#` (a space first, none for an empty line). */
function commentText(text: string): string {
  return text
    .split('\n')
    .map((line) => (line === '' ? '' : ` ${line}`.replace(/ +$/, '')))
    .join('\n');
}

function applyStyle(node: Node, style: Style): void {
  if (style.flow === true && (node instanceof YAMLSeq || node instanceof YAMLMap)) {
    node.flow = true;
    // PyYAML (docker-compose) refuses a plain `host:port` inside [ ]; quoted, every reader agrees.
    for (const item of node.items) {
      const scalar = item instanceof Pair ? (item.value as unknown) : item;
      if (isScalar(scalar) && typeof scalar.value === 'string' && /[:#]/.test(scalar.value)) scalar.type = Scalar.QUOTE_DOUBLE;
    }
  }
  if (style.anchor !== undefined) node.anchor = style.anchor;
}

/** Comment and blank line go on the key in a mapping (before `key:`), on the node itself elsewhere. */
function applyPlacement(node: Node, style: Style): void {
  if (style.comment !== undefined) node.commentBefore = commentText(style.comment);
  if (style.blankLineBefore === true) node.spaceBefore = true;
}

function toNode(doc: Document, value: unknown): Node {
  if (value instanceof Styled) {
    const node = toNode(doc, value.value);
    applyStyle(node, value.style);
    applyPlacement(node, value.style);
    return node;
  }
  if (value instanceof AliasOf) return new Alias(value.name);
  if (Array.isArray(value)) {
    const seq = new YAMLSeq();
    for (const item of value as unknown[]) seq.items.push(toNode(doc, item));
    return seq;
  }
  if (value !== null && typeof value === 'object' && isPlainObject(value)) {
    const map = new YAMLMap();
    for (const [key, item] of Object.entries(value)) {
      if (item === undefined) continue;
      const keyNode = new Scalar(key);
      const inner = item instanceof Styled ? item : undefined;
      const node = toNode(doc, inner === undefined ? item : inner.value);
      if (inner !== undefined) {
        applyStyle(node, inner.style);
        applyPlacement(keyNode, inner.style);
      }
      map.items.push(new Pair(keyNode, node));
    }
    return map;
  }
  const node = doc.createNode(value);
  if (!isScalar(node)) throw new TypeError(`YAML emitter: cannot write ${Object.prototype.toString.call(value)}`);
  if (typeof value === 'string' && readsAsOtherThanString(value)) node.type = Scalar.QUOTE_DOUBLE;
  return node;
}

/**
 * Whether a YAML 1.2 reader (js-yaml, go-yaml v3) or a 1.1 one (PyYAML) would read `text`, written plain,
 * as something other than this string: `0o17` is a plain string in 1.1 but 15 in 1.2, `on` the reverse.
 * Only word-like text can; the emitter itself quotes anything with YAML's indicator characters.
 */
function readsAsOtherThanString(text: string): boolean {
  if (!/^[\w.+:-]+$/.test(text)) return false;
  return (['1.1', '1.2'] as const).some((version) => parse(text, { version }) !== text);
}

function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/**
 * One value as YAML text. lineWidth 0: never fold a long line (PromQL, URLs); no anchors unless asked for
 * with `anchored`, so every object is spelled out in full.
 */
export function yamlValue(value: unknown, header?: string): string {
  const doc = new Document(null, { version: '1.1' });
  doc.contents = toNode(doc, value);
  if (header !== undefined) doc.commentBefore = commentText(header);
  return doc.toString({ lineWidth: 0, flowCollectionPadding: false });
}

/** A file of one document, under a header comment (what the file is, how to use it). */
export function yamlFile(header: string, value: unknown): string {
  return yamlValue(value, header);
}

/** `# ` before every line of `text` (no trailing newline): a comment outside any document. */
export function yamlComment(text: string): string {
  return commentText(text)
    .split('\n')
    .map((line) => `#${line}`)
    .join('\n');
}

/** A file of several documents (`---` before each), under a header comment. */
export function yamlDocuments(header: string, values: readonly unknown[]): string {
  return `${yamlComment(header)}\n${values.map((value) => `---\n${yamlValue(value)}`).join('')}`;
}
