// What one signature file exports: blkid's idinfo (name, usage, magic strings and where they
// sit) and the final check that fills the values. A prober answers false for "not this type";
// it never throws for bad bytes.
import type { ProbeReader } from './reader.js';
import type { ProbeValues } from './values.js';

export type Usage = 'filesystem' | 'raid' | 'crypto' | 'other';

export interface Magic {
  /** the magic bytes */
  magic: Buffer;
  /** byte offset from the start of the device (blkid's kboff * 1024 + sboff) */
  offset: number;
}

export interface Prober {
  name: string;
  usage: Usage;
  /** blkid's BLKID_IDINFO_TOLERANT: may share a device with another signature */
  tolerant?: boolean;
  /** smallest device this can be on */
  minSize?: number;
  /** when present, one must match (the first that does is passed to probe) */
  magics?: Magic[];
  probe(r: ProbeReader, v: ProbeValues, mag: Magic | undefined): Promise<boolean>;
}

export function magic(text: string | Buffer, offset: number): Magic {
  return { magic: typeof text === 'string' ? Buffer.from(text, 'latin1') : text, offset };
}

/** The first magic that is present on the device (blkid_probe_get_idmag). */
export async function findMagic(r: ProbeReader, magics: Magic[]): Promise<Magic | undefined> {
  for (const m of magics) {
    // blkid reads the whole 1 KiB block holding the magic: near the end of a device a magic
    // whose block is cut short is not seen
    const block = Math.floor(m.offset / 1024) * 1024;
    const b = await r.get(block, 1024);
    const at = m.offset - block;
    if (b?.subarray(at, at + m.magic.length).equals(m.magic)) return m;
  }
  return undefined;
}

/** blkid's "tiny" device (a floppy): no RAID probing, first result wins. */
export const TINY_SIZE = 1440 * 1024;
