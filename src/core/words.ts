// jfish's word rules, shared by its lexer (tools/jfish/lexer.ts) and by the operations that take
// a command line as one string (`command`: its argv): blanks (spaces and tabs) separate words; a
// word is bare (to the next blank, taken literally), '…' (no escapes) or "…" (C escapes, see
// decodeEscape); a quoted word must begin the word and be followed by a blank or the end.
import { JootError } from './errors.js';

/** What separates words: spaces and tabs only. */
export function isBlank(c: string | undefined): boolean {
  return c === ' ' || c === '\t';
}

function bad(message: string): JootError {
  return new JootError('EINVAL', message);
}

const simpleEscapes: Record<string, number> = {
  '\\': 0x5c,
  a: 0x07,
  b: 0x08,
  f: 0x0c,
  n: 0x0a,
  r: 0x0d,
  t: 0x09,
  v: 0x0b,
  '"': 0x22,
  "'": 0x27,
  '?': 0x3f,
};

const isOctal = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '7';
const isHex = (c: string | undefined): boolean => c !== undefined && /^[0-9a-fA-F]$/.test(c);

/**
 * Decode one escape sequence at text[i] (which is a backslash). Returns the byte and the
 * length of the sequence, or undefined if it is not valid: guestfish knows \\ \a \b \f
 * \n \r \t \v \" \' \?, exactly three octal digits (\101) and exactly two hex digits
 * (\x41), and refuses a zero byte (\000, \x00) and values above 255 (\777).
 */
export function decodeEscape(text: string, i: number): { byte: number; length: number } | undefined {
  const c = text[i + 1];
  if (c === undefined) return undefined;
  const simple = simpleEscapes[c];
  if (simple !== undefined) return { byte: simple, length: 2 };
  if (isOctal(c)) {
    if (!isOctal(text[i + 2]) || !isOctal(text[i + 3])) return undefined;
    const v = Number.parseInt(text.slice(i + 1, i + 4), 8);
    return v >= 1 && v <= 255 ? { byte: v, length: 4 } : undefined;
  }
  if (c === 'x') {
    if (!isHex(text[i + 2]) || !isHex(text[i + 3])) return undefined;
    const v = Number.parseInt(text.slice(i + 2, i + 4), 16);
    return v >= 1 ? { byte: v, length: 4 } : undefined;
  }
  return undefined;
}

/** Build a string from literal text and escaped bytes; escaped bytes ≥ 0x80 must form UTF-8. */
class WordBuilder {
  private text = '';
  private bytes: number[] | undefined;

  literal(s: string): void {
    if (this.bytes) this.bytes.push(...Buffer.from(s, 'utf8'));
    else this.text += s;
  }

  byte(b: number): void {
    if (b < 0x80 && !this.bytes) {
      this.text += String.fromCharCode(b);
      return;
    }
    this.bytes ??= [...Buffer.from(this.text, 'utf8')];
    this.bytes.push(b);
  }

  /** undefined when the escaped bytes are not valid UTF-8 */
  finish(): string | undefined {
    if (!this.bytes) return this.text;
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(Uint8Array.from(this.bytes));
    } catch {
      return undefined;
    }
  }
}

/**
 * Read a double-quoted word whose text starts at `from` (just after the opening quote).
 * Returns the decoded value and the index of the closing quote.
 */
function readDoubleQuoted(line: string, from: number): { value: string; close: number } {
  const out = new WordBuilder();
  let i = from;
  let run = from; // start of the pending literal run
  while (i < line.length && line[i] !== '"') {
    if (line[i] === '\\') {
      out.literal(line.slice(run, i));
      const esc = decodeEscape(line, i);
      if (!esc) {
        // guestfish reads `\"` as a quote before noticing the string never ends
        throw bad(`invalid escape sequence in string (starting at offset ${i - from})`);
      }
      out.byte(esc.byte);
      i += esc.length;
      run = i;
    } else i++;
  }
  if (i >= line.length) throw bad('unterminated double quote');
  out.literal(line.slice(run, i));
  const value = out.finish();
  if (value === undefined) throw bad('escape sequences in a double-quoted string do not form valid UTF-8 text');
  return { value, close: i };
}

/**
 * Read the quoted word that starts at line[i] (a ' or a "): its value and the index just past
 * it. Throws JootError('EINVAL') for an unterminated or bad word, or one that runs into the next.
 */
export function readQuoted(line: string, i: number): { value: string; end: number } {
  let value: string;
  let close: number;
  if (line[i] === '"') {
    const r = readDoubleQuoted(line, i + 1);
    value = r.value;
    close = r.close;
  } else {
    close = line.indexOf("'", i + 1);
    if (close < 0) throw bad('unterminated single quote');
    value = line.slice(i + 1, close);
  }
  const end = close + 1;
  if (end < line.length && !isBlank(line[end])) throw bad('command arguments not separated by whitespace');
  return { value, end };
}

/**
 * Split a command line held in one string into argv by the word rules above (`command
 * "/bin/ls -l /"`). Unlike a jfish line, a `|` is an ordinary character here, not the start
 * of a host pipeline: a word that begins with it is bare.
 */
export function splitCommandLine(text: string): string[] {
  const n = text.length;
  const out: string[] = [];
  let i = 0;
  while (i < n && isBlank(text[i])) i++;
  while (i < n) {
    let end: number;
    if (text[i] === '"' || text[i] === "'") {
      const r = readQuoted(text, i);
      out.push(r.value);
      end = r.end;
    } else {
      end = i;
      while (end < n && !isBlank(text[end])) end++;
      out.push(text.slice(i, end));
    }
    i = end;
    while (i < n && isBlank(text[i])) i++;
  }
  return out;
}
