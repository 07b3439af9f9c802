// Key and value names: stored "compressed" (one byte per character, Latin-1, flag bit set) when
// every UTF-16 code unit fits in a byte, else UTF-16LE. Windows compares names case-insensitively
// by uppercasing each UTF-16 code unit (RtlUpcaseUnicodeChar), which the sort order of subkey
// lists and the lh hash both depend on.

const upcaseCache = new Map<number, number>();

/** Windows-style uppercase of one UTF-16 code unit: ASCII fast, else JS's simple (1:1) mapping. */
export function upcaseUnit(c: number): number {
  if (c < 0x80) return c >= 0x61 && c <= 0x7a ? c - 0x20 : c;
  let u = upcaseCache.get(c);
  if (u === undefined) {
    const s = String.fromCharCode(c).toUpperCase();
    // Mappings that change length (ß → SS) are not simple case mappings: Windows keeps the char.
    u = s.length === 1 ? s.charCodeAt(0) : c;
    upcaseCache.set(c, u);
  }
  return u;
}

/** The name as Windows compares it. */
export function upcase(name: string): string {
  // Pure-ASCII names (almost all) take the built-in path.
  if (/^[\x00-\x7f]*$/.test(name)) return name.toUpperCase();
  let out = '';
  for (let i = 0; i < name.length; i++) out += String.fromCharCode(upcaseUnit(name.charCodeAt(i)));
  return out;
}

/** Order of subkeys in a list: uppercased names compared by UTF-16 code unit. */
export function compareNames(a: string, b: string): number {
  const ua = upcase(a);
  const ub = upcase(b);
  return ua < ub ? -1 : ua > ub ? 1 : 0;
}

export function namesEqual(a: string, b: string): boolean {
  return a.length === b.length && (a === b || upcase(a) === upcase(b));
}

/** lh leaf hash: H = 37*H + c over the uppercased name's code units, 32-bit. */
export function lhHash(name: string): number {
  let h = 0;
  for (let i = 0; i < name.length; i++) h = (Math.imul(h, 37) + upcaseUnit(name.charCodeAt(i))) >>> 0;
  return h;
}

/** lf leaf hint: the first four characters as bytes (zero when the name is not compressible). */
export function lfHint(name: string): number {
  if (!isCompressible(name)) return 0;
  let h = 0;
  for (let i = 0; i < 4 && i < name.length; i++) h |= name.charCodeAt(i) << (8 * i);
  return h >>> 0;
}

export function isCompressible(name: string): boolean {
  for (let i = 0; i < name.length; i++) if (name.charCodeAt(i) > 0xff) return false;
  return true;
}

/** Encode a name the way Windows stores it; `compressed` says which flag to set. */
export function encodeName(name: string): { bytes: Buffer; compressed: boolean } {
  return isCompressible(name)
    ? { bytes: Buffer.from(name, 'latin1'), compressed: true }
    : { bytes: Buffer.from(name, 'utf16le'), compressed: false };
}

export function decodeName(buf: Buffer, start: number, len: number, compressed: boolean): string {
  return buf.toString(compressed ? 'latin1' : 'utf16le', start, start + (compressed ? len : len & ~1));
}

/** Length in bytes of the name as UTF-16: what the nk "largest name" fields count. */
export function utf16Bytes(name: string): number {
  return name.length * 2;
}
