// jinspect --strict (libguestfs#400: an unknown distribution silently treated as nothing): what
// a report leaves undetected, one short reason per operating system and gap.
import type { InspectionReport } from './types.js';

export function strictGaps(report: InspectionReport): string[] {
  const out: string[] = [];
  for (const os of report.operatingsystems) {
    if (!os.distro || os.distro === 'unknown') out.push(`${os.root}: the distribution is not detected`);
    // Windows has no package format; its applications come from the registry
    if (os.name !== 'windows' && (!os.package_format || os.package_format === 'unknown'))
      out.push(`${os.root}: no package database is detected`);
    else if (os.applications_error) out.push(`${os.root}: the package database is not read: ${os.applications_error}`);
  }
  return out;
}
