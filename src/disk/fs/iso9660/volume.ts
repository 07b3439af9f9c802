// The volume descriptor set from sector 16: the primary descriptor (block size, size, root
// record), a Joliet supplementary descriptor (UCS-2 names: escape sequence %/@, %/C or %/E) and
// the terminator. Linux scans at most to sector 100; so does this.
import { type DirRecord, parseRecord } from './record.js';

export const SECTOR = 2048;
const FIRST = 16;
const LAST = 100;

export interface Volume {
  blockSize: number;
  /** logical blocks in the volume */
  blocks: number;
  root: DirRecord;
  /** the Joliet root and level, where there is one */
  joliet?: { root: DirRecord; level: number };
  /** High Sierra (CDROM) instead of ISO 9660 */
  highSierra: boolean;
}

export class VolumeError extends Error {}

/** Read the descriptors through `read(offset, length)`. */
export async function readVolume(read: (offset: number, length: number) => Promise<Buffer>, deviceSize: number): Promise<Volume> {
  let primary: Buffer | undefined;
  let joliet: { d: Buffer; level: number } | undefined;
  let highSierra = false;
  for (let s = FIRST; s < LAST && (s + 1) * SECTOR <= deviceSize; s++) {
    const d = await read(s * SECTOR, SECTOR);
    const id = d.toString('latin1', 1, 6);
    if (id === 'CDROM' && d.toString('latin1', 9, 14) === 'CDROM') {
      highSierra = true;
      break;
    }
    if (id !== 'CD001') break;
    const type = d[0]!;
    if (type === 255) break;
    if (type === 1 && !primary) primary = d;
    else if (type === 2 && !joliet) {
      const esc = d.toString('latin1', 88, 91);
      const level = esc === '%/@' ? 1 : esc === '%/C' ? 2 : esc === '%/E' ? 3 : 0;
      if (level) joliet = { d, level };
    }
  }
  if (highSierra) throw new VolumeError('High Sierra volumes are not read');
  if (!primary) throw new VolumeError('no primary volume descriptor in sectors 16-99');
  const blockSize = primary.readUInt16LE(128);
  // Linux refuses blocks smaller than 1024 bytes; 2048 is what every mastering tool writes
  if (blockSize !== 2048 && blockSize !== 1024) throw new VolumeError(`logical block size ${blockSize} is not 1024 or 2048`);
  const root = rootRecord(primary, blockSize, 'primary');
  const vol: Volume = { blockSize, blocks: primary.readUInt32LE(80), root, highSierra };
  if (joliet) {
    const jb = joliet.d.readUInt16LE(128);
    if (jb === blockSize) vol.joliet = { root: rootRecord(joliet.d, blockSize, 'Joliet'), level: joliet.level };
  }
  return vol;
}

function rootRecord(d: Buffer, blockSize: number, which: string): DirRecord {
  const r = parseRecord(d, 156, 0);
  if (!r || d[156] !== 34) throw new VolumeError(`the ${which} descriptor's root directory record is malformed`);
  if (r.size === 0) throw new VolumeError(`the ${which} root directory is empty`);
  void blockSize;
  return r;
}
