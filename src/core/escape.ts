// Guest text shown on a terminal: a guest's names, labels and product strings are
// attacker-chosen, and a terminal runs the control sequences it is sent (retitle, clear,
// rewrite the screen, answer back into the input). So every control character is replaced
// by a visible escape, as `ls -b` does: ESC as \e, tab, newline and CR as \t \n \r, other C0
// controls and DEL as \xHH, the C1 controls (U+0080–U+009F, which UTF-8 terminals may also
// obey) as \uHHHH. Backslashes are left alone: the point is a safe terminal, and Windows
// paths stay readable. Invalid UTF-8 never gets here as bytes: Node decodes guest names to
// U+FFFD, which is printable.

import { nodeCrypto } from './lazy-node.js';

const CONTROLS = /[\x00-\x1f\x7f-\x9f]/g;
// a line break is LF or CRLF; a lone CR (which returns to the line's start) is escaped
const CONTROLS_BUT_NEWLINE = /\r(?!\n)|[\x00-\x09\x0b\x0c\x0e-\x1f\x7f-\x9f]/g;
const NAMED: Record<string, string> = { '\x1b': '\\e', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

function escapeOne(c: string): string {
  const named = NAMED[c];
  if (named) return named;
  const code = c.charCodeAt(0);
  const hex = code.toString(16).padStart(2, '0');
  return code < 0x80 ? `\\x${hex}` : `\\u00${hex}`;
}

/**
 * `s` with every C0 control, DEL and C1 control written as a visible escape. With
 * `keepNewlines`, "\n" and "\r\n" stay line breaks (text that is several lines of its own).
 */
export function escapeControls(s: string, opts: { keepNewlines?: boolean } = {}): string {
  return s.replace(opts.keepNewlines ? CONTROLS_BUT_NEWLINE : CONTROLS, escapeOne);
}

/**
 * JSON.stringify, with DEL and the C1 controls (which it leaves raw) written as \u escapes
 * too: the same JSON to a parser, safe on a terminal (they can only occur inside strings).
 * A bigint (a size beyond 2^53) is written as its exact integer literal.
 */
export function jsonText(value: unknown, indent?: number): string {
  let text: string;
  try {
    // without a replacer first: a replacer function takes JSON.stringify off its fast path
    // (measured: a third slower on a Debian report); it throws at a bigint
    text = JSON.stringify(value, undefined, indent);
  } catch (e) {
    if (!(e instanceof TypeError)) throw e;
    text = withBigints(value, indent);
  }
  return text.replace(/[\x7f-\x9f]/g, (c) => `\\u00${c.charCodeAt(0).toString(16)}`);
}

/** JSON.stringify with each bigint as its exact integer literal. */
function withBigints(value: unknown, indent?: number): string {
  // random per call, made at the first bigint: no string of `value` can hold it
  let mark: string | undefined;
  const text = JSON.stringify(
    value,
    (_k, v: unknown) => (typeof v === 'bigint' ? `${(mark ??= `bigint-${nodeCrypto().randomUUID()}:`)}${v}` : v),
    indent,
  );
  return mark === undefined ? text : text.replace(new RegExp(`"${mark}(-?\\d+)"`, 'g'), '$1');
}

/** Is this stream a terminal (where guest text must be escaped)? */
export function isTerminal(stream: NodeJS.WritableStream): boolean {
  return (stream as { isTTY?: boolean }).isTTY === true;
}
