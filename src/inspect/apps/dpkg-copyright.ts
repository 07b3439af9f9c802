// The licenses of installed Debian packages, where a package's /usr/share/doc/PKG/copyright is
// machine-readable (DEP-5, "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/"):
// the header paragraph's License, else the License of the "Files: *" paragraph, its first line
// (the short name: "GPL-2+", "BSD-3-clause", "MIT or Apache-2.0"). dpkg's database records none.
// One file a package, so only when asked (jinspect --sbom); bounded: the head of each file, at
// most MAX_PACKAGES of them, and a package name that is not dpkg's form names no file.
import type { Application, GuestFiles } from '../types.js';

/** bytes read of each copyright file: the header and the "Files: *" paragraph come first */
export const COPYRIGHT_HEAD = 32 * 1024;
/** packages whose copyright file is read, at most */
export const MAX_PACKAGES = 10_000;
const CONCURRENCY = 32;
/** dpkg's package name rule: no '/' or '..' can come from the guest's status file */
const PACKAGE_NAME = /^[a-z0-9][a-z0-9+.-]+$/;

/** The license of a DEP-5 copyright file's text; undefined when it is not machine-readable or names none. */
export function dep5License(text: string): string | undefined {
  const paragraphs = text.replace(/\r\n?/g, '\n').split(/\n[ \t]*\n/);
  const fields = (p: string): Map<string, string> => {
    const m = new Map<string, string>();
    for (const line of p.split('\n')) {
      const f = /^([A-Za-z][A-Za-z0-9-]*):[ \t]*(.*)$/.exec(line);
      if (f && !m.has(f[1]!.toLowerCase())) m.set(f[1]!.toLowerCase(), f[2]!.trim());
    }
    return m;
  };
  const header = fields(paragraphs[0] ?? '');
  if (!/copyright-format|dep5/i.test(header.get('format') ?? '')) return undefined;
  const headerLicense = header.get('license');
  if (headerLicense) return headerLicense;
  for (const p of paragraphs.slice(1)) {
    const f = fields(p);
    if ((f.get('files') ?? '').split(/\s+/).includes('*')) return f.get('license') || undefined;
  }
  return undefined;
}

/** Set `license` on each app whose copyright file is machine-readable; unreadable files are skipped. */
export async function addDpkgLicenses(files: GuestFiles, apps: Application[]): Promise<void> {
  const todo = apps.filter((a) => PACKAGE_NAME.test(a.name)).slice(0, MAX_PACKAGES);
  const one = async (app: Application): Promise<void> => {
    const path = `/usr/share/doc/${app.name}/copyright`;
    try {
      if (!(await files.isFile(path))) return;
      const license = dep5License((await files.readHead(path, COPYRIGHT_HEAD)).toString('utf8'));
      if (license) app.license = license;
    } catch {
      // no readable copyright file: no license, as for a package without one
    }
  };
  for (let i = 0; i < todo.length; i += CONCURRENCY) await Promise.all(todo.slice(i, i + CONCURRENCY).map(one));
}
