// .reg files (regedit's text format), parsed into a list of operations: REGEDIT4 and
// "Windows Registry Editor Version 5.00", UTF-16LE with BOM or UTF-8/ASCII, [KEY], [-KEY],
// "name"="string", @= for the default value, dword:, hex:, hex(N): and "name"=- deletions,
// with hex data continued over lines ending in \.
import { JootError } from '../core/errors.js';
import { REG_BINARY, REG_DWORD, REG_EXPAND_SZ, REG_MULTI_SZ, REG_SZ } from './format.js';

export type RegOp =
  | { op: 'key'; path: string; line: number }
  | { op: 'deleteKey'; path: string; line: number }
  | { op: 'set'; key: string; name: string; type: number; data: Buffer; line: number }
  | { op: 'deleteValue'; key: string; name: string; line: number };

export interface RegFile {
  version: 4 | 5;
  ops: RegOp[];
}

/** Text of a .reg file: UTF-16LE/BE when it has a BOM, else UTF-8 (Latin-1 if not valid UTF-8). */
export function decodeRegText(input: Uint8Array | string): string {
  if (typeof input === 'string') return input.replace(/^\uFEFF/, '');
  const b = Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  if (b[0] === 0xff && b[1] === 0xfe) return b.toString('utf16le', 2);
  if (b[0] === 0xfe && b[1] === 0xff) return Buffer.from(b.subarray(2)).swap16().toString('utf16le');
  const body = b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf ? b.subarray(3) : b;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch {
    return body.toString('latin1');
  }
}

function fail(line: number, msg: string): never {
  throw new JootError('EINVAL', `.reg line ${line}: ${msg}`);
}

/** A quoted string starting at s[i] === '"': its value (\\ and \" unescaped) and the index after it. */
function quoted(s: string, i: number, line: number): { text: string; end: number } {
  let out = '';
  for (let j = i + 1; j < s.length; j++) {
    const c = s[j]!;
    if (c === '"') return { text: out, end: j + 1 };
    if (c === '\\' && j + 1 < s.length) {
      const n = s[++j]!;
      // regedit writes only \\ and \"; anything else is kept as it stands.
      out += n === '\\' || n === '"' ? n : `\\${n}`;
    } else out += c;
  }
  return fail(line, 'unterminated string');
}

function hexBytes(text: string, line: number): Buffer {
  const body = text.replace(/;.*$/, '').replace(/\s+/g, '');
  if (body === '') return Buffer.alloc(0);
  const parts = body.replace(/,$/, '').split(',');
  const out = Buffer.alloc(parts.length);
  parts.forEach((p, k) => {
    if (!/^[0-9a-fA-F]{1,2}$/.test(p)) fail(line, `bad hex byte "${p}"`);
    out[k] = parseInt(p, 16);
  });
  return out;
}

export function parseReg(input: Uint8Array | string): RegFile {
  const lines = decodeRegText(input).split(/\r?\n|\r/);
  let i = 0;
  while (i < lines.length && lines[i]!.trim() === '') i++;
  const header = (lines[i] ?? '').trim();
  const version =
    header === 'REGEDIT4'
      ? 4
      : header === 'Windows Registry Editor Version 5.00'
        ? 5
        : fail(i + 1, `not a .reg file (header "${header.slice(0, 40)}")`);
  const ops: RegOp[] = [];
  let key: string | null = null;
  for (i++; i < lines.length; i++) {
    const lineNo = i + 1;
    const s = lines[i]!.trim();
    if (s === '' || s.startsWith(';')) continue;
    if (s.startsWith('[')) {
      const close = s.lastIndexOf(']');
      if (close < 0) fail(lineNo, 'key line without ]');
      const inner = s.slice(1, close);
      if (inner.startsWith('-')) {
        ops.push({ op: 'deleteKey', path: inner.slice(1), line: lineNo });
        key = null; // values after a deleted key are ignored, as regedit does
      } else {
        ops.push({ op: 'key', path: inner, line: lineNo });
        key = inner;
      }
      continue;
    }
    let name: string;
    let rest: string;
    if (s.startsWith('@')) {
      name = '';
      rest = s.slice(1);
    } else if (s.startsWith('"')) {
      const q = quoted(s, 0, lineNo);
      name = q.text;
      rest = s.slice(q.end);
    } else {
      fail(lineNo, `unexpected "${s.slice(0, 40)}"`);
    }
    rest = rest.trimStart();
    if (!rest.startsWith('=')) fail(lineNo, 'expected = after the value name');
    rest = rest.slice(1).trim();
    // hex data may continue on the following lines.
    if (/^hex(\([0-9a-fA-F]+\))?:/i.test(rest)) {
      while (rest.endsWith('\\') && i + 1 < lines.length) {
        rest = rest.slice(0, -1) + lines[++i]!.trim();
      }
    }
    if (key === null) continue;
    if (rest === '-') {
      ops.push({ op: 'deleteValue', key, name, line: lineNo });
      continue;
    }
    let type: number;
    let data: Buffer;
    let m: RegExpMatchArray | null;
    if (rest.startsWith('"')) {
      const q = quoted(rest, 0, lineNo);
      const after = rest.slice(q.end).trim();
      if (after !== '' && !after.startsWith(';')) fail(lineNo, `unexpected "${after.slice(0, 20)}" after the string`);
      type = REG_SZ;
      data = Buffer.from(`${q.text}\0`, 'utf16le');
    } else if ((m = rest.match(/^dword:\s*([0-9a-fA-F]{1,8})\s*(;.*)?$/i))) {
      type = REG_DWORD;
      data = Buffer.alloc(4);
      data.writeUInt32LE(parseInt(m[1]!, 16));
    } else if ((m = rest.match(/^hex(?:\(([0-9a-fA-F]{1,8})\))?:(.*)$/is))) {
      type = m[1] === undefined ? REG_BINARY : parseInt(m[1], 16);
      data = hexBytes(m[2]!, lineNo);
      // REGEDIT4 wrote expandable and multi strings in the ANSI code page; store them as UTF-16.
      if (version === 4 && (type === REG_EXPAND_SZ || type === REG_MULTI_SZ)) data = Buffer.from(data.toString('latin1'), 'utf16le');
    } else {
      fail(lineNo, `unknown value data "${rest.slice(0, 30)}"`);
    }
    ops.push({ op: 'set', key, name, type, data, line: lineNo });
  }
  return { version, ops };
}
