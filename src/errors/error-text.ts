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
 * Characters that steer a terminal instead of showing: C0 and C1 controls (ESC, CR, the 8-bit CSI), DEL,
 * and the bidirectional overrides that reorder what follows. Text from outside (a config value, a label a
 * pusher chose) goes through this before it reaches a terminal: `\r\e[1A\e[2K...` would repaint the line
 * above. Shown as `\r`, `\e[1A`, `\u009b`: what it is, in the spelling a terminal user knows.
 */
const STEERING = /[\p{Cc}\u200e\u200f\u202a-\u202e\u2066-\u2069]/gu;

const SHORT_ESCAPES: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t', '\u001b': '\\e' };

/** Text from outside as something a terminal shows, never obeys. */
export function escapeControl(text: string): string {
  return text.replace(STEERING, (character) => SHORT_ESCAPES[character] ?? `\\u${(character.codePointAt(0) ?? 0).toString(16).padStart(4, '0')}`);
}

/** A byte limit as a person reads it (512 KiB, 4 MiB). */
export function formatBytes(bytes: number): string {
  return bytes >= 2 ** 20 ? `${bytes / 2 ** 20} MiB` : `${bytes / 2 ** 10} KiB`;
}
