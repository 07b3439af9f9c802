// Where inspection found a Windows root's SOFTWARE and SYSTEM hives (guest paths as they are on
// the disk, /Windows/System32/config/SOFTWARE), for guestfish's inspect-get-windows-*-hive.
// Kept beside the report, not in it: virt-inspector's report has no such element.
import type { OperatingSystem } from '../types.js';

export interface HivePaths {
  software?: string;
  system?: string;
}

const paths = new WeakMap<OperatingSystem, HivePaths>();

export function rememberHivePaths(os: OperatingSystem, p: HivePaths): void {
  paths.set(os, p);
}

/** The hive paths of an operating system found by inspect (undefined: not Windows). */
export function hivePathsOf(os: OperatingSystem): HivePaths | undefined {
  return paths.get(os);
}

/** The same paths for a copy of the report's entry (its fields reordered). */
export function carryHivePaths(from: OperatingSystem, to: OperatingSystem): OperatingSystem {
  const p = paths.get(from);
  if (p) paths.set(to, p);
  return to;
}
