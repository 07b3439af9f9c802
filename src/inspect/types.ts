// The shapes of an inspection report. Field names follow virt-inspector's XML elements
// (snake_case), so scripts can switch from it without a dictionary.

import type { GuestFileReader } from '../appliance/guest-files.js';

/** What inspection code may read: the session's guest file reader (symlinks never leave the
 *  guest), or a test's fake. Without openFile, readChunks falls back to readFile. */
export type GuestFiles = Pick<
  GuestFileReader,
  'readFile' | 'readHead' | 'readText' | 'readLines' | 'readdir' | 'readlink' | 'exists' | 'isFile' | 'isDir'
> &
  Partial<Pick<GuestFileReader, 'openFile'>>;

export interface Application {
  name: string;
  epoch: number;
  version: string;
  release: string;
  arch?: string;
  url?: string;
  source_package?: string;
  summary?: string;
  description?: string;
  /** Windows: the Uninstall key's DisplayName (name is the key's own name) */
  display_name?: string;
  publisher?: string;
  install_path?: string;
  /** the application's primary classification, as libguestfs >= 1.58 gives it: "antivirus" */
  class?: string;
  /**
   * the license the package database records (rpm License, pacman %LICENSE%, apk L:; dpkg's
   * machine-readable copyright file's, with InspectOptions.licenses), as written there
   */
  license?: string;
}

export interface FilesystemEntry {
  device: string;
  type: string;
  label?: string;
  uuid?: string;
}

export interface OperatingSystem {
  root: string;
  name: string; // linux | windows | freebsd | … | unknown
  arch?: string;
  distro?: string;
  product_name?: string;
  product_variant?: string;
  major_version: number;
  minor_version: number;
  build_id?: string;
  package_format?: string;
  package_management?: string;
  hostname?: string;
  osinfo?: string;
  /** windows only */
  windows_systemroot?: string;
  windows_current_control_set?: string;
  /** windows only, present (true) when Group Policy Objects were applied (libguestfs >= 1.58) */
  windows_group_policy?: boolean;
  /** windows only: drive letter ("C") → device, from the SYSTEM hive's MountedDevices */
  drive_mappings?: Record<string, string>;
  /** guest mountpoint → canonical device, sorted as virt-inspector sorts */
  mountpoints: Record<string, string>;
  filesystems: FilesystemEntry[];
  applications?: Application[];
  /** a problem with the package database (never an empty list passed off as "nothing installed") */
  applications_error?: string;
  /** the distribution's logo as libguestfs finds it: PNG bytes in base64 (jinspect --no-icon leaves it out) */
  icon?: string;
  // The optional sections (jinspect --with …): absent unless asked for, so the default report
  // stays virt-inspector's. See src/inspect/sections.
  /** --with kernels: the kernels installed, sorted by version */
  kernels?: Kernel[];
  /** --with kernels: the boot loader's default entry, where its configuration says one */
  default_boot_entry?: BootEntry;
  /** --with services: systemd, sysvinit, openrc, runit, upstart, busybox, s6, dinit */
  init_system?: string;
  /** --with users: the accounts of /etc/passwd (never a password hash), or the SAM hive's */
  users?: User[];
  /** --with network: the network configuration files found and what they configure */
  network?: NetworkConfig[];
  /** --with services: the services enabled at boot */
  services?: Service[];
  warnings: string[];
}

/** An installed kernel: an image in /boot (or /usr/lib/modules/VERSION/vmlinuz), its modules. */
export interface Kernel {
  /** what follows "vmlinuz-" (or the /lib/modules directory's name) */
  version: string;
  /** the kernel image, a guest path */
  vmlinuz?: string;
  /** /lib/modules/VERSION exists */
  modules: boolean;
  /** the default boot entry boots this kernel */
  default?: boolean;
}

export interface BootEntry {
  /** grub.cfg, or the BLS entry file (/boot/loader/entries/…) */
  source: string;
  title?: string;
  /** the kernel image the entry boots, as the entry names it */
  linux?: string;
}

/** Linux: a line of /etc/passwd (name, ids, home, shell) and the groups naming it. Windows: a
 *  SAM account (name, rid). */
export interface User {
  name: string;
  uid?: number;
  gid?: number;
  home?: string;
  shell?: string;
  /** the primary group first, then the others of /etc/group naming this user */
  groups?: string[];
  /** Windows: the account's relative id (500 Administrator, 1000+ local users) */
  rid?: number;
}

export interface NetworkConfig {
  /** the guest path of the configuration file */
  file: string;
  kind: 'ifupdown' | 'networkmanager' | 'netplan' | 'systemd-networkd';
  interfaces: NetworkInterface[];
}

export interface NetworkInterface {
  /** the interface (or the match pattern / connection id where no interface is named) */
  name?: string;
  /** addresses come from DHCP (or IPv6 autoconfiguration) */
  dhcp: boolean;
  /** static addresses, as written (CIDR where the file gives a prefix) */
  addresses: string[];
}

export interface Service {
  /** the unit (ssh.service), the OpenRC/sysv script, or the Windows service key */
  name: string;
  /** what pulls it in: systemd targets (multi-user.target), OpenRC runlevels */
  wanted_by?: string[];
}

export interface InspectionReport {
  operatingsystems: OperatingSystem[];
}
