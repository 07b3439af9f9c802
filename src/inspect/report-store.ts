// The session's last inspection (inspect-os, or jfish's -i at start-up), which inspect-get-*
// and friends answer from, as guestfish's do after -i. -i inspects without listing the
// applications (the start stays quick); inspect-list-applications then asks for inspect-os.
import type { Session } from '../appliance/session.js';
import type { InspectionReport, OperatingSystem } from './types.js';

export interface RememberedInspection {
  readonly report: InspectionReport;
  /** the applications were listed (inspect-os); false after -i */
  readonly withApplications: boolean;
}

const reports = new WeakMap<Session, RememberedInspection>();
const withoutApplications = new WeakSet<OperatingSystem>();

export function rememberInspection(session: Session, report: InspectionReport, withApplications: boolean): void {
  reports.set(session, { report, withApplications });
  if (!withApplications) for (const os of report.operatingsystems) withoutApplications.add(os);
}

/** Were this operating system's applications listed (false for one found by -i)? */
export function applicationsListed(os: OperatingSystem): boolean {
  return !withoutApplications.has(os);
}

export function rememberedInspection(session: Session): RememberedInspection | undefined {
  return reports.get(session);
}
