// guestfish's grep family, matched in JavaScript on the guest file's bytes (no host grep ever
// sees a guest path). Semantics are GNU grep's in the C locale, as in the libguestfs
// appliance: a character is a byte, classes like [[:alpha:]] and \w are ASCII, -i folds ASCII
// letters only. To get that from JavaScript's RegExp, every line is decoded byte by byte:
// bytes below 0x80 stay themselves, bytes 0x80–0xFF become U+E080–U+E0FF (private-use code
// points: no case, not \w, not \s), and the pattern's own bytes are mapped the same way.
// POSIX basic (grep) and extended (egrep) syntax are translated to RegExp source; fixed
// strings (fgrep) are escaped. zgrep* decompress gzip (zlib, multi-member); other files are
// searched as they are, as zgrep does.
import type { GuestFileReader } from '../../appliance/guest-files.js';
import { nodeStream, nodeZlib } from '../../core/lazy-node.js';
import { JootError } from '../../core/errors.js';
import { fsError, handleChunks, openGuestFile } from '../file-ops.js';

export type GrepSyntax = 'basic' | 'extended' | 'fixed';

export interface GrepOptions {
  syntax: GrepSyntax;
  insensitive?: boolean;
  compressed?: boolean;
}

const HIGH = 0xe000;
const XZ_MAGIC = Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]);

/** Bytes → the matching string (see the module comment). */
export function bytesToMatchString(b: Uint8Array): string {
  let s = '';
  const CHUNK = 8192;
  for (let i = 0; i < b.length; i += CHUNK) {
    const codes: number[] = [];
    const end = Math.min(b.length, i + CHUNK);
    for (let j = i; j < end; j++) {
      const c = b[j]!;
      codes.push(c < 0x80 ? c : HIGH + c);
    }
    s += String.fromCharCode(...codes);
  }
  return s;
}

const CLASSES: Record<string, string> = {
  alpha: 'A-Za-z',
  digit: '0-9',
  alnum: '0-9A-Za-z',
  upper: 'A-Z',
  lower: 'a-z',
  space: ' \\t\\n\\r\\f\\v',
  blank: ' \\t',
  punct: '!-\\/:-@\\[-`{-~',
  print: ' -~',
  graph: '!-~',
  cntrl: '\\x00-\\x1f\\x7f',
  xdigit: '0-9A-Fa-f',
};

/** One pattern character (a UTF-16 code unit of the byte-mapped pattern) as RegExp source. */
function lit(ch: string): string {
  const c = ch.charCodeAt(0);
  if (c >= HIGH) return `\\u${c.toString(16)}`;
  if (/[\\^$.*+?()[\]{}|/-]/.test(ch)) return `\\${ch}`;
  if (c < 0x20 || c === 0x7f) return `\\x${c.toString(16).padStart(2, '0')}`;
  return ch;
}

/** A bracket expression starting at p[i] === '['; returns the source and the index after ']'. */
function bracket(p: string, i: number): [string, number] {
  let j = i + 1;
  let out = '[';
  if (p[j] === '^') {
    out += '^';
    j++;
  }
  let members = 0;
  for (;;) {
    if (j >= p.length) throw new JootError('EINVAL', 'grep: unmatched [ in the pattern');
    const ch = p[j]!;
    if (ch === ']' && members > 0) return [`${out}]`, j + 1];
    members++;
    if (ch === '[' && (p[j + 1] === ':' || p[j + 1] === '=' || p[j + 1] === '.')) {
      const kind = p[j + 1]!;
      const end = p.indexOf(`${kind}]`, j + 2);
      if (end < 0) throw new JootError('EINVAL', 'grep: unmatched [ in the pattern');
      const name = p.slice(j + 2, end);
      if (kind === ':') {
        const cls = CLASSES[name];
        if (cls === undefined) throw new JootError('EINVAL', `grep: invalid character class [:${name}:]`);
        out += cls;
      } else {
        // [=c=] and [.c.]: a single character in the C locale
        if (name.length !== 1) throw new JootError('EINVAL', `grep: invalid collating element [${kind}${name}${kind}]`);
        out += lit(name);
      }
      j = end + 2;
      continue;
    }
    // a range end or a plain member; backslash is literal inside brackets (POSIX)
    if (ch === '-' && members > 1 && p[j + 1] !== ']') out += '-';
    else out += lit(ch);
    j++;
  }
}

