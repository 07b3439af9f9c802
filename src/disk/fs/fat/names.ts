// Directory entry names: VFAT long-name slots (UTF-16, with the checksum of their 8.3 alias) and
// 8.3 short names (code page 437, shown in lower case where the NT case bits say so, as Linux
// does). A name a directory may not hold ('', '.', '..', '/' or NUL inside) is undefined.

/** Code page 437, bytes 0x80-0xff (Linux's nls_cp437; 0xff is a no-break space). */
const CP437_HIGH =
  'ÇüéâäàåçêëèïîìÄÅÉæÆôöòûùÿÖÜ¢£¥₧ƒáíóúñÑªº¿⌐¬½¼¡«»░▒▓│┤╡╢╖╕╣║╗╝╜╛┐└┴┬├─┼╞╟╚╔╩╦╠═╬╧╨╤╥╙╘╒╓╫╪┘┌█▄▌▐▀αßΓπΣσµτΦΘΩδ∞φε∩≡±≥≤⌠⌡÷≈°∙·√ⁿ²■\u00a0';
/** upper-case bytes of cp437 with a lower-case byte (Linux's charset2lower above 0x7f) */
const CP437_LOWER = new Map([
  [0x80, 0x87],
  [0x8e, 0x84],
  [0x8f, 0x86],
  [0x90, 0x82],
  [0x92, 0x91],
  [0x99, 0x94],
  [0x9a, 0x81],
  [0xa5, 0xa4],
]);

function cp437(bytes: Uint8Array, lower: boolean): string {
  let s = '';
  for (let b of bytes) {
    if (lower) {
      if (b >= 0x41 && b <= 0x5a) b += 0x20;
      else b = CP437_LOWER.get(b) ?? b;
    }
    s += b < 0x80 ? String.fromCharCode(b) : CP437_HIGH[b - 0x80]!;
  }
  return s;
}

export function validName(name: string): boolean {
  return name !== '' && name !== '.' && name !== '..' && !name.includes('/') && !name.includes('\0');
}

/** The 8.3 name of a 32-byte entry as Linux shows it (or undefined when unusable). */
export function shortName(e: Buffer): string | undefined {
  const raw = Uint8Array.from(e.subarray(0, 11));
  if (raw[0] === 0x05) raw[0] = 0xe5; // 0x05 stands for a leading 0xe5 byte
  const trim = (b: Uint8Array): Uint8Array => {
    let n = b.length;
    while (n > 0 && b[n - 1] === 0x20) n--;
    return b.subarray(0, n);
  };
  const base = trim(raw.subarray(0, 8));
  const ext = trim(raw.subarray(8, 11));
  const lcase = e[12]!;
  const name = cp437(base, (lcase & 0x08) !== 0) + (ext.length ? `.${cp437(ext, (lcase & 0x10) !== 0)}` : '');
  return validName(name) ? name : undefined;
}

/** The checksum of an 8.3 name that its long-name slots carry. */
export function shortChecksum(e: Buffer): number {
  let sum = 0;
  for (let i = 0; i < 11; i++) sum = ((((sum & 1) << 7) | (sum >> 1)) + e[i]!) & 0xff;
  return sum;
}

/** The 13 UTF-16 units of one long-name slot. */
export function slotUnits(e: Buffer): number[] {
  const out: number[] = [];
  for (const [from, to] of [
    [1, 11],
    [14, 26],
    [28, 32],
  ] as const) {
    for (let i = from; i < to; i += 2) out.push(e.readUInt16LE(i));
  }
  return out;
}

/** A long name from its UTF-16 units (up to the first NUL), or undefined when unusable. */
export function longName(units: number[]): string | undefined {
  const end = units.indexOf(0);
  const used = end < 0 ? units : units.slice(0, end);
  if (used.length === 0 || used.length > 255) return undefined;
  const name = Buffer.from(Uint16Array.from(used).buffer).toString('utf16le');
  return validName(name) ? name : undefined;
}

/** The key a case-insensitive lookup compares (upper case, one UTF-16 unit for one). */
export function foldKey(name: string): string {
  let s = '';
  for (const ch of name) {
    const u = ch.toUpperCase();
    s += u.length === ch.length ? u : ch;
  }
  return s;
}
