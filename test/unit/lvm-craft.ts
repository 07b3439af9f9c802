// Hand-made LVM PVs for the hostile-metadata tests (disk-lvm-hostile.test.ts) and the memory
// test of hostile images (hostile-memory.test.ts): the label, PV header and metadata area as
// pvcreate lays them out, holding VG text the test writes, with valid checksums.
import { lvmCrc } from '../../src/disk/volumes/lvm/crc.js';
import { MiB } from './disk-lvm-helpers.js';

export const SECTOR = 512;
export const MDA_OFFSET = 4096;

/** LVM's id as stored (32 characters), from its printed form. */
const rawId = (id: string): string => id.replace(/-/g, '');

/**
 * A PV as pvcreate lays it out: label in sector 1, PV header with one data area at `peStart`
 * and one metadata area at 4096, the VG text at offset 512 of the area (wrapping when `wrapAt`
 * is given: the text then starts that many bytes before the end of the area).
 */
export function makePv(o: { uuid: string; text?: string; mdaSize?: number; peStart?: number; size?: number; wrapAt?: number }): Buffer {
  const mdaSize = o.mdaSize ?? MiB - MDA_OFFSET;
  const peStart = o.peStart ?? MiB;
  const buf = Buffer.alloc(Math.max(peStart, MDA_OFFSET + mdaSize));
  const lab = buf.subarray(SECTOR, 2 * SECTOR);
  lab.write('LABELONE', 0, 'latin1');
  lab.writeBigUInt64LE(1n, 8);
  lab.writeUInt32LE(32, 20);
  lab.write('LVM2 001', 24, 'latin1');
  lab.write(rawId(o.uuid), 32, 'latin1');
  lab.writeBigUInt64LE(BigInt(o.size ?? 64 * MiB), 64);
  lab.writeBigUInt64LE(BigInt(peStart), 72); // data area
  lab.writeBigUInt64LE(BigInt(MDA_OFFSET), 104); // metadata area (after the data list's terminator)
  lab.writeBigUInt64LE(BigInt(mdaSize), 112);
  lab.writeUInt32LE(lvmCrc(lab.subarray(20)), 16);
  const h = buf.subarray(MDA_OFFSET, MDA_OFFSET + SECTOR);
  h.write(' LVM2 x[5A%r0N*>', 4, 'latin1');
  h.writeUInt32LE(1, 20);
  h.writeBigUInt64LE(BigInt(MDA_OFFSET), 24);
  h.writeBigUInt64LE(BigInt(mdaSize), 32);
  if (o.text !== undefined) {
    const text = Buffer.from(`${o.text}\0`, 'utf8');
    const off = o.wrapAt !== undefined ? mdaSize - o.wrapAt : SECTOR;
    const first = Math.min(text.length, mdaSize - off);
    text.copy(buf, MDA_OFFSET + off, 0, first);
    text.copy(buf, MDA_OFFSET + SECTOR, first);
    h.writeBigUInt64LE(BigInt(off), 40);
    h.writeBigUInt64LE(BigInt(text.length), 48);
    h.writeUInt32LE(lvmCrc(text), 56);
  }
  h.writeUInt32LE(lvmCrc(h.subarray(4)), 0);
  return buf;
}

/** Fix the checksums of the first metadata copy of `buf` after the test changed bytes of it. */
export function fixChecksums(buf: Buffer): void {
  const h = buf.subarray(MDA_OFFSET, MDA_OFFSET + SECTOR);
  const off = Number(h.readBigUInt64LE(40));
  const len = Number(h.readBigUInt64LE(48));
  const size = Number(h.readBigUInt64LE(32));
  if (off >= SECTOR && off + len <= size && MDA_OFFSET + off + len <= buf.length) {
    h.writeUInt32LE(lvmCrc(buf.subarray(MDA_OFFSET + off, MDA_OFFSET + off + len)), 56);
  }
  h.writeUInt32LE(lvmCrc(h.subarray(4)), 0);
}

export const PV0 = 'hostpv-0000-0000-0000-0000-0000-000000';
export const PV1 = 'hostpv-0000-0000-0000-0000-0000-000001';

export function lvText(name: string, body: string, id = 'hostlv-0000-0000-0000-0000-0000-000000'): string {
  return `${name} {\nid = "${id}"\nstatus = ["READ", "WRITE", "VISIBLE"]\nflags = []\nsegment_count = 1\nsegment1 {\n${body}\n}\n}\n`;
}
export const linear = (count: number, pv: string, start: number): string =>
  `start_extent = 0\nextent_count = ${count}\ntype = "striped"\nstripe_count = 1\nstripes = [\n"${pv}", ${start}\n]`;

/** A VG text: two PVs of 16 extents of 1 MiB, and the LVs given. */
export function vgText(lvs: string, o: { vg?: string; extentSize?: string; pvs?: string } = {}): string {
  const pv = (k: string, id: string): string =>
    `${k} {\nid = "${id}"\ndevice = "/dev/x"\nstatus = ["ALLOCATABLE"]\nflags = []\ndev_size = 131072\npe_start = 2048\npe_count = 16\n}\n`;
  return `${o.vg ?? 'hvg'} {\nid = "hostvg-0000-0000-0000-0000-0000-000000"\nseqno = 1\nformat = "lvm2"\nstatus = ["RESIZEABLE", "READ", "WRITE"]\nflags = []\nextent_size = ${o.extentSize ?? '2048'}\nmax_lv = 0\nmax_pv = 0\nmetadata_copies = 0\nphysical_volumes {\n${o.pvs ?? pv('pv0', PV0) + pv('pv1', PV1)}}\nlogical_volumes {\n${lvs}}\n}\ncontents = "Text Format Volume Group"\nversion = 1\n`;
}

/** `n` LVs of one zero extent each, lv0…lv(n-1), for vgText (an area of 4 MiB holds 10,000). */
export function manyLvs(n: number): string {
  let lvs = '';
  for (let i = 0; i < n; i++)
    lvs += lvText(
      `lv${i}`,
      'start_extent = 0\nextent_count = 1\ntype = "zero"',
      `hostlv-0000-0000-0000-0000-0000-${String(i).padStart(6, '0')}`,
    );
  return lvs;
}