/** A {m,n} interval starting after the brace; returns the source and the index after it. */
function interval(p: string, i: number, closing: string): [string, number] {
  const end = p.indexOf(closing, i);
  const body = end < 0 ? '' : p.slice(i, end);
  if (end < 0 || !/^\d*(,\d*)?$/.test(body) || body === '' || body === ',') {
    throw new JootError('EINVAL', 'grep: invalid interval in the pattern');
  }
  const [lo, hi] = body.split(',');
  return [`{${lo || '0'}${hi === undefined ? '' : `,${hi}`}}`, end + closing.length];
}

/** POSIX basic or extended regular expression (GNU extensions included) → RegExp source. */
export function posixToRegExp(pattern: string, extended: boolean): string {
  const p = bytesToMatchString(Buffer.from(pattern, 'utf8'));
  let out = '';
  // whether a repetition operator here would have nothing to repeat (then it is literal)
  let atStart = true;
  let groups = 0;
  for (let i = 0; i < p.length; ) {
    const ch = p[i]!;
    if (ch === '\\') {
      const n = p[i + 1];
      if (n === undefined) throw new JootError('EINVAL', 'grep: trailing backslash in the pattern');
      i += 2;
      if (!extended && (n === '(' || n === ')' || n === '|' || n === '{' || n === '?' || n === '+')) {
        if (n === '(') {
          out += '(';
          groups++;
          atStart = true;
          continue;
        }
        if (n === ')') {
          if (groups === 0) throw new JootError('EINVAL', 'grep: unmatched \\) in the pattern');
          groups--;
          out += ')';
        } else if (n === '|') {
          out += '|';
          atStart = true;
          continue;
        } else if (n === '{') {
          if (atStart) out += '\\{';
          else {
            const [src, next] = interval(p, i, '\\}');
            out += src;
            i = next;
          }
        } else out += atStart ? lit(n) : n;
        atStart = false;
        continue;
      }
      if (/[1-9]/.test(n)) out += `\\${n}`;
      else if (n === '<') out += '\\b(?=\\w)';
      else if (n === '>') out += '\\b(?<=\\w)';
      else if ('wWsSbB'.includes(n)) out += `\\${n}`;
      else if (n === '`') out += '^';
      else if (n === "'") out += '$';
      else out += lit(n);
      atStart = false;
      continue;
    }
    if (ch === '[') {
      const [src, next] = bracket(p, i);
      out += src;
      i = next;
      atStart = false;
      continue;
    }
    if (ch === '.') {
      out += '[^\\n]';
      i++;
      atStart = false;
      continue;
    }
    if (ch === '^') {
      // an anchor at the start of the pattern or a group (always in ERE); else literal in BRE
      out += extended || atStart ? '^' : '\\^';
      i++;
      continue;
    }
    if (ch === '$') {
      const rest = p.slice(i + 1);
      const atEnd = rest === '' || (!extended && (rest.startsWith('\\)') || rest.startsWith('\\|'))) || (extended && /^[)|]/.test(rest));
      out += extended || atEnd ? '$' : '\\$';
      i++;
      atStart = false;
      continue;
    }
    if (ch === '*') {
      out += atStart ? '\\*' : '*';
      i++;
      continue;
    }
    if (extended) {
      if (ch === '(') {
        out += '(';
        groups++;
        i++;
        atStart = true;
        continue;
      }
      if (ch === ')') {
        if (groups === 0) {
          out += '\\)';
        } else {
          groups--;
          out += ')';
        }
        i++;
        atStart = false;
        continue;
      }
      if (ch === '|') {
        out += '|';
        i++;
        atStart = true;
        continue;
      }
      if (ch === '+' || ch === '?') {
        out += atStart ? lit(ch) : ch;
        i++;
        continue;
      }
      if (ch === '{') {
        if (atStart || !/^\{\d*(,\d*)?\}/.test(p.slice(i))) {
          out += '\\{';
          i++;
        } else {
          const [src, next] = interval(p, i + 1, '}');
          out += src;
          i = next;
        }
        continue;
      }
    }
    out += lit(ch);
    i++;
    atStart = false;
  }
  if (groups > 0) throw new JootError('EINVAL', `grep: unmatched ${extended ? '(' : '\\('} in the pattern`);
  return out;
}

