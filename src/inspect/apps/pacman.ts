// Installed Arch Linux packages: one /var/lib/pacman/local/<name-ver-rel>/desc per package,
// "%KEY%" lines each followed by value lines up to a blank line. As libguestfs's
// list_applications_pacman: %NAME%, %VERSION% ("[epoch:]ver-rel", release required) and
// %ARCH% are required, %URL% → url, %DESC% → description; only a value's first line is used
// (joot: %LICENSE%'s lines all, joined by AND, → license).
// joot splits the release at the last '-' (pacman forbids '-' in pkgver and pkgrel, so it is
// the same '-' libguestfs finds first).

import type { Application, GuestFiles } from '../types.js';
import { sortApplications, type AppsResult } from './common.js';

export const PACMAN_LOCAL = '/var/lib/pacman/local';
/** Cap per desc file (libguestfs: 8 KiB; real ones are well under 4 KiB). */
export const PACMAN_DESC_MAX = 64 * 1024;
/** %LICENSE% lines kept per package */
const MAX_LICENSES = 32;
/** Desc files read at once. */
const CONCURRENCY = 32;

/** Parse one desc file; undefined when a required field is missing or the version unusable. */
export function parsePacmanDesc(text: string): Application | undefined {
  const fields = new Map<string, string>();
  // %LICENSE% has one license a line: all of them count
  let licenses: string[] = [];
  let key: string | undefined;
  for (let line of text.split('\n')) {
    if (line.endsWith('\r')) line = line.slice(0, -1);
    if (line === '') {
      key = undefined;
      continue;
    }
    if (key !== undefined) {
      if (!fields.has(key)) fields.set(key, line.replace(/\0/g, ''));
      if (key === '%LICENSE%' && licenses.length < MAX_LICENSES) licenses.push(line.replace(/\0/g, ''));
      continue;
    }
    if (/^%[A-Z0-9_]+%$/.test(line)) {
      key = line;
      fields.delete(key); // a repeated section: the later one wins, as in libguestfs
      if (key === '%LICENSE%') licenses = [];
    }
  }
  const name = fields.get('%NAME%');
  const version = fields.get('%VERSION%');
  const arch = fields.get('%ARCH%');
  if (!name || version === undefined || arch === undefined) return undefined;

  let epoch = 0;
  let rest = version;
  const colon = version.indexOf(':');
  if (colon >= 0) {
    const e = version.slice(0, colon);
    if (!/^[0-9]+$/.test(e)) return undefined;
    epoch = Number(e);
    if (!Number.isSafeInteger(epoch) || epoch > 0x7fffffff) return undefined;
    rest = version.slice(colon + 1);
  }
  const dash = rest.lastIndexOf('-');
  if (dash < 0) return undefined;
  const ver = rest.slice(0, dash);
  const rel = rest.slice(dash + 1);
  if (ver === '' || rel === '') return undefined;

  const app: Application = { name, epoch, version: ver, release: rel, arch };
  const url = fields.get('%URL%');
  if (url) app.url = url;
  const desc = fields.get('%DESC%');
  if (desc) app.description = desc;
  // several lines: each a license of the package (pacman's own "license:" line joins them likewise)
  const license = licenses.filter(Boolean).join(' AND ');
  if (license) app.license = license;
  return app;
}

/** The installed packages of an Arch root mounted as "/"; undefined when there is no pacman
 *  local database. Unreadable or broken entries are skipped with a warning. */
export async function listPacmanApplications(files: GuestFiles): Promise<AppsResult | undefined> {
  let entries: string[];
  try {
    if (!(await files.isDir(PACMAN_LOCAL))) return undefined;
    entries = await files.readdir(PACMAN_LOCAL);
  } catch (e) {
    return { error: e instanceof Error ? e.message : `${PACMAN_LOCAL}: ${String(e)}` };
  }

  const apps: Application[] = [];
  const warnings: string[] = [];
  let broken = 0;

  const one = async (entry: string): Promise<void> => {
    const dir = `${PACMAN_LOCAL}/${entry}`;
    const desc = `${dir}/desc`;
    try {
      // Skips ALPM_DB_VERSION and other non-directories.
      if (!(await files.isDir(dir))) return;
      if (!(await files.isFile(desc))) {
        broken++;
        return;
      }
      const text = (await files.readFile(desc, { maxBytes: PACMAN_DESC_MAX })).toString('utf8');
      const app = parsePacmanDesc(text);
      if (app) apps.push(app);
      else broken++;
    } catch (e) {
      warnings.push(e instanceof Error ? e.message : `${desc}: ${String(e)}`);
    }
  };

  for (let i = 0; i < entries.length; i += CONCURRENCY) {
    await Promise.all(entries.slice(i, i + CONCURRENCY).map(one));
  }
  if (broken > 0) warnings.push(`${PACMAN_LOCAL}: ${broken} package entr${broken === 1 ? 'y' : 'ies'} skipped: missing or incomplete desc`);
  return { applications: sortApplications(apps), warnings };
}
