// One line of jfish input, split the way guestfish's parse_command_line splits it:
//
//   - leading whitespace is skipped; a line whose first character is `#` is a comment
//     (a `#` later on the line is an ordinary character: `foo # bar` has two arguments);
//   - `!rest` runs `rest` in the host shell; `<!rest` runs it and executes its output as
//     jfish commands; any number of `-` before the command (or before `!`/`<!`) means
//     "do not stop on this line's error";
//   - the command name runs to the first space or tab and is never unquoted;
//   - each argument is a bare word (to the next space or tab, taken literally), a '…'
//     word (no escapes) or a "…" word (C escapes); a quoted word must begin the argument
//     and be followed by whitespace or the end of the line (the word rules: core/words.ts);
//   - an argument that begins with `|` ends the command: the rest of the line, verbatim,
//     is a host shell pipeline fed the command's output (`cat /f | wc -l`; `a|b` is a
//     bare word);
//   - an unquoted argument that begins with `~` can be expanded as a host home directory
//     (only if the caller passes `home`, which keeps this module pure).
// Only spaces and tabs separate words. There is no line continuation.
import { JootError } from '../../core/errors.js';
import { isBlank, readQuoted } from '../../core/words.js';

export type Line =
  | { kind: 'empty' }
  | { kind: 'command'; name: string; args: string[]; ignoreErrors: boolean; pipe?: string }
  /** `!cmd`: run in the host shell */
  | { kind: 'local'; command: string; ignoreErrors: boolean }
  /** `<!cmd`: run in the host shell and execute its output, line by line, as jfish commands */
  | { kind: 'include'; command: string; ignoreErrors: boolean };

export interface LexOptions {
  /**
   * Tilde expansion of unquoted arguments: called with the user name after `~` ('' for
   * `~` and `~/…`); returns that user's home directory, or undefined to leave the word as
   * it is. Without it, `~` is not expanded.
   */
  home?: (user: string) => string | undefined;
}

/** isspace() in the C locale: what guestfish skips before a command. */
function isSpace(c: string | undefined): boolean {
  return c === ' ' || c === '\t' || c === '\n' || c === '\v' || c === '\f' || c === '\r';
}

function bad(message: string): JootError {
  return new JootError('EINVAL', message);
}

/** `~`, `~/x`, `~user`, `~user/x` → the home directory (if `home` knows it) + the rest. */
export function expandTilde(word: string, home: (user: string) => string | undefined): string {
  if (!word.startsWith('~')) return word;
  const slash = word.indexOf('/');
  const user = slash < 0 ? word.slice(1) : word.slice(1, slash);
  const rest = slash < 0 ? '' : word.slice(slash);
  const dir = home(user);
  return dir === undefined ? word : dir + rest;
}

const EMPTY: Line = Object.freeze({ kind: 'empty' }) as Line;

/** Split one line of input. Throws JootError('EINVAL') for bad quoting or escapes. */
export function lexLine(line: string, opts: LexOptions = {}): Line {
  const n = line.length;
  let i = 0;
  let ignoreErrors = false;
  for (;;) {
    while (i < n && isSpace(line[i])) i++;
    if (i >= n) return EMPTY;
    const c = line[i];
    if (c === '#') return EMPTY;
    if (c === '!') return { kind: 'local', command: line.slice(i + 1), ignoreErrors };
    if (c === '<' && line[i + 1] === '!') return { kind: 'include', command: line.slice(i + 2), ignoreErrors };
    if (c !== '-') break;
    ignoreErrors = true;
    i++;
  }

  let j = i;
  while (j < n && !isBlank(line[j])) j++;
  const name = line.slice(i, j);
  const args: string[] = [];
  let pipe: string | undefined;
  i = j;
  while (i < n && isBlank(line[i])) i++;

  while (i < n) {
    const c = line[i];
    let end: number; // index just past the word
    if (c === '"' || c === "'") {
      const r = readQuoted(line, i);
      args.push(r.value);
      end = r.end;
    } else if (c === '|') {
      pipe = line.slice(i + 1);
      break;
    } else {
      end = i;
      while (end < n && !isBlank(line[end])) end++;
      const word = line.slice(i, end);
      args.push(c === '~' && opts.home ? expandTilde(word, opts.home) : word);
    }
    i = end;
    while (i < n && isBlank(line[i])) i++;
  }

  return pipe === undefined ? { kind: 'command', name, args, ignoreErrors } : { kind: 'command', name, args, ignoreErrors, pipe };
}

