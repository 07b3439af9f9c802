// What `jwinreg IMAGE KEY [VALUE]` prints.
import {
  REG_DWORD, REG_DWORD_BIG_ENDIAN, REG_EXPAND_SZ, REG_LINK, REG_MULTI_SZ, REG_QWORD, REG_SZ,
  decodeMultiString, decodeString, exportRegText, type HiveNode, type HiveValue,
} from '../../hive/index.js';

/** A value's data as virt-win-reg prints it: text, decimal numbers, lines, or the raw bytes. */
export function valueOutput(v: HiveValue): Buffer {
  const d = v.data;
  switch (v.type) {
    case REG_SZ:
    case REG_EXPAND_SZ:
    case REG_LINK:
      return Buffer.from(`${decodeString(d)}\n`);
    case REG_DWORD:
      if (d.length === 4) return Buffer.from(`${d.readUInt32LE(0)}\n`);
      break;
    case REG_DWORD_BIG_ENDIAN:
      if (d.length === 4) return Buffer.from(`${d.readUInt32BE(0)}\n`);
      break;
    case REG_QWORD:
      if (d.length === 8) return Buffer.from(`${d.readBigUInt64LE(0)}\n`);
      break;
    case REG_MULTI_SZ:
      return Buffer.from(decodeMultiString(d).map((s) => `${s}\n`).join(''));
    default:
      break;
  }
  return d;
}

/** The key and its subtree as .reg sections (no header line, LF line ends). */
export function keyOutput(node: HiveNode, prefix: string): string {
  const text = exportRegText(node, prefix).replace(/\r\n/g, '\n');
  return text.slice(text.indexOf('\n\n') + 2);
}
