// Facts of the qcow2 format (qemu's docs/interop/qcow2.txt) shared by the overlay writer
// (qcow2-overlay.ts), the header reader of the probe cache (probe-cache.ts) and the reader of
// the names an image's headers hold (image-headers.ts). Big-endian.
export const QCOW2_MAGIC = 0x514649fb; // "QFI\xfb"
/** header extension types */
export const EXT_END = 0;
export const EXT_BACKING_FORMAT = 0xe2792aca;
export const EXT_DATA_FILE = 0x44415441;
/** backing_file_size must not exceed this */
export const MAX_BACKING_NAME = 1023;

export interface Qcow2Extensions {
  backingFormat?: string;
  dataFile?: string;
}

/**
 * The header extensions of a qcow2 header `h` from byte `start` on (the backing format and the
 * external data file name), or undefined when they do not end inside `h` (or within 4096).
 */
export function readQcow2Extensions(h: Buffer, start: number): Qcow2Extensions | undefined {
  const out: Qcow2Extensions = {};
  for (let off = start, n = 0; n <= 4096; n++) {
    if (off + 8 > h.length) return undefined;
    const type = h.readUInt32BE(off);
    const len = h.readUInt32BE(off + 4);
    if (type === EXT_END) return out;
    if (off + 8 + len > h.length) return undefined;
    if (type === EXT_BACKING_FORMAT) out.backingFormat = h.toString('utf8', off + 8, off + 8 + len);
    if (type === EXT_DATA_FILE) out.dataFile = h.toString('utf8', off + 8, off + 8 + len);
    off += 8 + Math.ceil(len / 8) * 8;
  }
  return undefined;
}
