// The guest's md array names: its /etc/mdadm.conf (or /etc/mdadm/mdadm.conf) ARRAY lines, and
// how a name the guest's fstab uses (/dev/md0, /dev/md/home) maps to an array of this session.
//
// libguestfs (daemon/inspect_fs_unix_fstab.ml, map_md_devices) reads the ARRAY lines of both
// files through augeas, maps each ARRAY's device name to the appliance's array of the same UUID,
// and uses that map only for fstab specs of the form /dev/mdN; anything else is kept verbatim.
// joot keeps the session's own names everywhere (list-md-devices, md-detail, list-filesystems
// say /dev/md127 as the appliance does) and maps the guest's names in fstab only, a little
// further than libguestfs (decisions):
// - /dev/md/NAME in fstab maps through mdadm.conf too (mdadm makes that link for ARRAY
//   /dev/md/NAME), and without an ARRAY line to the array whose own name (the 1.x superblock
//   name without "homehost:", md-detail's devname) is NAME, as the guest's udev links it;
// - /dev/md/N and /dev/mdN are one name (mdadm makes both for a numbered array);
// - /dev/mdN with no ARRAY line: the array the session itself names /dev/mdN (a 0.90 array at its
//   own minor, or the number the appliance gave it), as libguestfs's verbatim spec would mount.
// virt-inspector 1.48 on md-a/b/c plus a root whose mdadm.conf has `ARRAY /dev/md0 UUID=<r5>` and
// `ARRAY /dev/md/home UUID=<r1>` printed /srv/raid5 on /dev/md126 (its name for r5 that boot),
// /home on "/dev/md/home" (verbatim; its mount then failed: no such device in the appliance) and
// /srv/raid10 on "/dev/md/r10" (verbatim; a udev link there). joot prints the session's names for
// all three.
// Guest text is hostile: bounded input, bounded entries, no throw.

/** ARRAY lines looked at; the rest are ignored. */
const MAX_ARRAYS = 1024;
/** The text looked at (the caller reads at most this much). */
export const MDADM_CONF_CAP = 256 * 1024;

export interface MdConfArray {
  /** the device name, canonical (see mdKey): '/dev/md0', '/dev/md/home' */
  device: string;
  /** 32 lower-case hex digits */
  uuid: string;
}

/** mdadm's parse_uuid: 32 hex digits, with ':', '.', ' ' or '-' anywhere between them. */
export function normalizeMdUuid(text: string): string | undefined {
  if (text.length > 64 || !/^[0-9a-fA-F:. -]+$/.test(text)) return undefined;
  const hex = text.replace(/[:. -]/g, '').toLowerCase();
  return hex.length === 32 ? hex : undefined;
}

/** One spelling per array name: /dev/md/7 is /dev/md7; a bare NAME is /dev/md/NAME (mdadm's rule
 *  for ARRAY names not under /dev/). undefined: not an md name. */
export function mdKey(name: string): string | undefined {
  let m: RegExpExecArray | null;
  if ((m = /^\/dev\/md\/?(\d+)$/.exec(name))) return `/dev/md${Number(m[1])}`;
  if ((m = /^\/dev\/md\/([^/]+)$/.exec(name))) return `/dev/md/${m[1]}`;
  if (name.startsWith('/')) return undefined;
  return /^[^/\s]+$/.test(name) ? mdKey(`/dev/md/${name}`) : undefined;
}

/** mdadm's keyword match: a case-insensitive prefix of the keyword, at least 3 letters. */
function isArrayKeyword(word: string): boolean {
  return word.length >= 3 && 'array'.startsWith(word.toLowerCase());
}

/** The ARRAY lines of mdadm.conf text (continuation lines start with white space). */
export function parseMdadmConf(text: string): MdConfArray[] {
  const out: MdConfArray[] = [];
  const lines = text.slice(0, MDADM_CONF_CAP).split('\n');
  // join continuation lines onto the line they continue
  const logical: string[] = [];
  for (const raw of lines) {
    const line = raw.replace(/#.*$/, '');
    if (/^\s/.test(line) && logical.length > 0) logical[logical.length - 1] += ` ${line}`;
    else logical.push(line);
  }
  for (const line of logical) {
    if (out.length >= MAX_ARRAYS) break;
    const words = line.trim().split(/\s+/).map(unquote);
    if (!isArrayKeyword(words[0] ?? '')) continue;
    let device: string | undefined;
    let uuid: string | undefined;
    for (const w of words.slice(1)) {
      const eq = w.indexOf('=');
      if (eq < 0) {
        device ??= w;
        continue;
      }
      if (w.slice(0, eq).toLowerCase() === 'uuid') uuid = normalizeMdUuid(w.slice(eq + 1));
    }
    const key = device === undefined ? undefined : mdKey(device);
    if (key && uuid) out.push({ device: key, uuid });
  }
  return out;
}

function unquote(w: string): string {
  return w.length >= 2 && w.startsWith('"') && w.endsWith('"') ? w.slice(1, -1) : w;
}

/** An array of the session, as fstab resolution needs it. */
export interface MdArrayModel {
  /** the session's name: /dev/md127 */
  name: string;
  /** as md-detail prints it */
  uuid: string;
  /** md-detail's devname: the /dev/md/ link name mdadm gives it (1.x name, or a 0.90 minor) */
  devname?: string;
  /** md-detail's name: the whole 1.x superblock name (HOMEHOST:NAME) */
  superblockName?: string;
}

export type MdResolution = { ok: true; device: string } | { ok: false; reason: string };

/** ARRAY lines by device name (the first line of a name counts, as in mdadm), for lookups. */
export function confByDevice(conf: readonly MdConfArray[]): Map<string, string> {
  const m = new Map<string, string>();
  for (const c of conf) if (!m.has(c.device)) m.set(c.device, c.uuid);
  return m;
}

/** The session's array a guest name (/dev/md0, /dev/md/home) means, given the guest's ARRAY
 *  lines (confByDevice). */
export function resolveMdName(spec: string, arrays: readonly MdArrayModel[], conf: ReadonlyMap<string, string>): MdResolution {
  const key = mdKey(spec);
  if (!key) return { ok: false, reason: 'not an md device name' };
  const uuid = conf.get(key);
  if (uuid !== undefined) {
    const a = arrays.find((x) => normalizeMdUuid(x.uuid) === uuid);
    return a
      ? { ok: true, device: a.name }
      : { ok: false, reason: `mdadm.conf names it as the array of UUID ${uuid}, which is not among this session's arrays` };
  }
  const own = arrays.filter((a) => a.devname !== undefined && mdKey(`/dev/md/${a.devname}`) === key);
  if (own.length === 1) return { ok: true, device: (own[0] as MdArrayModel).name };
  const same = arrays.find((a) => mdKey(a.name) === key);
  if (same) return { ok: true, device: same.name };
  if (own.length > 1) return { ok: false, reason: `${own.length} arrays are named ${key.replace(/^\/dev\/md\//, '')}` };
  return { ok: false, reason: arrays.length === 0 ? 'no md array was found on the disks' : 'no md array of this session has that name' };
}
