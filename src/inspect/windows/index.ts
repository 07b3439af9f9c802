// A Windows root's facts, read through the guest-rooted reader with the system volume mounted
// at "/": SOFTWARE (product, version, build, group policy, applications and which of them are
// antivirus), SYSTEM (control set, hostname,
// drive letters), and the PE header of a System32 binary (arch). A hive that cannot be read is a
// warning (and applications_error when the applications were asked for), never a failed run.
import { oneLine } from '../../core/errors.js';
import { osinfoWindows } from '../osinfo.js';
import type { Application, GuestFiles } from '../types.js';
import { driveMappings, type PartitionForMapping } from './drive-mappings.js';
import { classifyAntivirus } from './antivirus.js';
import { hasGroupPolicy } from './group-policy.js';
import type { HivePaths } from './hive-paths.js';
import { configHivePath, openHive } from './hives.js';
import { windowsArch } from './pe.js';
import { softwareFacts, windowsApplications } from './software.js';
import { systemFacts } from './system.js';

export interface WindowsFacts {
  arch?: string;
  distro: 'windows';
  product_name?: string;
  product_variant?: string;
  major_version: number;
  minor_version: number;
  build_id?: string;
  windows_systemroot: string;
  windows_current_control_set?: string;
  windows_group_policy?: boolean;
  hostname?: string;
  osinfo: string;
  drive_mappings?: Record<string, string>;
  applications?: Application[];
  applications_error?: string;
  /** where the hives are (guest paths), when they exist: not part of the report (see hive-paths.ts) */
  hives: HivePaths;
}

export interface WindowsOptions {
  applications: boolean;
  /** the session's partitions, for the drive letters */
  partitions: readonly PartitionForMapping[];
}

export async function windowsFacts(files: GuestFiles, systemroot: string, opts: WindowsOptions, warnings: string[]): Promise<WindowsFacts> {
  const facts: WindowsFacts = {
    distro: 'windows',
    major_version: 0,
    minor_version: 0,
    windows_systemroot: systemroot,
    osinfo: 'unknown',
    hives: {},
  };
  const arch = await windowsArch(files, systemroot);
  if (arch) facts.arch = arch;

  const softwarePath = await configHivePath(files, systemroot, 'SOFTWARE');
  if (softwarePath) facts.hives.software = softwarePath;
  if (!softwarePath) {
    warnings.push(`${systemroot}/System32/config/SOFTWARE: no such hive`);
    if (opts.applications) facts.applications_error = 'no SOFTWARE hive';
  } else {
    try {
      const software = await openHive(files, softwarePath, warnings);
      Object.assign(facts, softwareFacts(software));
      if (hasGroupPolicy(software)) facts.windows_group_policy = true;
      if (opts.applications) facts.applications = classifyAntivirus(windowsApplications(software), software);
    } catch (e) {
      warnings.push(`${softwarePath}: ${oneLine(e)}`);
      if (opts.applications) facts.applications_error = `${softwarePath}: ${oneLine(e)}`;
    }
  }

  const systemPath = await configHivePath(files, systemroot, 'SYSTEM');
  if (systemPath) facts.hives.system = systemPath;
  if (!systemPath) {
    warnings.push(`${systemroot}/System32/config/SYSTEM: no such hive`);
  } else {
    try {
      const sys = systemFacts(await openHive(files, systemPath, warnings));
      if (sys.windows_current_control_set) facts.windows_current_control_set = sys.windows_current_control_set;
      if (sys.hostname) facts.hostname = sys.hostname;
      const maps = driveMappings(sys.mounted, opts.partitions);
      if (Object.keys(maps).length) facts.drive_mappings = maps;
    } catch (e) {
      warnings.push(`${systemPath}: ${oneLine(e)}`);
    }
  }
  facts.osinfo = osinfoWindows(facts.major_version, facts.minor_version, facts.build_id, facts.product_variant, facts.product_name);
  return facts;
}
