// What `jwinreg IMAGE KEY [VALUE]` prints.
import {
  REG_DWORD,
  REG_DWORD_BIG_ENDIAN,
  REG_EXPAND_SZ,
  REG_LINK,
  REG_MULTI_SZ,
  REG_QWORD,
  REG_SZ,
  decodeMultiString,
  decodeString,
  exportRegText,
  type HiveNode,
  type HiveValue,
} from '../../hive/index.js';

/**
 * A value's data as virt-win-reg prints it: text, decimal numbers, lines (guest text: escaped on
 * a terminal), or the raw bytes (content: exact).
 */
export function valueOutput(v: HiveValue): { lines: string[] } | { bytes: Buffer } {
  const d = v.data;
  switch (v.type) {
    case REG_SZ:
    case REG_EXPAND_SZ:
    case REG_LINK:
      return { lines: [decodeString(d)] };
    case REG_DWORD:
      if (d.length === 4) return { lines: [String(d.readUInt32LE(0))] };
      break;
    case REG_DWORD_BIG_ENDIAN:
      if (d.length === 4) return { lines: [String(d.readUInt32BE(0))] };
      break;
    case REG_QWORD:
      if (d.length === 8) return { lines: [String(d.readBigUInt64LE(0))] };
      break;
    case REG_MULTI_SZ:
      return { lines: decodeMultiString(d) };
    default:
      break;
  }
  return { bytes: d };
}

/** The key and its subtree as .reg sections (no header line, LF line ends). */
export function keyOutput(node: HiveNode, prefix: string): string {
  const text = exportRegText(node, prefix).replace(/\r\n/g, '\n');
  return text.slice(text.indexOf('\n\n') + 2);
}
