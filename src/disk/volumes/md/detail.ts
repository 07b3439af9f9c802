// guestfish md-detail's answer: libguestfs runs `mdadm -D --export DEV` and keeps each
// KEY=VALUE with "MD_" cut off and the key lower-cased. mdadm prints MD_LEVEL, MD_DEVICES,
// MD_METADATA, MD_UUID, MD_DEVNAME (the /dev/md/ link it made), MD_NAME (1.x only), then for
// each member MD_DEVICE_dev_<name>_ROLE and _DEV in the order it reads the array's sysfs
// directory /sys/block/mdN/md/dev-*: kernfs lists a directory in the order of its name hash.
import { levelName } from './levels.js';
import type { MdSuperblock } from './superblock.js';

const M64 = (1n << 64n) - 1n;
const GOLDEN_RATIO_64 = 0x61c8864680b583ebn;

/** kernfs_name_hash (fs/kernfs/dir.c) of a name without a namespace, on a 64-bit kernel. */
export function kernfsNameHash(name: string): number {
  let h = 0n;
  for (const c of Buffer.from(name, 'latin1')) h = ((h + (BigInt(c) << 4n) + (BigInt(c) >> 4n)) * 11n) & M64;
  let r = Number((((h * GOLDEN_RATIO_64) & M64) >> 32n) & 0x7fffffffn);
  if (r < 2) r += 2;
  if (r >= 0x7fffffff) r = 0x7ffffffe;
  return r;
}

/** `/dev/md/NAME` as mdadm names a 1.x array: the name part after "homehost:". */
export function shortName(sb: MdSuperblock): string {
  const i = sb.arrayName.indexOf(':');
  return i < 0 ? sb.arrayName : sb.arrayName.slice(i + 1);
}

/**
 * md-detail for an array named `name` (/dev/md127) whose link under /dev/md/ is `devname`,
 * with `members[role]` the device in that role (undefined: missing).
 */
export function mdDetail(devname: string, sb: MdSuperblock, members: (string | undefined)[]): [string, string][] {
  const out: [string, string][] = [
    ['level', levelName(sb.level)],
    ['devices', String(sb.raidDisks)],
    ['metadata', sb.metadata],
    ['uuid', sb.uuid],
    ['devname', devname],
  ];
  if (sb.metadata !== '0.90') {
    const nl = sb.arrayName.indexOf('\n');
    const n = nl < 0 ? sb.arrayName : sb.arrayName.slice(0, nl);
    if (n !== '') out.push(['name', n]);
  }
  const present = members.flatMap((dev, role) => (dev === undefined ? [] : [{ dev, role, base: dev.replace(/^\/dev\//, '') }]));
  present.sort((a, b) => kernfsNameHash(`dev-${a.base}`) - kernfsNameHash(`dev-${b.base}`) || (a.base < b.base ? -1 : 1));
  for (const m of present) {
    const key = `dev_${m.base.replace(/[^A-Za-z0-9]/g, '_')}`.toLowerCase();
    out.push([`device_${key}_role`, String(m.role)]);
    out.push([`device_${key}_dev`, m.dev]);
  }
  return out;
}
