// Export a key and everything below it as a .reg file the way regedit writes one:
// "Windows Registry Editor Version 5.00", CRLF, UTF-16LE with a BOM, hex data wrapped at
// 80 columns. Data that a "string" or dword: form cannot carry exactly goes out as hex(N).
import { JootError } from '../core/errors.js';
import { REG_BINARY, REG_DWORD, REG_SZ } from './format.js';
import type { HiveNode } from './node.js';
import type { HiveValue } from './value.js';
import { decodeString, encodeString } from './value.js';

function escapeRegString(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
}

function hexData(head: string, data: Buffer): string {
  let out = head;
  let col = head.length;
  for (let i = 0; i < data.length; i++) {
    out += data[i]!.toString(16).padStart(2, '0');
    if (i === data.length - 1) break;
    out += ',';
    col += 3;
    // regedit breaks after the comma that takes a line past 76 columns.
    if (col > 76) {
      out += '\\\r\n  ';
      col = 2;
    }
  }
  return out;
}

function valueLine(v: HiveValue): string {
  const name = v.name === '' ? '@' : `"${escapeRegString(v.name)}"`;
  const type = v.type;
  const data = v.data;
  if (type === REG_SZ) {
    const s = decodeString(data);
    if (!/[\r\n]/.test(s) && encodeString(s).equals(data)) return `${name}="${escapeRegString(s)}"`;
  }
  if (type === REG_DWORD && data.length === 4) return `${name}=dword:${data.readUInt32LE(0).toString(16).padStart(8, '0')}`;
  return hexData(`${name}=${type === REG_BINARY ? 'hex' : `hex(${type.toString(16)})`}:`, data);
}

/** The .reg text (CRLF line ends) for `node` and its subtree, keys named under `prefix`. */
export function exportRegText(node: HiveNode, prefix: string): string {
  const out = ['Windows Registry Editor Version 5.00', ''];
  const pre = prefix.replace(/\\+$/, '');
  // Depth first, subkeys in list (sorted) order; the walk itself refuses loops.
  const stack: HiveNode[] = [node];
  const seen = new Set<number>();
  while (stack.length) {
    const n = stack.pop()!;
    if (seen.has(n.offset)) throw new JootError('EFORMAT', 'hive: a key appears twice in the tree (a loop)');
    seen.add(n.offset);
    const rel = n.path();
    const full = [pre, rel].filter((s) => s !== '').join('\\');
    out.push(`[${full}]`);
    for (const v of n.values()) out.push(valueLine(v));
    out.push('');
    stack.push(...n.children().reverse());
  }
  return `${out.join('\r\n')}\r\n`;
}

/** The .reg file bytes as regedit saves them: UTF-16LE with a byte-order mark. */
export function exportReg(node: HiveNode, prefix: string): Buffer {
  return regFileBytes(exportRegText(node, prefix));
}

/** .reg text as regedit's file bytes (UTF-16LE with a byte-order mark). */
export function regFileBytes(text: string): Buffer {
  return Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
}
