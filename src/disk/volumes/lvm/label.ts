// The on-disk part of an LVM2 PV (lib/label/label.c, lib/format_text/layout.h): the label
// ("LABELONE" in one of the first four sectors), the PV header behind it (uuid, device size, the
// data areas and the metadata areas), and each metadata area: a one-sector header and a
// circular buffer holding the VG text, located by its first raw_locn. Every number read here
// is checked against the device before it is used; all little-endian.
import { JootError } from '../../../core/errors.js';
import type { ByteSource } from '../../source.js';
import { lvmCrc } from './crc.js';

const SECTOR = 512;
/** the label is looked for in sectors 0–3 (LABEL_SCAN_SECTORS) */
const LABEL_SCAN_SECTORS = 4;
const LABEL_ID = 'LABELONE';
const LABEL_TYPE = 'LVM2 001';
/** " LVM2 x[5A%r0N*>": FMTT_MAGIC */
const MDA_MAGIC = Buffer.from(' LVM2 x[5A%r0N*>', 'latin1');
const MDA_HEADER_SIZE = 512;
const RAW_LOCN_IGNORED = 1;
/**
 * Largest VG text read. LVM writes the whole text into one metadata area, which is at most a
 * few MiB in practice (pvcreate's default is 1 MiB); a larger claim is refused before reading.
 */
export const MAX_METADATA_TEXT = 16 * 1024 * 1024;
/** metadata areas looked at per PV (LVM makes at most two) */
const MAX_MDAS = 8;

export interface DiskArea {
  /** bytes from the start of the device */
  offset: number;
  /** bytes; 0 for a data area means "to the end of the device" */
  size: number;
}

export interface PvLabel {
  /** sector of the label (0–3) */
  sector: number;
  /** the PV uuid as LVM prints it (6-4-4-4-4-4-6) */
  uuid: string;
  /** device size recorded by pvcreate, bytes */
  deviceSize: number;
  dataAreas: DiskArea[];
  metadataAreas: DiskArea[];
}

/** One copy of the VG text, as found in one metadata area. */
export interface MetadataCopy {
  /** the metadata area's offset on the device */
  mdaOffset: number;
  text: string;
}

const fail = (dev: string, what: string): JootError => new JootError('EFORMAT', `${dev}: LVM ${what}`);

/** The 32 characters of an LVM id, printed with dashes as LVM prints them. */
export function formatLvmId(raw: string): string {
  return `${raw.slice(0, 6)}-${raw.slice(6, 10)}-${raw.slice(10, 14)}-${raw.slice(14, 18)}-${raw.slice(18, 22)}-${raw.slice(22, 26)}-${raw.slice(26)}`;
}

