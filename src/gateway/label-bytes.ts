/**
 * A label value as the exact bytes the gateway holds, and the spellings it has: the gateway's JSON API
 * writes each byte that is not valid UTF-8 as U+FFFD (two groups that differ only there look alike), its
 * scrape error writes them escaped in protobuf text form, and its grouping path takes them in base64.
 * Reading one spelling back to bytes and writing bytes in another is here; scrape-health.ts reads the
 * gateway's 500 with it, the CLI shows and deletes groups by it.
 */
import { escapeValue, quoteValue, SHOWN_VALUE_CHARS } from '../errors.js';

/** A protobuf text-format string literal's content as bytes: `\ooo`, `\xHH` and the C escapes. */
export function unescapeText(text: string): Uint8Array {
  const bytes: number[] = [];
  const simple: Record<string, number> = { n: 10, r: 13, t: 9, a: 7, b: 8, f: 12, v: 11, '"': 34, "'": 39, '\\': 92, '?': 63 };
  for (let i = 0; i < text.length; i++) {
    const char = text[i] ?? '';
    if (char !== '\\') {
      bytes.push(...Buffer.from(char === '' ? '' : String.fromCodePoint(text.codePointAt(i) ?? 0), 'utf8'));
      if ((text.codePointAt(i) ?? 0) > 0xffff) i++;
      continue;
    }
    const next = text[i + 1] ?? '';
    const octal = /^[0-7]{1,3}/.exec(text.slice(i + 1))?.[0];
    const hex = next === 'x' ? /^[0-9a-fA-F]{1,2}/.exec(text.slice(i + 2))?.[0] : undefined;
    if (octal !== undefined) {
      bytes.push(parseInt(octal, 8) & 0xff);
      i += octal.length;
    } else if (hex !== undefined) {
      bytes.push(parseInt(hex, 16));
      i += 1 + hex.length;
    } else {
      bytes.push(simple[next] ?? next.charCodeAt(0));
      i += 1;
    }
  }
  return Uint8Array.from(bytes);
}

/**
 * Bytes as text: each valid UTF-8 sequence through `valid`, each byte that starts none through `invalid`;
 * past `max` of them (a character or a byte each), the first `max - 1` and the length, as clipValue does.
 */
function spell(bytes: Uint8Array, valid: (text: string) => string, invalid: (byte: number) => string, max = Infinity): string {
  let out = '';
  let i = 0;
  let units = 0;
  while (i < bytes.length) {
    if (units === max - 1 && countUnits(bytes, i) > 1) return `${out}… (${bytes.length} bytes)`;
    const length = validSequenceLength(bytes, i);
    out += length === 0 ? invalid(bytes[i] ?? 0) : valid(Buffer.from(bytes.subarray(i, i + length)).toString('utf8'));
    i += Math.max(length, 1);
    units += 1;
  }
  return out;
}

/** How many characters and bytes that are not UTF-8 follow from `i`. */
function countUnits(bytes: Uint8Array, i: number): number {
  let units = 0;
  for (let at = i; at < bytes.length; at += Math.max(validSequenceLength(bytes, at), 1)) units += 1;
  return units;
}

const hexByte = (byte: number): string => `\\x${byte.toString(16).padStart(2, '0')}`;

/**
 * Bytes as the gateway's JSON API shows them: Go's encoding/json writes each byte that does not start a
 * valid UTF-8 sequence as one U+FFFD (WHATWG's TextDecoder would fold some runs into one).
 */
export function asJsonShowsIt(bytes: Uint8Array): string {
  return spell(
    bytes,
    (text) => text,
    () => '\uFFFD',
  );
}

/**
 * Bytes as text shown bare, each byte that is not valid UTF-8 as `\xHH`, the rest through escapeValue
 * (src/errors/error-text.ts): the byte 0xFF shows `\xff`, the text `\xff` shows `\\xff`, U+FFFD shows as
 * itself. Already shown: a table prints it as it is (ShownCell, src/cli/kit/output.ts).
 */
export function bytesAsText(bytes: Uint8Array, max = Infinity): string {
  return spell(bytes, escapeValue, hexByte, max);
}

/** Length of the valid UTF-8 sequence starting at `i`, or 0 (RFC 3629: no overlongs, no surrogates, ≤ U+10FFFF). */
function validSequenceLength(bytes: Uint8Array, i: number): number {
  const b0 = bytes[i] ?? 0;
  if (b0 < 0x80) return 1;
  const cont = (k: number, low = 0x80, high = 0xbf) => {
    const b = bytes[i + k];
    return b !== undefined && b >= low && b <= high;
  };
  if (b0 >= 0xc2 && b0 <= 0xdf) return cont(1) ? 2 : 0;
  if (b0 === 0xe0) return cont(1, 0xa0) && cont(2) ? 3 : 0;
  if ((b0 >= 0xe1 && b0 <= 0xec) || b0 === 0xee || b0 === 0xef) return cont(1) && cont(2) ? 3 : 0;
  if (b0 === 0xed) return cont(1, 0x80, 0x9f) && cont(2) ? 3 : 0;
  if (b0 === 0xf0) return cont(1, 0x90) && cont(2) && cont(3) ? 4 : 0;
  if (b0 >= 0xf1 && b0 <= 0xf3) return cont(1) && cont(2) && cont(3) ? 4 : 0;
  if (b0 === 0xf4) return cont(1, 0x80, 0x8f) && cont(2) && cont(3) ? 4 : 0;
  return 0;
}

/** The labels of an exactGroupingPath, as their exact bytes. */
export function exactLabelsOf(path: string): Map<string, Uint8Array> {
  const parts = path.replace(/^\/metrics\//, '').split('/');
  const labels = new Map<string, Uint8Array>();
  for (let i = 0; i + 1 < parts.length; i += 2)
    labels.set((parts[i] ?? '').replace(/@base64$/, ''), parts[i + 1] === '=' ? new Uint8Array() : Buffer.from(parts[i + 1] ?? '', 'base64url'));
  return labels;
}

/**
 * Bytes as a quoted value (`"x\xff"`): each byte that is not valid UTF-8 as `\xHH`, the rest as
 * quoteValue (src/errors/error-text.ts) quotes it, clipped as clipValue clips: two groups the JSON API
 * shows alike read apart, and the text `\xff` shows `"\\xff"`.
 */
export function bytesQuoted(bytes: Uint8Array): string {
  return `"${spell(bytes, (text) => quoteValue(text).slice(1, -1), hexByte, SHOWN_VALUE_CHARS)}"`;
}

/** `/metrics/job@base64/…/<label>@base64/…`: job first (the gateway's rule), every value exactly these bytes. */
export function exactGroupingPath(labels: ReadonlyMap<string, Uint8Array>): string {
  const entries = [...labels].sort(([a], [b]) => (a === 'job' ? -1 : b === 'job' ? 1 : a < b ? -1 : a > b ? 1 : 0));
  // An empty value is `=` (base64url of nothing would collapse the path).
  return `/metrics${entries.map(([name, value]) => `/${name}@base64/${value.length === 0 ? '=' : Buffer.from(value).toString('base64url')}`).join('')}`;
}
