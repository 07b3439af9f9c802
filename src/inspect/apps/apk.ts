// Installed Alpine packages from /lib/apk/db/installed: records of "X:value" lines separated
// by blank lines. As libguestfs's list_applications_apk: P name, V "ver-rREL" (release without
// its 'r'; an "epoch:" prefix is honoured though apk has none), A arch, U url, T → description.
// joot adds o (origin) → source_package, L → license, splits the release at the last '-', and keeps the
// last record even without a trailing blank line.

import type { Application, GuestFiles } from '../types.js';
import { sortApplications, splitEpochVersionRelease, type AppsResult } from './common.js';

export const APK_INSTALLED = '/lib/apk/db/installed';
/** Cap for the installed database (libguestfs: 50 MB). */
export const APK_INSTALLED_MAX = 64 * 1024 * 1024;

/** apk version "ver[-rREL]" (optionally "epoch:…") → parts, the release without its 'r'. */
export function splitApkVersion(v: string): { epoch: number; version: string; release: string } | undefined {
  const parts = splitEpochVersionRelease(v);
  if (parts?.release.startsWith('r')) parts.release = parts.release.slice(1);
  return parts;
}

/** Parse the text of an apk installed database. Never throws on content. */
export function parseApkInstalled(text: string): { applications: Application[]; warnings: string[] } {
  if (text.includes('\0')) text = text.replace(/\0/g, '');
  const apps: Application[] = [];
  let badVersion = 0;
  let rec: { P?: string; V?: string; A?: string; T?: string; U?: string; o?: string; L?: string } = {};

  const flush = (): void => {
    if (rec.P && rec.V !== undefined) {
      const v = splitApkVersion(rec.V);
      if (!v) {
        badVersion++;
      } else {
        const app: Application = { name: rec.P, epoch: v.epoch, version: v.version, release: v.release };
        if (rec.A) app.arch = rec.A;
        if (rec.U) app.url = rec.U;
        if (rec.o) app.source_package = rec.o;
        if (rec.T) app.description = rec.T;
        if (rec.L) app.license = rec.L;
        apps.push(app);
      }
    }
    rec = {};
  };

  for (let line of text.split('\n')) {
    if (line.endsWith('\r')) line = line.slice(0, -1);
    if (line === '') {
      flush();
      continue;
    }
    if (line.length < 2 || line[1] !== ':') continue; // not "X:value"
    const value = line.slice(2);
    switch (line[0]) {
      case 'P':
        rec.P = value;
        break;
      case 'V':
        rec.V = value;
        break;
      case 'A':
        rec.A = value;
        break;
      case 'T':
        rec.T = value;
        break;
      case 'U':
        rec.U = value;
        break;
      case 'o':
        rec.o = value;
        break;
      case 'L':
        rec.L = value;
        break;
      default:
        break;
    }
  }
  flush();

  const warnings: string[] = [];
  if (badVersion > 0) warnings.push(`${APK_INSTALLED}: ${badVersion} package(s) skipped: unparsable version`);
  return { applications: sortApplications(apps), warnings };
}

/** The installed packages of an Alpine root mounted as "/"; undefined when there is no apk
 *  database. */
export async function listApkApplications(files: GuestFiles, opts: { maxBytes?: number } = {}): Promise<AppsResult | undefined> {
  try {
    if (!(await files.isFile(APK_INSTALLED))) return undefined;
    const buf = await files.readFile(APK_INSTALLED, { maxBytes: opts.maxBytes ?? APK_INSTALLED_MAX });
    return parseApkInstalled(buf.toString('utf8'));
  } catch (e) {
    return { error: e instanceof Error ? e.message : `${APK_INSTALLED}: ${String(e)}` };
  }
}