const ID_CHARS = /^[A-Za-z0-9!#]{32}$/;

function u64(b: Buffer, off: number, dev: string, what: string): number {
  const v = b.readBigUInt64LE(off);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw fail(dev, `${what} is too large (${v})`);
  return Number(v);
}

/** Whether `head` (the first 2 KiB of a device) carries an LVM2 label: the cheap test. */
export function hasLvmLabel(head: Buffer): boolean {
  for (let s = 0; s < LABEL_SCAN_SECTORS; s++) {
    const off = s * SECTOR;
    if (off + SECTOR > head.length) break;
    if (head.toString('latin1', off, off + 8) === LABEL_ID && head.toString('latin1', off + 24, off + 32) === LABEL_TYPE) return true;
  }
  return false;
}

/** The bytes a label scan reads: the first four sectors (fewer on a tiny device). */
export function labelScanLength(size: number): number {
  return Math.min(size, LABEL_SCAN_SECTORS * SECTOR);
}

/**
 * The label and PV header on `src`, or undefined when it carries no LVM2 label. A label that is
 * there but broken (bad checksum, areas outside the device) is an EFORMAT error.
 */
/** `dev`: the device's name in errors (the canonical guest name; a whole disk's source is named by its host file). */
export async function readPvLabel(src: ByteSource, head?: Buffer, dev = src.name): Promise<PvLabel | undefined> {
  const buf = head ?? (await src.read(0, labelScanLength(src.size)));
  for (let s = 0; s < LABEL_SCAN_SECTORS && (s + 1) * SECTOR <= buf.length; s++) {
    const sec = buf.subarray(s * SECTOR, (s + 1) * SECTOR);
    if (sec.toString('latin1', 0, 8) !== LABEL_ID) continue;
    if (sec.toString('latin1', 24, 32) !== LABEL_TYPE) continue;
    const sectorXl = sec.readBigUInt64LE(8);
    if (sectorXl !== BigInt(s)) throw fail(dev, `label in sector ${s} says it is in sector ${sectorXl}`);
    const crc = sec.readUInt32LE(16);
    if (lvmCrc(sec.subarray(20)) !== crc) throw fail(dev, `label in sector ${s} has a bad checksum`);
    const hdrOff = sec.readUInt32LE(20);
    // the PV header (32-byte uuid, size, then two zero-terminated lists of 16-byte entries)
    // must lie inside the label sector
    if (hdrOff < 32 || hdrOff + 40 > SECTOR) throw fail(dev, `label in sector ${s}: PV header offset ${hdrOff} is outside the sector`);
    const rawId = sec.toString('latin1', hdrOff, hdrOff + 32);
    if (!ID_CHARS.test(rawId)) throw fail(dev, 'PV header: the PV uuid is not an LVM id');
    const deviceSize = u64(sec, hdrOff + 32, dev, 'PV header device size');
    const lists: DiskArea[][] = [[], []];
    let off = hdrOff + 40;
    for (const list of lists) {
      for (;;) {
        if (off + 16 > SECTOR) throw fail(dev, 'PV header: its area lists do not end inside the label sector');
        const offset = u64(sec, off, dev, 'PV header area offset');
        const size = u64(sec, off + 8, dev, 'PV header area size');
        off += 16;
        if (offset === 0) break;
        list.push({ offset, size });
      }
    }
    const [dataAreas, metadataAreas] = lists as [DiskArea[], DiskArea[]];
    for (const a of metadataAreas) {
      if (a.offset + a.size > src.size || a.size < MDA_HEADER_SIZE * 2) {
        throw fail(dev, `PV header: metadata area at ${a.offset} (size ${a.size}) does not fit the device (size ${src.size})`);
      }
    }
    if (metadataAreas.length > MAX_MDAS) throw fail(dev, `PV header: ${metadataAreas.length} metadata areas`);
    for (const a of dataAreas) {
      if (a.offset > src.size) throw fail(dev, `PV header: data area at ${a.offset} is past the end of the device (size ${src.size})`);
    }
    return { sector: s, uuid: formatLvmId(rawId), deviceSize, dataAreas, metadataAreas };
  }
  return undefined;
}

/**
 * The current VG text of one metadata area, or undefined when the area holds none (an orphan
 * PV, or an area LVM marked as ignored). Errors (bad header, bad checksum) are EFORMAT.
 */
export async function readMetadataArea(src: ByteSource, area: DiskArea, dev = src.name): Promise<MetadataCopy | undefined> {
  const where = `metadata area at ${area.offset}`;
  const h = await src.read(area.offset, MDA_HEADER_SIZE);
  if (lvmCrc(h.subarray(4)) !== h.readUInt32LE(0)) throw fail(dev, `${where}: header has a bad checksum`);
  if (!h.subarray(4, 20).equals(MDA_MAGIC)) throw fail(dev, `${where}: header has no metadata magic`);
  const version = h.readUInt32LE(20);
  if (version !== 1) throw fail(dev, `${where}: header version ${version} is not 1`);
  const start = u64(h, 24, dev, `${where}: start`);
  const size = u64(h, 32, dev, `${where}: size`);
  if (start !== area.offset) throw fail(dev, `${where}: header says it starts at ${start}`);
  if (size !== area.size) throw fail(dev, `${where}: header says its size is ${size}, the PV header ${area.size}`);
  // raw_locns[0] is the committed metadata; the others (precommitted) are not current
  const offset = u64(h, 40, dev, `${where}: metadata offset`);
  const length = u64(h, 48, dev, `${where}: metadata size`);
  const checksum = h.readUInt32LE(56);
  const flags = h.readUInt32LE(60);
  if (offset === 0 && length === 0) return undefined;
  if (flags & RAW_LOCN_IGNORED) return undefined;
  const ring = size - MDA_HEADER_SIZE;
  if (offset < MDA_HEADER_SIZE || offset >= size) throw fail(dev, `${where}: metadata offset ${offset} is outside the area (size ${size})`);
  if (length === 0 || length > ring) throw fail(dev, `${where}: metadata size ${length} does not fit the area (size ${size})`);
  if (length > MAX_METADATA_TEXT) throw fail(dev, `${where}: metadata size ${length} is over the limit of ${MAX_METADATA_TEXT} bytes`);
  // a circular buffer: what does not fit before the end of the area continues after its header
  const first = Math.min(length, size - offset);
  const parts = [await src.read(area.offset + offset, first)];
  if (first < length) parts.push(await src.read(area.offset + MDA_HEADER_SIZE, length - first));
  const text = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
  if (lvmCrc(text) !== checksum) throw fail(dev, `${where}: the VG metadata has a bad checksum`);
  const nul = text.indexOf(0);
  return { mdaOffset: area.offset, text: text.toString('utf8', 0, nul < 0 ? text.length : nul) };
}
