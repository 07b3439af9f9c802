// The public shapes of the appliance layer. Every name a user sees is a canonical guest
// name: /dev/sda, /dev/sda1, /dev/VG/LV, btrfsvol:/dev/sda1/@ — never a host device.

export type ImageFormat = string; // 'raw' | 'qcow2' | 'vmdk' | 'vdi' | 'vhdx' | 'vpc' | anything qemu opens

export type BackendName = 'nbd' | 'fuse' | 'loop';

export interface DriveOptions {
  /** Skip probing and use this format (never lets a raw image be probed as qcow2). */
  format?: ImageFormat;
  readonly?: boolean;
  /**
   * Library override of the allow-list for paths the image names (named-path.ts): any
   * location, devices and linked files allowed (FIFOs and sockets never). Off by default;
   * no tool sets it.
   */
  allowUnsafeBacking?: boolean;
  /** Directories the image's backing files, data files and extents may lie in, besides its own. */
  backingDirs?: string[];
  /** Image files the image may name wherever they lie (joot's registered images). */
  backingImages?: string[];
  /** Cache the drive's probe in this file (probe-cache.ts; JSON, 0600): a hit runs no `qemu-img`. */
  probeCache?: string;
}

export interface SessionOptions {
  /** backingDirs and backingImages for every drive (added to each drive's own) */
  backingDirs?: string[];
  backingImages?: string[];
  /** Force an attach backend; default: $JOOT_BACKEND, else chosen per host and drive. */
  backend?: BackendName;
  /** Trace external commands to stderr. */
  verbose?: boolean;
}

export interface PartitionInfo {
  /** canonical name, /dev/sda1 */
  name: string;
  /** canonical name of the disk, /dev/sda */
  disk: string;
  number: number;
  /** byte offset and size inside the disk */
  start: number;
  size: number;
  /** 'dos' | 'gpt' */
  scheme: string;
  /** MBR type byte as 0x83, or GPT type GUID */
  type: string;
  uuid?: string;
  label?: string;
  /** MBR extended container (holds logical partitions, no filesystem) */
  extended?: boolean;
}

export interface FilesystemInfo {
  /** canonical mountable name */
  name: string;
  /** blkid type (ext4, xfs, btrfs, swap, vfat, ntfs, LVM2_member, …) or 'unknown' */
  type: string;
  label?: string;
  uuid?: string;
}

export interface PvInfo {
  name: string; // canonical device holding the PV, e.g. /dev/sda2
  vg: string;
  uuid: string;
  size: number;
}
export interface VgInfo {
  name: string;
  uuid: string;
  extentSize: number;
  pvs: string[];
  lvs: string[];
}
export interface LvInfo {
  name: string; // /dev/VG/LV
  vg: string;
  lv: string;
  uuid: string;
  size: number;
  segtype: string;
  /** why it cannot be opened on this host, when it cannot */
  unavailable?: string;
}

export interface MountOptions {
  readonly?: boolean;
  /** extra mount options, comma-separated (as guestfish mount-options) */
  options?: string;
  /** filesystem type; default: probed */
  vfstype?: string;
  /** allow executing guest binaries from this mount (default: noexec) */
  exec?: boolean;
}

export interface MountInfo {
  device: string; // canonical
  mountpoint: string; // guest path
  vfstype: string;
  readonly: boolean;
}

export interface GuestStat {
  mode: number;
  size: number;
  uid: number;
  gid: number;
  mtimeMs: number;
  isFile: boolean;
  isDirectory: boolean;
  isSymbolicLink: boolean;
  ino: number;
  nlink: number;
}
