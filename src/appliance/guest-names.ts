// Guest names (labels, subvolume paths, VG/LV and partition names) are data the guest chose:
// they may hold newlines, ESC, BEL or anything else. Control characters are never shown raw.

// C0 controls, DEL and C1 controls
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const CONTROLS = /[\u0000-\u001f\u007f-\u009f]/g;

export function hasControlChars(s: string): boolean {
  return CONTROL.test(s);
}

/** `s` with each control character written as \e, \n, \t or \xHH (as `ls -b` would). */
export function escapeControls(s: string): string {
  return s.replace(CONTROLS, (c) => {
    switch (c) {
      case '\x1b':
        return '\\e';
      case '\n':
        return '\\n';
      case '\t':
        return '\\t';
      default:
        return `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`;
    }
  });
}
