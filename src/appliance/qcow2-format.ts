// Facts of the qcow2 format (qemu's docs/interop/qcow2.txt) shared by the overlay writer
// (qcow2-overlay.ts) and the header reader of the probe cache (probe-cache.ts). Big-endian.
export const QCOW2_MAGIC = 0x514649fb; // "QFI\xfb"
/** header extension types */
export const EXT_END = 0;
export const EXT_BACKING_FORMAT = 0xe2792aca;
export const EXT_DATA_FILE = 0x44415441;
/** backing_file_size must not exceed this */
export const MAX_BACKING_NAME = 1023;
