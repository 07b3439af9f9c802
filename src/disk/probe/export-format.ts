// How `blkid -o export` prints a value (safe_print: bytes >= 128 as M-x, control characters as
// ^X, and a backslash before space and shell metacharacters), and the PART_ENTRY_* fields it
// prints for a partition.
export function exportEscape(value: Buffer): string {
  let out = '';
  for (let ch of value) {
    if (ch >= 128) {
      out += 'M-';
      ch -= 128;
    }
    if (ch < 32 || ch === 0x7f) {
      out += '^';
      ch ^= 0x40;
    } else if (' \\"\'$`<>'.includes(String.fromCharCode(ch))) out += '\\';
    out += String.fromCharCode(ch);
  }
  return out;
}

/** A partition's entry in its table, as the volume parser found it. */
export interface PartEntry {
  /** 'dos' | 'gpt' */
  scheme: string;
  number: number;
  /** byte offset and size inside the disk */
  offset: number;
  size: number;
  /** MBR type byte (0x83 or '0x83') or GPT type GUID */
  type: string | number;
  uuid?: string;
  /** GPT partition name */
  name?: string;
  /** MBR boot flag (0x80) or GPT attribute bits */
  flags?: number | bigint;
  /** MBR disk id, for the dos partition UUID when `uuid` is not given */
  diskId?: number | string;
}

/** PART_ENTRY_* in blkid's order (PART_ENTRY_DISK, a host device number, is left out). */
export function partEntryPairs(p: PartEntry): [string, Buffer][] {
  const out: [string, Buffer][] = [];
  const add = (k: string, v: string): void => {
    out.push([k, Buffer.from(v, 'utf8')]);
  };
  add('PART_ENTRY_SCHEME', p.scheme);
  if (p.name) add('PART_ENTRY_NAME', p.name);
  let uuid = p.uuid;
  if (!uuid && p.scheme === 'dos' && p.diskId !== undefined) {
    const id = typeof p.diskId === 'number' ? p.diskId : Number.parseInt(p.diskId.replace(/^0x/i, ''), 16);
    if (id) uuid = `${id.toString(16).padStart(8, '0')}-${p.number.toString(16).padStart(2, '0')}`;
  }
  if (uuid) add('PART_ENTRY_UUID', uuid.toLowerCase());
  if (typeof p.type === 'number') add('PART_ENTRY_TYPE', `0x${p.type.toString(16)}`);
  else if (/^(0x)?[0-9a-f]{1,2}$/i.test(p.type))
    add('PART_ENTRY_TYPE', `0x${Number.parseInt(p.type.replace(/^0x/i, ''), 16).toString(16)}`);
  else add('PART_ENTRY_TYPE', p.type.toLowerCase());
  if (p.flags) add('PART_ENTRY_FLAGS', `0x${p.flags.toString(16)}`);
  add('PART_ENTRY_NUMBER', String(p.number));
  add('PART_ENTRY_OFFSET', String(Math.floor(p.offset / 512)));
  add('PART_ENTRY_SIZE', String(Math.floor(p.size / 512)));
  return out;
}
