// The up-case table: exFAT's own case mapping for names (lookups compare up-cased names). On
// disk it is compressed: 0xffff followed by a count skips that many identity-mapped characters.

/** largest up-case table read (a full uncompressed table is 128 KiB) */
export const MAX_UPCASE_BYTES = 256 * 1024;

export function tableChecksum(data: Buffer): number {
  let sum = 0;
  for (const b of data) sum = ((sum >>> 1) | ((sum & 1) << 31)) + b;
  return sum >>> 0;
}

/** The map of a table (only the characters it changes). */
export function decodeUpcase(data: Buffer): Map<number, number> {
  const map = new Map<number, number>();
  let ch = 0;
  for (let i = 0; i + 1 < data.length && ch <= 0xffff; i += 2) {
    const v = data.readUInt16LE(i);
    if (v === 0xffff && i + 3 < data.length) {
      ch += data.readUInt16LE(i + 2);
      i += 2;
      continue;
    }
    if (v !== ch) map.set(ch, v);
    ch++;
  }
  return map;
}

/** The key a case-insensitive lookup compares: every UTF-16 unit up-cased by the table. */
export function upcaseKey(name: string, table: Map<number, number>): string {
  let s = '';
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    s += String.fromCharCode(table.get(c) ?? c);
  }
  return s;
}
