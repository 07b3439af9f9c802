// The one shape every in-process filesystem reader answers in (ext2/3/4, xfs, btrfs, FAT,
// exFAT, NTFS, ISO 9660, squashfs): inodes by opaque node, read-only. Path resolution (guest-rooted
// symlinks, `..`, the mount table) is not a reader's job: one layer above does it for all of them.
//
// Everything a reader returns is decoded from hostile guest bytes: names never contain '/' or
// NUL and are never '', '.' or '..' (such entries are dropped as corrupt), every count and depth
// is capped (limits.ts), and a bad structure is a one-line JootError naming the device and the
// filesystem: EFORMAT for malformed metadata, EIO for reads outside the device, EUNSUPPORTED for
// a real feature that is not read (e.g. fscrypt contents).
import type { ByteSource } from '../source.js';

/** An inode as a reader hands it out. Opaque to callers except `ino`; readers attach what they need. */
export interface FsNode {
  /** the inode number the kernel's stat would show (hard links share it) */
  readonly ino: number;
  /**
   * Where one filesystem numbers its inodes in several spaces, the space of this node: a btrfs
   * subvolume (the kernel gives each its own st_dev). Nodes with the same space and `ino` are
   * the same inode; a walk tells directories apart by them.
   */
  readonly space?: bigint;
}

/** File type bits of st_mode (S_IFMT), as Linux has them. */
export const S_IFMT = 0o170000;
export const S_IFSOCK = 0o140000;
export const S_IFLNK = 0o120000;
export const S_IFREG = 0o100000;
export const S_IFBLK = 0o060000;
export const S_IFDIR = 0o040000;
export const S_IFCHR = 0o020000;
export const S_IFIFO = 0o010000;

/** What lstat(2) of a kernel mount of the same filesystem says (read-only mount, default options). */
export interface FsStat {
  ino: number;
  /** st_mode, type bits included */
  mode: number;
  nlink: number;
  uid: number;
  gid: number;
  /** bytes; a symlink's size is its target's length */
  size: number;
  /** nanoseconds since the epoch, as Node's BigIntStats has them */
  mtimeNs: bigint;
  atimeNs?: bigint;
  ctimeNs?: bigint;
  birthtimeNs?: bigint;
  /** 512-byte blocks allocated, where the filesystem says */
  blocks?: number;
  /** device nodes only */
  rdevMajor?: number;
  rdevMinor?: number;
}

export interface FsDirEntry {
  /** the name as Linux's readdir gives it, decoded as UTF-8 (UTF-16 names of FAT/NTFS/Joliet converted) */
  name: string;
  node: FsNode;
}

/** statfs(2) of the filesystem, where the reader can tell. */
export interface FsStatfs {
  bsize: number;
  blocks: number;
  bfree: number;
  bavail: number;
  files: number;
  ffree: number;
}

/** A btrfs subvolume or snapshot (btrfs-subvolume-list). */
export interface FsSubvolume {
  id: number;
  /** path from the top level, without a leading slash (e.g. `@`, `@home/.snapshots/1/snapshot`) */
  path: string;
  parentId: number;
  generation?: number;
  uuid?: string;
}

export interface FileSystemReader {
  /** blkid's TYPE: ext2, ext3, ext4, xfs, btrfs, vfat, exfat, ntfs, iso9660, squashfs */
  readonly type: string;
  /** the canonical guest device name (/dev/sda1), for messages */
  readonly device: string;
  /** set only where the filesystem is not read in-process: 'kernel' for a kernel mount read by name */
  readonly servedBy?: 'kernel';
  /**
   * A filesystem over several devices (btrfs): those of its devices the session lacks, as
   * `device 2 (uuid …)`; absent or empty when it has them all. Read from the copies there are,
   * as a kernel mount with `degraded` reads it.
   */
  readonly missingDevices?: readonly string[];
  /** lookups ignore case (FAT, exFAT, NTFS via $UpCase; ISO 9660 without Rock Ridge is upper-case) */
  readonly caseInsensitive: boolean;
  /**
   * The root directory. btrfs: the default subvolume unless `subvolume` names one by path from
   * the top level or by id (5 = the top level); other filesystems refuse a subvolume.
   */
  root(opts?: { subvolume?: string | number }): Promise<FsNode>;
  stat(node: FsNode): Promise<FsStat>;
  /** Entries without . and .., in the filesystem's own order (callers sort). ENOTDIR for a non-directory. */
  readdir(dir: FsNode): Promise<FsDirEntry[]>;
  /** One name in a directory (case-insensitively where the filesystem is), undefined when absent. */
  lookup(dir: FsNode, name: string): Promise<FsNode | undefined>;
  /**
   * A symlink's target as stored (EINVAL for a non-symlink). `follow`: the resolver is about to
   * walk it, so a target that is only shown, never usable (fscrypt without the key), is an error.
   */
  readlink(node: FsNode, opts?: { follow?: boolean }): Promise<string>;
  /** Up to `length` bytes of a regular file from `offset` (short only at end of file); holes read as zeros. */
  read(node: FsNode, offset: number, length: number): Promise<Buffer>;
  /** Where a reader can, the same bytes straight into out[at...) (no buffer of its own): how many. */
  readInto?(node: FsNode, offset: number, length: number, out: Buffer, at: number): Promise<number>;
  /** Extended attributes as Linux's getfattr names them (user.*, trusted.*, security.selinux, system.posix_acl_access…). */
  listXattrs(node: FsNode): Promise<Map<string, Buffer>>;
  statfs?(): Promise<FsStatfs>;
  /** btrfs only: every subvolume and snapshot. */
  subvolumes?(): Promise<FsSubvolume[]>;
  /** Release caches; the source belongs to the caller. Idempotent. */
  close(): Promise<void>;
}

/** Another block device of the session, as a reader of a filesystem over several devices sees it. */
export interface SiblingDevice {
  /** its canonical guest name (/dev/sdb), for messages */
  device: string;
  source: ByteSource;
}

/** What a reader may ask of the session beyond the device it opens. */
export interface OpenOptions {
  /**
   * The session's other devices on which blkid finds the same filesystem (type and UUID): the
   * other members of a multi-device btrfs. Asked only by a filesystem that says it spans several
   * devices; the reader checks each one's own superblock before it reads from it.
   */
  siblings?: () => Promise<readonly SiblingDevice[]>;
}

/** A reader module: one per filesystem, each detecting itself from its superblock. */
export interface FileSystemModule {
  /** blkid TYPE values this module reads */
  readonly types: readonly string[];
  /**
   * Open the filesystem on `source`; `device` is the canonical guest name for messages. A module
   * imports its reader here, not at the top: a start loads the code of the filesystems it opens only.
   */
  open(source: ByteSource, device: string, opts?: OpenOptions): Promise<FileSystemReader>;
}
