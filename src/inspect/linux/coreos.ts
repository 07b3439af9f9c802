// Container Linux (CoreOS) and Flatcar: the OS lives in a read-only /usr partition (USR-A or
// USR-B, one active, the other the target of the next update) that no fstab names; the root
// partition holds /etc and state only. Facts from libguestfs (daemon/inspect_fs.ml, inspect.ml,
// inspect_fs_unix.ml):
// - a CoreOS root: /etc, /root, /home and /usr directories and /etc/coreos/update.conf;
// - a CoreOS /usr: /bin, /share, /local and /share/coreos directories; its version from
//   /lib/os-release, else /share/coreos/lsb-release;
// - of several such /usr filesystems the one with the highest version is the OS (libguestfs
//   compares major.minor; here every dotted number, so 1911.3.1 beats 1911.3.0); on a tie the
//   later one in the filesystem list wins, as libguestfs's stable sort of its reversed list gives;
// - that /usr is mounted on /usr, and the OS facts are read with it there.
// Flatcar (the continuation of Container Linux) names the same files /etc/flatcar/update.conf
// and /usr/share/flatcar; both spellings are accepted.
import type { GuestFiles } from '../types.js';
import { parseLsbRelease } from './lsb-release.js';
import { parseOsRelease, readSmallText } from './os-release.js';

const BRANDS = ['coreos', 'flatcar'];

async function isDir(files: GuestFiles, p: string): Promise<boolean> {
  return files.isDir(p).catch(() => false);
}
async function isFile(files: GuestFiles, p: string): Promise<boolean> {
  return files.isFile(p).catch(() => false);
}

/** The filesystem mounted at "/" is a Container Linux / Flatcar root. */
export async function isCoreosRoot(files: GuestFiles): Promise<boolean> {
  for (const d of ['/etc', '/root', '/home', '/usr']) if (!(await isDir(files, d))) return false;
  for (const b of BRANDS) if (await isFile(files, `/etc/${b}/update.conf`)) return true;
  return false;
}

/** The filesystem mounted at "/" is a Container Linux / Flatcar /usr (shape only). */
export async function isCoreosUsr(files: GuestFiles): Promise<boolean> {
  for (const d of ['/bin', '/share', '/local']) if (!(await isDir(files, d))) return false;
  for (const b of BRANDS) if (await isDir(files, `/share/${b}`)) return true;
  return false;
}

/** Dotted numbers of a version string ("1911.3.0" → [1911, 3, 0]); at most 8, each capped. */
export function versionNumbers(v: string): number[] {
  const m = /^[0-9]+(?:\.[0-9]+)*/.exec(v.trim());
  if (!m) return [];
  return m[0]
    .split('.')
    .slice(0, 8)
    .map((n) => Math.min(Number(n.slice(0, 9)), 999_999_999));
}

export function compareVersions(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** The version of a CoreOS /usr mounted at "/": os-release VERSION_ID, else lsb-release
 *  DISTRIB_RELEASE; undefined when this is not a CoreOS /usr. */
export async function coreosUsrVersion(files: GuestFiles): Promise<number[] | undefined> {
  if (!(await isCoreosUsr(files))) return undefined;
  const osr = await readSmallText(files, '/lib/os-release');
  const vid = osr !== undefined ? parseOsRelease(osr)['VERSION_ID'] : undefined;
  if (vid !== undefined) return versionNumbers(vid);
  for (const b of BRANDS) {
    const lsb = await readSmallText(files, `/share/${b}/lsb-release`);
    const rel = lsb !== undefined ? parseLsbRelease(lsb)['DISTRIB_RELEASE'] : undefined;
    if (rel !== undefined) return versionNumbers(rel);
  }
  return [];
}

/** The active /usr of candidates in filesystem-list order: the highest version, the later on a tie. */
export function newestUsr<T extends { version: readonly number[] }>(cands: readonly T[]): T | undefined {
  let best: T | undefined;
  for (const c of cands) if (!best || compareVersions(c.version, best.version) >= 0) best = c;
  return best;
}