export interface ScriptLine {
  /** 1-based line number in the script */
  line: number;
  text: string;
  /**
   * Here-documents: for each argument written `-<<MARKER`, the script lines that follow
   * the command up to a line that is exactly MARKER, each ending in '\n'. In the order of
   * the arguments.
   */
  heredocs?: { arg: number; marker: string; data: string }[];
}

export interface SplitOptions extends LexOptions {
  /**
   * Whether argument `arg` (0-based) of command `name` reads a here-document when written
   * `-<<MARKER` (guestfish: only FileIn arguments). Default: every argument.
   */
  takesHeredoc?: (name: string, arg: number) => boolean;
}

/**
 * Split a script (jfish -f FILE, or the output of `<!`) into its lines, numbered from 1.
 * Like guestfish there is no continuation (a trailing `\` is an ordinary character);
 * blank and comment lines (which includes a `#!` first line) are dropped; one `\r`
 * before a line end is dropped too (CRLF scripts). The text after `-<<MARKER` arguments
 * is gathered into `heredocs`; a missing end marker throws JootError('EINVAL').
 */
export function splitScript(text: string, opts: SplitOptions = {}): ScriptLine[] {
  const raw = text.split('\n');
  if (raw.length > 0 && raw[raw.length - 1] === '') raw.pop(); // the final newline
  const lines = raw.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  const out: ScriptLine[] = [];
  for (let k = 0; k < lines.length; k++) {
    const t = lines[k]!;
    let s = 0;
    while (s < t.length && isSpace(t[s])) s++;
    if (s === t.length || t[s] === '#') continue;
    const entry: ScriptLine = { line: k + 1, text: t };
    out.push(entry);
    let parsed: Line;
    try {
      parsed = lexLine(t, opts);
    } catch {
      continue; // reported when the line is run
    }
    if (parsed.kind !== 'command') continue;
    parsed.args.forEach((a, arg) => {
      if (!a.startsWith('-<<') || a.length === 3) return;
      if (opts.takesHeredoc && !opts.takesHeredoc(parsed.name, arg)) return;
      const marker = a.slice(3);
      const start = k + 1;
      let end = start;
      while (end < lines.length && lines[end] !== marker) end++;
      if (end >= lines.length) {
        throw new JootError('EINVAL', `line ${entry.line}: end of script before the here-document marker '${marker}'`);
      }
      const data = lines
        .slice(start, end)
        .map((l) => `${l}\n`)
        .join('');
      (entry.heredocs ??= []).push({ arg, marker, data });
      k = end;
    });
  }
  return out;
}

/** `word` as a double-quoted jfish word, with escapes; throws for a NUL character. */
export function quoteDouble(word: string): string {
  if (word.includes('\0')) throw bad('a jfish word cannot contain a NUL character');
  const named: Record<string, string> = {
    '\\': '\\\\',
    '"': '\\"',
    '\n': '\\n',
    '\t': '\\t',
    '\r': '\\r',
    '\x07': '\\a',
    '\b': '\\b',
    '\f': '\\f',
    '\v': '\\v',
  };
  let out = '"';
  for (const ch of word) {
    const code = ch.codePointAt(0)!;
    // C0, DEL and C1 controls as escapes (C1 as its UTF-8 bytes, which is how \x reads back):
    // a completed guest name must not put a control sequence on the terminal
    out +=
      named[ch] ??
      (code < 0x20 || code === 0x7f
        ? `\\x${code.toString(16).padStart(2, '0')}`
        : code >= 0x80 && code <= 0x9f
          ? [...Buffer.from(ch, 'utf8')].map((b) => `\\x${b.toString(16)}`).join('')
          : ch);
  }
  return `${out}"`;
}

/** Whether `word` reads back unchanged as a bare (unquoted, unexpanded) argument and shows no control character. */
export function isBareSafe(word: string): boolean {
  return word !== '' && !/^["'|~]/.test(word) && !/[\s\x00-\x1f\x7f-\x9f]/.test(word);
}

/**
 * Write `word` so that lexLine reads it back unchanged as an argument: bare when that is
 * safe, else double-quoted with escapes. Throws for a NUL character, which no jfish
 * word can hold.
 */
export function quoteWord(word: string): string {
  return isBareSafe(word) ? word : quoteDouble(word);
}
