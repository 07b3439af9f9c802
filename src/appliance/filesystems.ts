// What is on each block device: `blkid -p` (low-level probe, no cache), trusted for a device only
// when it answered for that device (probeDevices),
// and the subvolumes of each btrfs (which needs a short read-only mount to list).
//
// Everything the tools print is guest data: labels and subvolume names may hold newlines, '=' or
// escape sequences. blkid is read in its udev mode (values \xHH-encoded, one per line), and the
// subvolume list is checked against the mounted filesystem, so no name can make up an entry.
import { lstat, mkdir, realpath, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import { run, warn } from '../core/run.js';
import { hasControlChars } from './guest-names.js';
import { parseBlkidUdev } from '../disk/probe/udev.js';
import type { Probe } from '../disk/types.js';

export type { Probe } from '../disk/types.js';
// the decoder moved to the disk layer, where the userspace engine's tests use it too
export { parseBlkidUdev };

export interface ProbeRange {
  /** bytes into the device (an LV inside its PV) */
  offset: number;
  size: number;
}

/**
 * Probe one device (or a byte range of it) on its own: one blkid over several stops at the
 * first device without a signature, and would hide the others.
 */
export async function probeDevice(device: string, range?: ProbeRange): Promise<Probe> {
  const args = ['-p', '-o', 'udev'];
  if (range) args.push('-O', String(range.offset), '-S', String(range.size));
  // exit 2: nothing found; anything else without output: nothing we can use
  const r = await run('blkid', [...args, device], { allowFailure: true });
  return r.exitCode === 0 ? parseBlkidUdev(r.stdout) : {};
}

/** At most this many blkid processes at once. */
const PROBE_PARALLEL = 4;

/**
 * Every device's probe. First one blkid over all of them (one process instead of one each):
 * its answer counts only when blkid says it finished (exit 0) with exactly one block per
 * device — in udev mode values are \xHH-encoded, so no guest string can make a blank line.
 * Otherwise (a device without a signature ends a multi-device blkid, exit 2) each device is
 * asked on its own, so a blank disk never hides the others.
 */
export async function probeDevices(devices: string[]): Promise<Map<string, Probe>> {
  const unique = [...new Set(devices)];
  const out = new Map<string, Probe>();
  if (unique.length === 0) return out;
  if (unique.length > 1) {
    const r = await run('blkid', ['-p', '-o', 'udev', ...unique], { allowFailure: true });
    const blocks = r.stdout.split(/\n\n/).filter((b) => b.trim() !== '');
    if (r.exitCode === 0 && blocks.length === unique.length) {
      for (const [i, d] of unique.entries()) out.set(d, parseBlkidUdev(blocks[i]!));
      return out;
    }
  }
  await mapLimit(unique, PROBE_PARALLEL, async (d) => out.set(d, await probeDevice(d)));
  return out;
}

export async function mapLimit<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

export interface SubvolumeLine {
  id: number;
  topLevel: number;
  path: string;
  /** a line that did not look like an entry followed: the name held a newline */
  continued: boolean;
}

/** `btrfs subvolume list` lines: "ID 256 gen 9 top level 5 path @home" (a name may span lines). */
export function parseSubvolumeList(text: string): SubvolumeLine[] {
  const out: SubvolumeLine[] = [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  for (const l of lines) {
    const m = /^ID (\d+) gen \d+ (?:cgen \d+ )?top level (\d+) (?:parent_uuid \S+ )?path (.*)$/.exec(l);
    if (m) out.push({ id: Number(m[1]), topLevel: Number(m[2]), path: m[3]!.replace(/^<FS_TREE>\//, ''), continued: false });
    else if (out.length) out[out.length - 1]!.continued = true;
  }
  return out;
}

/**
 * Keep only the entries that are what they say. btrfs prints names raw, so a name holding a
 * newline and a made-up "ID … path …" line could add an entry. Every real subvolume gives
 * exactly one line starting with its own ID and name; so an entry is kept only when its ID and
 * its path are each listed once, its path names a subvolume root on the mounted top level
 * (`top`) reached without a symlink, and it holds no control character (skipped, with a warning).
 */
export async function verifySubvolumes(lines: SubvolumeLine[], top: string, what: string): Promise<Map<string, number>> {
  const count = (key: (e: SubvolumeLine) => string | number) => {
    const m = new Map<string | number, number>();
    for (const e of lines) m.set(key(e), (m.get(key(e)) ?? 0) + 1);
    return m;
  };
  const ids = count((e) => e.id);
  const paths = count((e) => e.path);
  const out = new Map<string, number>();
  let skipped = 0;
  for (const e of lines) {
    const ok =
      !e.continued &&
      !hasControlChars(e.path) &&
      e.path !== '' &&
      ids.get(e.id) === 1 &&
      paths.get(e.path) === 1 &&
      e.id > 5 &&
      (await isSubvolumeRoot(top, e.path));
    if (ok) out.set(e.path, e.id);
    else skipped++;
  }
  // counted in lines of the list: a name holding a newline spans several
  if (skipped)
    warn(
      `${what}: skipped ${skipped} btrfs subvolume list entr${skipped === 1 ? 'y' : 'ies'} (a name with control characters, or not matching the filesystem)`,
    );
  return out;
}

async function isSubvolumeRoot(top: string, path: string): Promise<boolean> {
  if (path.split('/').some((c) => c === '' || c === '.' || c === '..')) return false;
  const host = join(top, path);
  try {
    const st = await lstat(host);
    // 256 (BTRFS_FIRST_FREE_OBJECTID) is the inode of every subvolume's root directory, and of
    // nothing else; realpath: no component is a symlink
    return st.isDirectory() && st.ino === 256 && (await realpath(host)) === host;
  } catch {
    return false;
  }
}

/** Options that mount a btrfs's top level read-only for a look, whatever the device allows. */
export const BTRFS_TOP_OPTIONS = 'ro,nosuid,nodev,noexec,subvolid=5,rescue=nologreplay';

/**
 * A btrfs's subvolumes, path → subvolume id, by mounting its top level read-only for a moment.
 * `what` names the device in warnings (canonical name).
 */
/**
 * mount options naming the other member devices of a multi-device btrfs: the kernel assembles it
 * from them without a host-wide `btrfs device scan` (host device names have no comma).
 */
export function btrfsDeviceOptions(others: readonly string[]): string[] {
  return others.map((d) => `device=${d}`);
}

/**
 * After a btrfs's unmount (or failed mount): drop its devices from the kernel's list of
 * registered btrfs devices. A mount of a multi-device btrfs (or of one member of it) registers
 * them, and an entry left there keeps naming a host device the session detaches: a later mount of
 * a filesystem with the same fsid and devid (a copy of the image, a re-made fixture) then meets two
 * devices of one devid. A device still mounted, or never registered, refuses: nothing to do.
 */
export async function forgetBtrfsDevices(devices: readonly string[]): Promise<void> {
  for (const d of devices) {
    await run('btrfs', ['device', 'scan', '--forget', d], { allowFailure: true, shielded: true }).catch(() => undefined);
  }
}

export async function listBtrfsSubvolumes(
  device: string,
  scratch: string,
  what: string,
  others: readonly string[] = [],
): Promise<Map<string, number>> {
  await mkdir(scratch, { recursive: true });
  try {
    // degraded: a multi-device btrfs with a member missing (a disk not given) is listed as the
    // userspace engine lists it, from the copies there are; on a whole filesystem it changes nothing
    const opts = [BTRFS_TOP_OPTIONS, 'degraded', ...btrfsDeviceOptions(others)].join(',');
    try {
      await run('mount', ['-t', 'btrfs', '-o', opts, device, scratch], { shielded: true });
    } catch (e) {
      await forgetBtrfsDevices([device, ...others]);
      throw e;
    }
    try {
      const r = await run('btrfs', ['subvolume', 'list', '-a', scratch]);
      const verified = await verifySubvolumes(parseSubvolumeList(r.stdout), scratch, what);
      return new Map([...verified].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)));
    } finally {
      await run('umount', [scratch], { shielded: true });
      await forgetBtrfsDevices([device, ...others]);
    }
  } finally {
    await rmdir(scratch).catch(() => undefined);
  }
}
