// The GUID partition table: a protective MBR in sector 0, the primary header at LBA 1, the
// backup header at the last LBA (read when the primary is bad, as libblkid and sfdisk do).
// A header counts only when its CRC32, its own LBA, its usable range and its entry array (CRC32
// too) check out; an entry of size other than 128 bytes is refused as libblkid refuses it.
// Entries with a zero type GUID are unused; entries outside the usable range are skipped as
// libblkid skips them (their numbers stay taken).
import { JootError } from '../../core/errors.js';
import type { ByteSource } from '../source.js';
import { crc32 } from '../crc32.js';
import { type PartitionTable, SECTOR, type TableEntry } from './table.js';

const SIGNATURE = 'EFI PART';
const ENTRY_SIZE = 128;
/** Entry arrays larger than this are refused (a normal one is 16 KiB; 1 MiB is 8192 entries). */
export const MAX_ENTRY_BYTES = 1 << 20;

/** A GUID as it is written on disk (first three fields little-endian), in upper case. */
export function formatGuid(b: Buffer, at = 0): string {
  const h = (from: number, to: number) => b.subarray(at + from, at + to).toString('hex');
  const le = (from: number, to: number) =>
    Buffer.from(b.subarray(at + from, at + to))
      .reverse()
      .toString('hex');
  return `${le(0, 4)}-${le(4, 6)}-${le(6, 8)}-${h(8, 10)}-${h(10, 16)}`.toUpperCase();
}

/** Attribute bits in sfdisk's words: bits 0-2 by name, bits 48-63 as GUID:n,m; bits 3-47 are not shown. */
export function formatAttributes(bits: bigint): string {
  const words: string[] = [];
  if (bits & 1n) words.push('RequiredPartition');
  if (bits & 2n) words.push('NoBlockIOProtocol');
  if (bits & 4n) words.push('LegacyBIOSBootable');
  const guid: number[] = [];
  for (let n = 48; n < 64; n++) if ((bits >> BigInt(n)) & 1n) guid.push(n);
  if (guid.length) words.push(`GUID:${guid.join(',')}`);
  return words.join(' ');
}

/** A partition name: UTF-16LE up to the first NUL (surrogate pairs joined, lone ones kept). */
function decodeName(b: Buffer): string {
  let end = 0;
  while (end + 1 < b.length && (b[end] !== 0 || b[end + 1] !== 0)) end += 2;
  return b.subarray(0, end).toString('utf16le');
}

interface Header {
  lba: number;
  firstUsable: number;
  lastUsable: number;
  diskGuid: string;
  entries: Buffer;
  count: number;
}

type HeaderResult = { ok: Header } | { bad: string };

async function readHeader(disk: ByteSource, lba: number, lastLba: number): Promise<HeaderResult> {
  const h = await disk.read(lba * SECTOR, SECTOR);
  if (h.toString('latin1', 0, 8) !== SIGNATURE) return { bad: 'no signature' };
  const hsz = h.readUInt32LE(12);
  if (hsz < 92 || hsz > SECTOR) return { bad: `header size ${hsz}` };
  const copy = Buffer.from(h.subarray(0, hsz));
  copy.writeUInt32LE(0, 16);
  if (crc32(copy) !== h.readUInt32LE(16)) return { bad: 'header checksum mismatch' };
  if (h.readBigUInt64LE(24) !== BigInt(lba)) return { bad: `header says it is at LBA ${h.readBigUInt64LE(24)}` };
  const fu = h.readBigUInt64LE(40);
  const lu = h.readBigUInt64LE(48);
  const last = BigInt(lastLba);
  if (lu < fu || fu > last || lu > last) return { bad: `usable range ${fu}-${lu} does not fit the disk` };
  if (fu < BigInt(lba) && BigInt(lba) < lu) return { bad: 'header inside its usable range' };
  const count = h.readUInt32LE(80);
  const esz = h.readUInt32LE(84);
  if (esz !== ENTRY_SIZE) return { bad: `entry size ${esz} (only ${ENTRY_SIZE} is supported)` };
  if (count === 0) return { bad: 'no entries' };
  const bytes = count * ENTRY_SIZE;
  if (bytes > MAX_ENTRY_BYTES) return { bad: `${count} entries (at most ${MAX_ENTRY_BYTES / ENTRY_SIZE} are read)` };
  const at = h.readBigUInt64LE(72) * BigInt(SECTOR);
  if (at + BigInt(bytes) > BigInt(disk.size)) return { bad: 'entry array outside the disk' };
  const entries = await disk.read(Number(at), bytes);
  if (crc32(entries) !== h.readUInt32LE(88)) return { bad: 'entry array checksum mismatch' };
  return { ok: { lba, firstUsable: Number(fu), lastUsable: Number(lu), diskGuid: formatGuid(h, 56), entries, count } };
}

/** The GPT behind a protective MBR (sector 0 already known to be one); a clean error when none is valid. */
export async function readGpt(disk: ByteSource): Promise<PartitionTable> {
  const corrupt = (why: string) => new JootError('EFORMAT', `${disk.name}: corrupt partition table: GPT ${why}`);
  const lastLba = Math.floor(disk.size / SECTOR) - 1;
  if (lastLba < 2) throw corrupt('protective MBR on a disk too small for a GPT');
  const primary = await readHeader(disk, 1, lastLba);
  let header: Header;
  if ('ok' in primary) header = primary.ok;
  else {
    const backup = await readHeader(disk, lastLba, lastLba);
    if ('ok' in backup) header = backup.ok;
    else {
      if (disk.size >= 4096 + 8 * SECTOR && (await disk.read(4096, 8)).toString('latin1') === SIGNATURE) {
        throw new JootError('EUNSUPPORTED', `${disk.name}: GPT with 4096-byte sectors is not supported`);
      }
      throw corrupt(`protective MBR present but no valid GPT (primary header: ${primary.bad}; backup header: ${backup.bad})`);
    }
  }
  const parts: TableEntry[] = [];
  for (let i = 0; i < header.count; i++) {
    const e = header.entries.subarray(i * ENTRY_SIZE, (i + 1) * ENTRY_SIZE);
    if (e.subarray(0, 16).every((b) => b === 0)) continue;
    const start = e.readBigUInt64LE(32);
    const end = e.readBigUInt64LE(40);
    if (end < start) throw corrupt(`partition ${i + 1} ends (sector ${end}) before it starts (sector ${start})`);
    if (start < BigInt(header.firstUsable) || end > BigInt(header.lastUsable)) continue;
    const p: TableEntry = {
      number: i + 1,
      start: Number(start) * SECTOR,
      size: Number(end - start + 1n) * SECTOR,
      type: formatGuid(e, 0),
      bootable: false,
      uuid: formatGuid(e, 16),
    };
    const name = decodeName(e.subarray(56, 128));
    if (name) p.name = name;
    const bits = e.readBigUInt64LE(48);
    const attrs = formatAttributes(bits);
    if (attrs) p.attrs = attrs;
    if (bits) p.attrBits = bits;
    parts.push(p);
  }
  return {
    scheme: 'gpt',
    id: header.diskGuid,
    firstLba: header.firstUsable,
    lastLba: header.lastUsable,
    sectorSize: SECTOR,
    partitions: parts,
  };
}
