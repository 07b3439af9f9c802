// The public shapes of the appliance layer. Every name a user sees is a canonical guest
// name: /dev/sda, /dev/sda1, /dev/VG/LV, btrfsvol:/dev/sda1/@ — never a host device.

export type { FilesystemInfo, LvInfo, PartitionInfo, PvInfo, VgInfo } from '../disk/types.js';

import type { LuksKey } from '../disk/keys.js';

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
  /**
   * 'kernel' attaches and mounts (root); 'userspace' reads the disks in-process (no root,
   * device-level answers only for now). Default: $JOOT_ENGINE, else kernel for root and
   * userspace for everyone else.
   */
  engine?: 'kernel' | 'userspace';
  /**
   * On the userspace engine, a filesystem no in-process reader reads: 'auto' (default) mounts it
   * read-only through the kernel when running as root, saying so; 'never' refuses it.
   */
  kernelMounts?: 'auto' | 'never';
  /** LUKS keys (--key): volumes they open are opened at launch */
  keys?: readonly LuksKey[];
  /** Asked for each LUKS volume no key matched (--keys-from-stdin) */
  askKey?: (device: string) => Promise<Buffer | undefined>;
  /** backingDirs and backingImages for every drive (added to each drive's own) */
  backingDirs?: string[];
  backingImages?: string[];
  /** Force an attach backend; default: $JOOT_BACKEND, else chosen per host and drive. */
  backend?: BackendName;
  /** Trace external commands to stderr. */
  verbose?: boolean;
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
