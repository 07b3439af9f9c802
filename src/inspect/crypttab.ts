// The guest's /etc/crypttab (crypttab(5)): "NAME SOURCE [KEYFILE [OPTIONS]]" lines, NAME being
// what the guest's fstab calls /dev/mapper/NAME once systemd-cryptsetup has opened SOURCE (a
// device path, UUID=, PARTUUID=, LABEL=). Inspection opens LUKS volumes under its own names
// (/dev/mapper/luks-UUID, as libguestfs's inspection does), so a guest name maps through this
// file to the LUKS volume on SOURCE and from there to the session's mapping of it — or, when
// that volume was not opened (no key given), to a warning that names it.
// Guest text is hostile: bounded input, bounded entries, no throw.

/** Text looked at (the caller reads at most this much). */
export const CRYPTTAB_CAP = 256 * 1024;
const MAX_ENTRIES = 1024;

export interface CrypttabEntry {
  name: string;
  /** as written: /dev/sda2, UUID=…, PARTUUID=…, LABEL=… */
  source: string;
}

/** crypttab's fields are whitespace-separated, with octal escapes as in fstab (\040). */
function unescapeOctal(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

export function parseCrypttab(text: string): CrypttabEntry[] {
  const out: CrypttabEntry[] = [];
  for (const raw of text.slice(0, CRYPTTAB_CAP).split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const f = line.split(/[ \t]+/);
    if (f.length < 2 || f[0]!.length > 255) continue;
    out.push({ name: unescapeOctal(f[0]!), source: unescapeOctal(f[1]!) });
    if (out.length >= MAX_ENTRIES) break;
  }
  return out;
}

/** A LUKS volume of the session: the device holding it, its LUKS UUID, and the session's
 *  mapping of it when it was opened. */
export interface LuksVolume {
  device: string;
  uuid: string;
  opened?: string;
}
