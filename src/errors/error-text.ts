/**
 * How errors and the commands' output print text: a thrown value's message with its cause, text from
 * outside made harmless for a terminal, and byte limits in the units a reader expects.
 */
/** Message of any thrown value, with its cause's message where it has one (fetch hides ECONNREFUSED there). */
export function errorText(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  return error.cause instanceof Error ? `${error.message} (cause: ${error.cause.message})` : error.message;
}

/**
 * Characters that do not show as themselves: they steer a terminal (C0 and C1 controls such as ESC, CR and
 * the 8-bit CSI; DEL), reorder what follows (the bidirectional controls), or show as nothing at all (format
 * characters such as U+200B, U+2060, U+00AD, U+FEFF, U+180E; line and paragraph separators; spaces other
 * than U+0020; lone surrogates; whatever else Unicode says a renderer may ignore). Text from outside (a
 * config value, a label a pusher chose) goes through this before it reaches a terminal:
 * `\r\e[1A\e[2K...` would repaint the line above, and `n1<U+200B>` would print as `n1`. Each is shown
 * as an escape: `\r`, `\e`, `\u009b`, `\u200b`.
 */
const UNSHOWN = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}\p{Default_Ignorable_Code_Point}]|(?! )\p{Zs}/gu;
/** The same, and the backslash itself: in text shown bare, a real ESC (`\e`) and the text `\e` (`\\e`) differ. */
const UNSHOWN_OR_BACKSLASH = new RegExp(`\\\\|${UNSHOWN.source}`, 'gu');

const SHORT_ESCAPES: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t', '\u001b': '\\e', '\\': '\\\\' };

/** `\uXXXX` per UTF-16 unit (a character beyond U+FFFF as its two, as JSON spells it). */
const unitEscapes = (character: string): string => [...Array(character.length).keys()].map((i) => `\\u${character.charCodeAt(i).toString(16).padStart(4, '0')}`).join('');

/**
 * A message made of our own words and values already shown (quoted, or through escapeValue): whatever
 * steers a terminal or shows as nothing becomes its escape; a backslash stays (it belongs to the escapes
 * inside), so applying this twice changes nothing.
 */
export function escapeControl(text: string): string {
  return text.replace(UNSHOWN, (character) => SHORT_ESCAPES[character] ?? unitEscapes(character));
}

/**
 * One value from outside shown bare (a table cell, a name in a message): escapeControl's escapes and the
 * backslash doubled, so every different text shows differently. The one escaper of bare values: tables
 * (src/cli/kit/output.ts, formatTable), label bytes (src/gateway/label-bytes.ts) and messages use it.
 */
export function escapeValue(text: string): string {
  return text.replace(UNSHOWN_OR_BACKSLASH, (character) => SHORT_ESCAPES[character] ?? unitEscapes(character));
}

/**
 * One value from outside quoted for a message line: JSON quoting (which doubles the backslash and the
 * quote), then escapeControl for what JSON leaves (C1, DEL, format characters). ESC shows as JSON's `\u001b`.
 */
export function quoteValue(text: string): string {
  return escapeControl(JSON.stringify(text));
}

/** The longest value from outside shown whole: a longer one shows its start and its length. */
export const SHOWN_VALUE_CHARS = 80;

/** `text`, or its first characters and its length when it is longer than SHOWN_VALUE_CHARS (a 500 KB label value). */
export function clipValue(text: string): string {
  const characters = [...text];
  return characters.length > SHOWN_VALUE_CHARS ? `${characters.slice(0, SHOWN_VALUE_CHARS - 1).join('')}… (${characters.length} characters)` : text;
}

/** A byte limit as a person reads it (512 KiB, 4 MiB). */
export function formatBytes(bytes: number): string {
  return bytes >= 2 ** 20 ? `${bytes / 2 ** 20} MiB` : `${bytes / 2 ** 10} KiB`;
}
