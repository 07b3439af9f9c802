// Partition table detection as blkid -p reports it on a device: PTTYPE (dos, gpt, or PMBR for a
// protective MBR whose GPT is unreadable) and PTUUID. The full tables are parsed elsewhere
// (volumes/); here only what decides blkid's answer: MBR sanity rules, GPT header and entry CRCs.
import { crc32 } from '../crc32.js';
import { ntfs } from './ntfs.js';
import { findMagic } from './prober.js';
import type { ProbeReader } from './reader.js';
import { ProbeValues } from './values.js';
import { fatValid, VFAT_MAGICS } from './vfat.js';

export interface PtResult {
  type: string;
  uuid?: string;
  /** byte ranges of the primary entries, for the md 0.90 "covered by a partition" rule */
  parts: { start: number; size: number }[];
}

const AIX = Buffer.from([0xc9, 0xc2, 0xd4, 0xc1]);

function mbrEntries(s: Buffer): { boot: number; type: number; start: number; size: number }[] {
  return [0, 1, 2, 3].map((i) => {
    const o = 0x1be + i * 16;
    return { boot: s[o]!, type: s[o + 4]!, start: s.readUInt32LE(o + 8), size: s.readUInt32LE(o + 12) };
  });
}

async function probeDos(r: ProbeReader): Promise<PtResult | undefined> {
  const s = await r.get(0, 512);
  if (s?.[510] !== 0x55 || s[511] !== 0xaa) return undefined;
  if (s.subarray(0, 4).equals(AIX)) return undefined;
  const entries = mbrEntries(s);
  if (entries.some((e) => e.boot !== 0 && e.boot !== 0x80)) return undefined;
  if (entries.some((e) => e.type === 0xee)) return undefined;
  // a FAT boot sector also ends in 55 AA
  const mag = await findMagic(r, VFAT_MAGICS);
  if (mag && fatValid(mag, s)) return undefined;
  // and so does an NTFS boot sector
  const ntfsMag = ntfs.magics ? await findMagic(r, ntfs.magics) : undefined;
  if (ntfsMag && (await ntfs.probe(r, new ProbeValues(), ntfsMag))) return undefined;
  const id = s.readUInt32LE(440);
  return {
    type: 'dos',
    uuid: id ? id.toString(16).padStart(8, '0') : undefined,
    parts: entries.filter((e) => e.size).map((e) => ({ start: e.start * 512, size: e.size * 512 })),
  };
}

async function pmbrValid(r: ProbeReader): Promise<boolean> {
  const s = await r.get(0, 512);
  if (s?.[510] !== 0x55 || s[511] !== 0xaa) return false;
  return mbrEntries(s).some((e) => e.type === 0xee);
}

/** A GUID as text (the first three fields are little-endian on disk). */
export function guidString(b: Buffer): string {
  const h = (x: Buffer): string => x.toString('hex');
  const rev = (o: number, n: number): string => h(Buffer.from(b.subarray(o, o + n)).reverse());
  return `${rev(0, 4)}-${rev(4, 2)}-${rev(6, 2)}-${h(b.subarray(8, 10))}-${h(b.subarray(10, 16))}`;
}

async function gptHeader(r: ProbeReader, lba: number, lastLba: number): Promise<PtResult | undefined> {
  const h = await r.get(lba * 512, 512);
  if (h?.toString('latin1', 0, 8) !== 'EFI PART') return undefined;
  const hsize = h.readUInt32LE(12);
  if (hsize < 92 || hsize > 512) return undefined;
  const copy = Buffer.from(h.subarray(0, hsize));
  copy.fill(0, 16, 20);
  if (crc32(copy) !== h.readUInt32LE(16)) return undefined;
  if (h.readBigUInt64LE(24) !== BigInt(lba)) return undefined;
  const first = h.readBigUInt64LE(40);
  const last = h.readBigUInt64LE(48);
  if (last < first || first > BigInt(lastLba) || last > BigInt(lastLba)) return undefined;
  const entriesLba = h.readBigUInt64LE(72);
  const count = h.readUInt32LE(80);
  const esize = h.readUInt32LE(84);
  if (esize !== 128 || count === 0 || entriesLba > BigInt(lastLba)) return undefined;
  const entries = await r.get(Number(entriesLba) * 512, count * esize);
  if (!entries || crc32(entries) !== h.readUInt32LE(88)) return undefined;
  const parts: PtResult['parts'] = [];
  for (let i = 0; i < count; i++) {
    const e = entries.subarray(i * 128, i * 128 + 128);
    if (e.subarray(0, 16).every((b) => b === 0)) continue;
    const s = Number(e.readBigUInt64LE(32));
    const end = Number(e.readBigUInt64LE(40));
    parts.push({ start: s * 512, size: (end - s + 1) * 512 });
  }
  return { type: 'gpt', uuid: guidString(h.subarray(56, 72)), parts };
}

async function probeGpt(r: ProbeReader): Promise<PtResult | undefined> {
  const lastLba = Math.floor(r.size / 512) - 1;
  if (lastLba < 1 || !(await pmbrValid(r))) return undefined;
  return (await gptHeader(r, 1, lastLba)) ?? (await gptHeader(r, lastLba, lastLba));
}

/** blkid's partitions chain in its order: dos, gpt, PMBR (the other, exotic schemes are not probed). */
export async function probePartitionTable(r: ProbeReader): Promise<PtResult | undefined> {
  if (r.size < 1024) return undefined; // blkid reads a table on a device of 1 KiB (an extended partition)
  const dos = await findMagic(r, [{ magic: Buffer.from([0x55, 0xaa]), offset: 510 }]);
  if (dos) {
    const d = await probeDos(r);
    if (d) return d;
  }
  const g = await probeGpt(r);
  if (g) return g;
  if (await pmbrValid(r)) return { type: 'PMBR', parts: [] };
  return undefined;
}