/** The RegExp for a pattern under the options (throws a one-line JootError for a bad one). */
export function compilePattern(pattern: string, opts: GrepOptions): RegExp {
  if (pattern.includes('\0')) throw new JootError('EINVAL', 'grep: the pattern contains a NUL byte');
  let src: string;
  if (opts.syntax === 'fixed') {
    // fgrep: each line of the pattern is a fixed string; any of them matches
    src = pattern
      .split('\n')
      .map((l) => [...bytesToMatchString(Buffer.from(l, 'utf8'))].map(lit).join(''))
      .join('|');
  } else {
    // grep -e PATTERN with newlines: each line is a pattern of its own
    src = pattern
      .split('\n')
      .map((l) => posixToRegExp(l, opts.syntax === 'extended'))
      .map((s) => `(?:${s})`)
      .join('|');
  }
  try {
    return new RegExp(src, opts.insensitive ? 'i' : '');
  } catch (e) {
    throw new JootError('EINVAL', `grep: invalid pattern: ${(e as Error).message.replace(/^Invalid regular expression: /, '')}`);
  }
}

/** The byte stream of the file, gunzipped for zgrep when it starts with the gzip magic. */
async function* chunks(reader: GuestFileReader, guestPath: string, compressed: boolean): AsyncGenerator<Buffer> {
  const fh = await openGuestFile(reader, guestPath);
  try {
    const head = Buffer.alloc(6);
    const { bytesRead } = await fh.read(head, 0, head.length, 0);
    const magic = head.subarray(0, bytesRead);
    if (compressed && (magic.subarray(0, 3).equals(Buffer.from('BZh')) || magic.equals(XZ_MAGIC))) {
      throw new JootError(
        'EUNSUPPORTED',
        `${guestPath}: only gzip-compressed files can be searched (this is ${magic[0] === 0x42 ? 'bzip2' : 'xz'})`,
      );
    }
    const { pipeline, Readable } = nodeStream();
    const raw = Readable.from(handleChunks(fh, 256 * 1024));
    const src: AsyncIterable<Buffer> =
      compressed && magic[0] === 0x1f && magic[1] === 0x8b ? pipeline(raw, nodeZlib().createGunzip(), () => undefined) : raw;
    try {
      for await (const c of src) yield c;
    } catch (e) {
      if (e instanceof JootError) throw e;
      const code = (e as { code?: string }).code ?? '';
      if (code.startsWith('Z_')) throw new JootError('EINVAL', `${guestPath}: corrupt gzip data`, { cause: e });
      throw fsError(e, guestPath);
    }
  } finally {
    await fh.close().catch(() => undefined);
  }
}

/**
 * The lines of a guest file that match, each with its "\n", as raw bytes; `emit` gets them in
 * batches (so a huge file is never held whole). Returns the number of matching lines.
 */
export async function grepFile(
  reader: GuestFileReader,
  guestPath: string,
  pattern: string,
  opts: GrepOptions,
  emit: (data: Buffer) => Promise<void>,
): Promise<number> {
  const re = compilePattern(pattern, opts);
  let count = 0;
  let batch: Buffer[] = [];
  let batchBytes = 0;
  const line = async (bytes: Buffer) => {
    if (!re.test(bytesToMatchString(bytes))) return;
    count++;
    batch.push(bytes, NL);
    batchBytes += bytes.length + 1;
    if (batchBytes >= 256 * 1024) await flush();
  };
  const flush = async () => {
    if (batch.length) await emit(Buffer.concat(batch));
    batch = [];
    batchBytes = 0;
  };
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  for await (const buf of chunks(reader, guestPath, opts.compressed === true)) {
    let start = 0;
    for (let i = buf.indexOf(0x0a); i !== -1; i = buf.indexOf(0x0a, start)) {
      pending.push(buf.subarray(start, i));
      await line(pending.length === 1 ? Buffer.from(pending[0]!) : Buffer.concat(pending));
      pending = [];
      pendingBytes = 0;
      start = i + 1;
    }
    if (start < buf.length) {
      pending.push(Buffer.from(buf.subarray(start)));
      pendingBytes += buf.length - start;
      if (pendingBytes > MAX_LINE_BYTES) throw new JootError('EINVAL', `${guestPath}: a line is longer than ${MAX_LINE_BYTES} bytes`);
    }
  }
  if (pending.length) await line(Buffer.concat(pending));
  await flush();
  return count;
}

const NL = Buffer.from('\n');
/** One line is held whole to match it: longer ones are refused rather than filling memory. */
const MAX_LINE_BYTES = 64 * 1024 * 1024;
