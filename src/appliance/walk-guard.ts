// Every recursive walk over a guest tree (find, find0, du, tar-out, cpio-out, checksums-out,
// copy-out, copy-in, cp -r, rm -r, mv, glob's **, setfiles) lists each directory through a
// WalkGuard, so that what a guest's metadata says cannot make the walk endless or exponential:
// a directory that holds itself (a FAT entry given an ancestor's cluster, an ext4 directory
// hard link made with debugfs) would be walked forever, and directories reached by two links
// each (one such pair per level) are walked 2^depth times. Directories are told apart by
// (st_dev, st_ino): the kernel's own, or the userspace engine's (one device per mount and btrfs
// subvolume; FAT's and exFAT's synthetic inode numbers are the place of the entry in its
// directory's clusters, ISO 9660's the directory's extent, so the same directory reached
// through another entry has the same number one level down at the latest).
//
// A directory met again is an error, not a skip: a filesystem Linux made never has either
// structure (a directory has one parent), so the tree has no true listing to give, and an
// archive or copy that left part of it out would look complete. GNU find and du report such a
// loop and exit non-zero, and guestfish, whose find runs GNU find, fails (setfiles warns and
// goes on, as setfiles(8) does with a directory it cannot read). Met again EMPTY it is
// let through: btrfs shows every nested subvolume a snapshot did not take as the same empty
// directory (inode 2 of the snapshot), and walking it again costs nothing.
import { JootError } from '../core/errors.js';

/** PATH_MAX: no Linux path reaches a directory nested deeper; the kernel engine's own host
 *  paths stop there too (ENAMETOOLONG, a little earlier by the sysroot's length), said alike. */
export const MAX_WALK_PATH_BYTES = 4096;

/** A mounted filesystem, as messages name it: `/dev/sda1 (ext4)`. */
export interface GuestFilesystem {
  /** the device as mounted (its canonical guest name) */
  readonly device: string;
  /** its type, as blkid names it (ext4, vfat, …) */
  readonly type: string;
}

/** What identifies a directory (a host Stats, a NodeStat). */
export interface DirIdentity {
  readonly dev: bigint | number;
  readonly ino: bigint | number;
}

/** A path for a message: a hostile one may be PATH_MAX long. */
function shown(path: string): string {
  return path.length > 200 ? `${path.slice(0, 200)}…` : path;
}

const named = (fs: GuestFilesystem): string => `${fs.device} (${fs.type})`;

/** The one-line error of a walk stopped by the guest's metadata (EFORMAT; guestPath, device). */
function refusal(path: string, message: string, fs: GuestFilesystem | undefined): JootError {
  return new JootError('EFORMAT', `${shown(path)}: ${message}`, { guestPath: path, device: fs?.device });
}

function corrupt(path: string, what: string, fs: GuestFilesystem | undefined): JootError {
  return refusal(path, `${what}: ${fs ? named(fs) : 'the filesystem'} is corrupt`, fs);
}

/** One walk's record of the directories it listed. `filesystemOf` tells the filesystem a guest
 *  path is on, for messages; a host tree (copy-in) has none. */
export class WalkGuard {
  /** `dev:ino` of each directory listed → the path it was listed by */
  private readonly listed = new Map<string, string>();

  constructor(private readonly filesystemOf: (path: string) => GuestFilesystem | undefined = () => undefined) {}

  /** Before a directory is listed: one whose path is longer than PATH_MAX is refused. */
  checkDepth(path: string): void {
    if (Buffer.byteLength(path) > MAX_WALK_PATH_BYTES) throw tooDeepError(path, this.filesystemOf(path));
  }

  /**
   * After a directory was listed (`entries`: how many it holds): a directory this walk listed
   * before by another path is refused (see the module comment). False when it was listed before
   * by this very path (a walk that may come back the same way, as glob's ** does): skip it.
   */
  enter(path: string, id: DirIdentity, entries: number): boolean {
    const key = `${id.dev}:${id.ino}`;
    const first = this.listed.get(key);
    if (first === undefined) {
      this.listed.set(key, path);
      return true;
    }
    if (first === path) return false;
    if (entries === 0) return true;
    const what = path.startsWith(first === '/' ? '/' : `${first}/`)
      ? `file system loop (the same directory as ${shown(first)})`
      : `a second link to the directory ${shown(first)}`;
    throw corrupt(path, what, this.filesystemOf(path));
  }
}

/** A directory nested past PATH_MAX (also the kernel engine's ENAMETOOLONG, whose host paths
 *  are longer by the sysroot's). */
export function tooDeepError(path: string, fs?: GuestFilesystem): JootError {
  return refusal(path, `directories nested past PATH_MAX (${MAX_WALK_PATH_BYTES} bytes)${fs ? ` on ${named(fs)}` : ''}`, fs);
}

/** lstat's ELOOP on a kernel mount: lstat never follows the last name, so it is the kernel
 *  refusing a directory entry that leads to an ancestor of itself (d_splice_alias). */
export function kernelLoopError(path: string, fs?: GuestFilesystem): JootError {
  return corrupt(path, 'file system loop (the kernel refused a directory holding an ancestor of itself)', fs);
}

/** The filesystem holding a canonical guest path: what `mountAt` says of the deepest mount
 *  point on the path. */
export function filesystemAt(path: string, mountAt: (mountpoint: string) => GuestFilesystem | undefined): GuestFilesystem | undefined {
  for (let p = path; ; p = p.slice(0, p.lastIndexOf('/')) || '/') {
    const fs = mountAt(p);
    if (fs !== undefined || p === '/') return fs;
  }
}
