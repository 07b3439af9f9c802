// Installed applications, from whichever package database the guest's package format names.
// A database that exists but cannot be read is an error value, never an empty list.
import type { GuestFiles } from '../types.js';
import type { AppsResult } from './common.js';
import { listDpkgApplications } from './dpkg.js';
import { rpmApplications } from './rpm.js';
import { listPacmanApplications } from './pacman.js';
import { listApkApplications } from './apk.js';
import { addDpkgLicenses } from './dpkg-copyright.js';

const BY_FORMAT: Record<string, (files: GuestFiles) => Promise<AppsResult | undefined>> = {
  deb: (f) => listDpkgApplications(f),
  rpm: (f) => rpmApplications(f),
  pacman: (f) => listPacmanApplications(f),
  apk: (f) => listApkApplications(f),
};

/** undefined: no known package database (virt-inspector then lists nothing either). */
export async function applicationsFor(
  files: GuestFiles,
  packageFormat: string | undefined,
  warnings: string[],
  opts: { licenses?: boolean } = {},
): Promise<AppsResult | undefined> {
  const list = packageFormat ? BY_FORMAT[packageFormat] : undefined;
  if (!list) return undefined;
  const r = await list(files);
  if (r && 'warnings' in r) warnings.push(...r.warnings);
  // the other databases record the license; dpkg's is in a file per package (read when asked)
  if (opts.licenses && packageFormat === 'deb' && r && 'applications' in r) await addDpkgLicenses(files, r.applications);
  return r;
}
