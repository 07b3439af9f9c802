// The ordered NAME=value list one probe builds, with blkid's rules for turning superblock bytes
// into values: labels end at the first NUL and lose trailing whitespace, an all-zero UUID is no
// UUID, UTF-16 labels are re-encoded as UTF-8. The order of the list is the order blkid prints.

/** C isspace() in the C locale. */
function isSpace(b: number): boolean {
  return b === 0x20 || (b >= 0x09 && b <= 0x0d);
}

/** The bytes up to the first NUL (a C string). */
export function cString(buf: Buffer): Buffer {
  const nul = buf.indexOf(0);
  return nul < 0 ? buf : buf.subarray(0, nul);
}

function rtrim(buf: Buffer): Buffer {
  let end = buf.length;
  while (end > 0 && isSpace(buf[end - 1]!)) end--;
  return buf.subarray(0, end);
}

function ltrim(buf: Buffer): Buffer {
  let start = 0;
  while (start < buf.length && isSpace(buf[start]!)) start++;
  return buf.subarray(start);
}

export function isZero(buf: Buffer): boolean {
  for (const b of buf) if (b !== 0) return false;
  return true;
}

/** DCE UUID text, lower case, as blkid_unparse_uuid prints it. */
export function uuidString(b: Buffer): string {
  const h = b.subarray(0, 16).toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** UTF-16 (LE or BE) to UTF-8 the way ul_encode_to_utf8 does: stops at a NUL code unit. */
export function utf16ToUtf8(src: Buffer, bigEndian: boolean): Buffer {
  const out: number[] = [];
  for (let i = 0; i + 1 < src.length; i += 2) {
    const c = bigEndian ? (src[i]! << 8) | src[i + 1]! : src[i]! | (src[i + 1]! << 8);
    if (c === 0) break;
    // code units are encoded one by one (surrogates are not joined), as libblkid does
    if (c < 0x80) out.push(c);
    else if (c < 0x800) out.push(0xc0 | (c >> 6), 0x80 | (c & 0x3f));
    else out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f));
  }
  return Buffer.from(out);
}

export class ProbeValues {
  readonly list: [string, Buffer][] = [];

  /** Replace or append (blkid assigns a value in place when the name is already set). */
  set(name: string, value: Buffer | string): void {
    const v = typeof value === 'string' ? Buffer.from(value, 'utf8') : cString(value);
    const i = this.list.findIndex(([n]) => n === name);
    if (i >= 0) this.list.splice(i, 1);
    this.list.push([name, v]);
  }

  get(name: string): Buffer | undefined {
    return this.list.find(([n]) => n === name)?.[1];
  }

  /** blkid_probe_set_label: C string, trailing whitespace trimmed, empty means none. */
  label(raw: Buffer, name = 'LABEL'): void {
    const v = rtrim(cString(raw));
    if (v.length > 0) this.set(name, Buffer.from(v));
  }

  /** blkid_probe_set_id_label: trimmed on both sides. */
  idLabel(name: string, raw: Buffer): void {
    const v = ltrim(rtrim(cString(raw)));
    if (v.length > 0) this.set(name, Buffer.from(v));
  }

  /** blkid_probe_set_utf8label from UTF-16. */
  utf16Label(raw: Buffer, bigEndian: boolean): void {
    const v = rtrim(cString(utf16ToUtf8(raw, bigEndian)));
    if (v.length > 0) this.set('LABEL', Buffer.from(v));
  }

  /** blkid_probe_set_utf8_id_label from UTF-16BE: trimmed on both sides. */
  idUtf16Label(name: string, raw: Buffer): void {
    const v = ltrim(rtrim(cString(utf16ToUtf8(raw, true))));
    if (v.length > 0) this.set(name, Buffer.from(v));
  }

  /** blkid_probe_set_uuid_as: 16 raw bytes, nothing when all zero. */
  uuid(raw: Buffer, name = 'UUID'): void {
    if (!isZero(raw.subarray(0, 16))) this.set(name, uuidString(raw));
  }

  /** blkid_probe_sprintf_uuid: the text is given; nothing when the raw bytes are all zero. */
  uuidText(raw: Buffer, text: string): void {
    if (!isZero(raw)) this.set('UUID', text);
  }

  /** blkid_probe_strncpy_uuid: a UUID stored as text. */
  uuidString(raw: Buffer): void {
    const v = rtrim(cString(raw));
    if (v.length > 0) this.set('UUID', Buffer.from(v));
  }
}
