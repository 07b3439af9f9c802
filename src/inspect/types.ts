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
  warnings: string[];
}

export interface InspectionReport {
  operatingsystems: OperatingSystem[];
}
