// What `blkid -p` says about a device, computed from its bytes: blkid's superblock chain (every
// known signature in blkid's order; a RAID or crypto signature wins at once; two filesystem
// signatures are ambivalent and give nothing) followed by its partition table chain.
// Reads only superblock areas, through a bounded reader; bad bytes never throw (that signature
// is simply absent); a read error of the source itself does.
import { JootError } from '../../core/errors.js';
import type { ByteSource } from '../source.js';
import type { Probe } from '../types.js';
import { exportEscape, type PartEntry, partEntryPairs } from './export-format.js';
import { probers } from './order.js';
import { probePartitionTable, type PtResult } from './partition-table.js';
import { findMagic, TINY_SIZE } from './prober.js';
import { ProbeReader } from './reader.js';
import { ProbeValues } from './values.js';

export type { PartEntry } from './export-format.js';
export { parseBlkidUdev } from './udev.js';

interface Found {
  values: ProbeValues;
  raid: boolean;
}

export interface ProbeResult {
  /** NAME and raw value bytes, in blkid's order */
  values: [string, Buffer][];
  /** more than one filesystem signature: blkid -p refuses the device */
  ambivalent: boolean;
}

/** All of blkid's low-level answers for a device. */
export async function probeValues(src: ByteSource): Promise<ProbeResult> {
  const r = new ProbeReader(src);
  let pt: PtResult | undefined | null = null;
  const table = async (): Promise<PtResult | undefined> => {
    if (pt === null) pt = await probePartitionTable(r);
    return pt;
  };
  // md 0.90 at the end of an image file whose last partition ends there belongs to the partition
  const covered = async (start: number, length: number): Promise<boolean> =>
    ((await table())?.parts ?? []).some((p) => p.start <= start && start + length <= p.start + p.size);

  const tiny = src.size <= TINY_SIZE;
  // blkid's superblocks_safeprobe, step by step
  let first: Found | undefined;
  let current: Found | undefined;
  let count = 0;
  let intolerant = 0;
  if (src.size > 1024) {
    for (const p of probers(covered)) {
      if (p.minSize && p.minSize > src.size) continue;
      if (p.usage === 'raid' && tiny) continue;
      const mag = p.magics ? await findMagic(r, p.magics) : undefined;
      if (p.magics && !mag) continue;
      const v = new ProbeValues();
      if (!(await p.probe(r, v, mag))) continue;
      v.set('TYPE', p.name);
      v.set('USAGE', p.usage);
      current = { values: v, raid: p.usage === 'raid' };
      if (tiny && count === 0) {
        first = current;
        count = 1;
        break;
      }
      count++;
      // the first RAID or crypto signature ends the search
      if (p.usage === 'raid' || p.usage === 'crypto') break;
      if (!p.tolerant) intolerant++;
      if (count === 1) first = current;
    }
  }
  if (count > 1 && intolerant) return { values: [], ambivalent: true };
  const chosen = first ?? current;
  const values = chosen ? [...chosen.values.list] : [];
  // a RAID member's partition table is the array's, seen through the member: ignored
  if (!chosen?.raid) {
    const t = await table();
    if (t) {
      if (t.uuid) values.push(['PTUUID', Buffer.from(t.uuid)]);
      values.push(['PTTYPE', Buffer.from(t.type)]);
    }
  }
  return { values, ambivalent: false };
}

/** The udev fields blkid -p gives for a device, decoded; `{}` when there is no signature. */
export async function probe(src: ByteSource): Promise<Probe> {
  const { values } = await probeValues(src);
  const get = (k: string): string | undefined => {
    const v = values.find(([n]) => n === k)?.[1];
    return v ? v.toString('utf8') : undefined;
  };
  const out: Probe = {};
  const set = <K extends keyof Probe>(k: K, v: string | undefined): void => {
    if (v !== undefined && v !== '') out[k] = v;
  };
  set('type', get('TYPE'));
  set('label', get('LABEL'));
  set('uuid', get('UUID'));
  set('uuidSub', get('UUID_SUB'));
  set('ptType', get('PTTYPE'));
  set('usage', get('USAGE'));
  set('version', get('VERSION'));
  return out;
}

/**
 * Exactly the NAME=value pairs `blkid -p -o export` prints for the device (DEVNAME and
 * PART_ENTRY_DISK left out), values escaped as blkid escapes them. `partEntry`: the device's
 * entry in its disk's partition table, for the PART_ENTRY_* fields. A device blkid refuses
 * (two filesystem signatures) is an EFORMAT error, as blkid fails there.
 */
export async function probeExport(src: ByteSource, partEntry?: PartEntry): Promise<[string, string][]> {
  const { values, ambivalent } = await probeValues(src);
  if (ambivalent) {
    throw new JootError(
      'EFORMAT',
      `${src.name}: ambivalent result (probably more filesystems on the device, use wipefs(8) to see more details)`,
    );
  }
  const all = partEntry ? [...values, ...partEntryPairs(partEntry)] : values;
  return all.map(([k, v]) => [k, exportEscape(v)]);
}
