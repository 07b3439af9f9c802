// Tab completion for the jfish shell, the pure part: what to offer for the text before the
// cursor. As in guestfish, the first word completes against command names and later words
// against guest paths (the entries of the typed path's directory, with '/' after
// directories) and, for words that can still become `/dev/…`, device names. The guest
// is reached only through the injected listers, so this runs without any disk.
//
// Words are read with lexLine's rules, but forgivingly: the word under the cursor may be
// an unterminated "… or '… word. Each candidate is a whole replacement for that word, as
// it must be typed: quoted like the typed word (or double-quoted, if the name has a
// space or tab and the word was bare), with the closing quote after a complete file
// name and left open after a directory.
import { decodeEscape, isBlank } from '../../core/words.js';
import { isBareSafe, quoteDouble } from './lexer.js';

export interface DirEntry {
  name: string;
  isDir: boolean;
}

export interface CompletionSource {
  /** Command names (and aliases) for the first word. */
  commands: readonly string[];
  /** Entries of a guest directory (absolute path); may throw or be absent before launch. */
  listDir?: (dir: string) => Promise<readonly DirEntry[]>;
  /** Device, partition and LV names (/dev/…), for arguments. */
  listDevices?: () => Promise<readonly string[]>;
  /**
   * What argument `arg` (0-based) of `command` is: guest 'path' (the default), a 'command'
   * name (the default for help's argument) or 'none'.
   */
  argKind?: (command: string, arg: number) => 'path' | 'command' | 'none';
  /** Match names case-insensitively (guestfish's default; useful for Windows guests). */
  ignoreCase?: boolean;
}

export interface Completion {
  /** Where the word being completed starts in the text (at its opening quote if any). */
  start: number;
  /** That word as typed: text.slice(start). */
  word: string;
  /** Replacements for `word`, sorted, without duplicates. */
  candidates: string[];
}

type Quote = '' | '"' | "'";

interface Word {
  start: number;
  quote: Quote;
  /** the value so far (escapes decoded) */
  value: string;
}

type Position =
  | { kind: 'none'; start: number }
  | { kind: 'command'; word: Word }
  | { kind: 'arg'; command: string; index: number; word: Word };

/** Decode a partial double-quoted word; a trailing incomplete escape is dropped. */
function decodePartial(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; ) {
    if (text[i] !== '\\') {
      out += text[i++];
      continue;
    }
    const esc = decodeEscape(text, i);
    if (!esc) {
      i = text.length;
      break;
    }
    out += String.fromCharCode(esc.byte);
    i += esc.length;
  }
  return out;
}

/** Where the cursor is: which word, of which command. */
function locate(text: string): Position {
  const n = text.length;
  let i = 0;
  const isSpace = (c: string | undefined): boolean => c !== undefined && /^[ \t\n\v\f\r]$/.test(c);
  for (;;) {
    while (i < n && isSpace(text[i])) i++;
    if (i < n && (text[i] === '#' || text[i] === '!' || (text[i] === '<' && text[i + 1] === '!'))) return { kind: 'none', start: n };
    if (text[i] !== '-') break;
    i++;
  }
  let j = i;
  while (j < n && !isBlank(text[j])) j++;
  if (j === n) return { kind: 'command', word: { start: i, quote: '', value: text.slice(i) } };
  const command = text.slice(i, j);
  let index = 0;
  i = j;
  for (;;) {
    while (i < n && isBlank(text[i])) i++;
    if (i === n) return { kind: 'arg', command, index, word: { start: n, quote: '', value: '' } };
    const c = text[i];
    const start = i;
    if (c === '|') return { kind: 'none', start: n }; // the host pipeline
    if (c === '"' || c === "'") {
      // find the closing quote; none → this is the word under the cursor
      let k = i + 1;
      while (k < n && text[k] !== c) k += c === '"' && text[k] === '\\' ? 2 : 1;
      if (k >= n) {
        const body = text.slice(i + 1);
        return { kind: 'arg', command, index, word: { start, quote: c, value: c === '"' ? decodePartial(body) : body } };
      }
      i = k + 1;
      if (i === n) return { kind: 'none', start: n }; // right after a closing quote
    } else {
      while (i < n && !isBlank(text[i])) i++;
      if (i === n) return { kind: 'arg', command, index, word: { start, quote: '', value: text.slice(start) } };
    }
    index++;
  }
}

/** Write a completed value the way the typed word was quoted. */
function render(value: string, quote: Quote, complete: boolean): string {
  const control = /[\x00-\x1f\x7f-\x9f]/.test(value);
  if (quote === "'" && !value.includes("'") && !control) return `'${value}${complete ? "'" : ''}`;
  if (quote === '' && isBareSafe(value)) return value;
  const q = quoteDouble(value);
  return complete ? q : q.slice(0, -1);
}

function startsWith(name: string, prefix: string, ignoreCase: boolean): boolean {
  return ignoreCase ? name.toLowerCase().startsWith(prefix.toLowerCase()) : name.startsWith(prefix);
}

const norm = (s: string): string => s.toLowerCase().replace(/_/g, '-');

async function pathValues(value: string, src: CompletionSource): Promise<{ value: string; isDir: boolean }[]> {
  const ic = src.ignoreCase ?? false;
  const out: { value: string; isDir: boolean }[] = [];
  if (src.listDevices && (value.length < 5 || startsWith(value, '/dev/', ic))) {
    try {
      for (const d of await src.listDevices()) if (startsWith(d, value, ic)) out.push({ value: d, isDir: false });
    } catch {
      // no devices to offer (not launched, …)
    }
  }
  if (src.listDir && (value === '' || value.startsWith('/'))) {
    const slash = value.lastIndexOf('/');
    const dir = slash > 0 ? value.slice(0, slash) : '/';
    const prefix = dir === '/' ? '/' : `${dir}/`;
    try {
      for (const e of await src.listDir(dir)) {
        if (e.name === '.' || e.name === '..') continue;
        const full = prefix + e.name;
        if (startsWith(full, value, ic)) out.push({ value: full, isDir: e.isDir });
      }
    } catch {
      // unreadable directory: nothing to offer, as guestfish
    }
  }
  return out;
}

/** Completion candidates for `text`, the line up to the cursor. */
export async function complete(text: string, src: CompletionSource): Promise<Completion> {
  const pos = locate(text);
  if (pos.kind === 'none') return { start: pos.start, word: text.slice(pos.start), candidates: [] };
  const { word } = pos;
  const typed = text.slice(word.start);
  const finish = (candidates: string[]): Completion => ({
    start: word.start,
    word: typed,
    candidates: [...new Set(candidates)].sort(),
  });
  const commandCandidates = (): string[] =>
    src.commands.filter((c) => norm(c).startsWith(norm(word.value))).map((c) => render(c, word.quote, true));

  if (pos.kind === 'command') return finish(commandCandidates());

  const defaultKind = norm(pos.command) === 'help' && pos.index === 0 ? 'command' : 'path';
  const kind = src.argKind?.(pos.command, pos.index) ?? defaultKind;
  if (kind === 'none') return finish([]);
  if (kind === 'command') return finish(commandCandidates());
  const values = await pathValues(word.value, src);
  return finish(values.map((v) => (v.isDir ? render(`${v.value}/`, word.quote, false) : render(v.value, word.quote, true))));
}
