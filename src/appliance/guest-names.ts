// Guest names (labels, subvolume paths, VG/LV and partition names) are data the guest chose:
// they may hold newlines, ESC, BEL or anything else. The library keeps them exact; the tools
// escape them on a terminal (src/core/escape.ts). A name with control characters that would
// be used as a path or an identifier (a btrfs subvolume) is skipped instead.

// C0 controls, DEL and C1 controls
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

export function hasControlChars(s: string): boolean {
  return CONTROL.test(s);
}
