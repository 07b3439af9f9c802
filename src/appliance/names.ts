// Canonical guest device names. Drives are /dev/sda, /dev/sdb… in the order they were
// added; partitions /dev/sda1…; LVs /dev/VG/LV; btrfs subvolumes btrfsvol:/dev/sda1/PATH.
// Users may also type /dev/vdX, /dev/hdX, /dev/xvdX and /dev/mapper/VG-LV.
import { JootError } from '../core/errors.js';

export { diskName, driveLetters, partitionName } from '../disk/names.js';

/** /dev/mapper/VG-LV uses doubled dashes for dashes inside the names. */
export function splitMapperName(s: string): { vg: string; lv: string } | undefined {
  const m = /^(.*?[^-])-([^-].*)$/.exec(s.replace(/--/g, '\0'));
  if (!m) return undefined;
  return { vg: m[1]!.replace(/\0/g, '-'), lv: m[2]!.replace(/\0/g, '-') };
}

export interface ParsedBtrfsvol {
  device: string;
  subvol: string;
}

/** btrfsvol:DEVICE/SUBVOL — DEVICE may itself contain slashes (/dev/VG/LV), so match known ones. */
export function parseBtrfsvol(name: string, devices: Iterable<string>): ParsedBtrfsvol | undefined {
  if (!name.startsWith('btrfsvol:')) return undefined;
  const rest = name.slice('btrfsvol:'.length);
  let best: string | undefined;
  for (const d of devices) {
    if (rest.startsWith(`${d}/`) && (!best || d.length > best.length)) best = d;
  }
  if (!best) {
    // unknown device: still normalise an alias spelling like btrfsvol:/dev/vda1/@
    const m = /^(\/dev\/[a-z]+\d+)\/(.+)$/.exec(rest);
    return m ? { device: normalizeDevice(m[1]!), subvol: m[2]! } : undefined;
  }
  return { device: best, subvol: rest.slice(best.length + 1) };
}

/** Map the accepted spellings to the canonical one (does not check existence). */
export function normalizeDevice(name: string): string {
  const alias = /^\/dev\/(?:sd|vd|hd|xvd)([a-z]+)(\d*)$/.exec(name);
  if (alias) return `/dev/sd${alias[1]}${alias[2]}`;
  const mapper = /^\/dev\/mapper\/(.+)$/.exec(name);
  if (mapper) {
    const split = splitMapperName(mapper[1]!);
    if (split) return `/dev/${split.vg}/${split.lv}`;
  }
  return name;
}

export function noSuchDevice(name: string): JootError {
  return new JootError('ENOENT', `${name}: No such device`);
}
