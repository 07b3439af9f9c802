// Installed Debian packages from /var/lib/dpkg/status (deb822 paragraphs), as libguestfs's
// list_applications_deb reads them (lib/inspect-apps.c), with these deliberate differences:
//  - installed means the Status *state* word is "installed" ("install ok installed",
//    "hold ok installed"); libguestfs's substring test also took "half-installed";
//  - the Debian revision is split at the LAST '-' (Debian policy; libguestfs uses the first);
//  - description continuation lines " ." become blank lines (libguestfs keeps the ".");
//  - the last paragraph counts even without a trailing blank line.
// Kept from libguestfs: epoch before the first ':' (a non-numeric epoch drops the package),
// native packages have release "", Source "name (version)" gives "name", no Source → no
// source_package, Homepage → url, Description's first line → summary, sorted by name.

import type { Application, GuestFiles } from '../types.js';
import { sortApplications, splitEpochVersionRelease, type AppsResult } from './common.js';

export type { AppsResult } from './common.js';
export { sortApplications } from './common.js';

export const DPKG_STATUS = '/var/lib/dpkg/status';
/** Cap for the status file (libguestfs: 50 MB). A 3,000-package status is about 3 MiB. */
export const DPKG_STATUS_MAX = 64 * 1024 * 1024;

/** Debian version "[epoch:]upstream[-revision]" → parts; undefined when unusable. */
export const splitDebianVersion = splitEpochVersionRelease;

/** Parse the text of a dpkg status file. Never throws on content. */
export function parseDpkgStatus(text: string): { applications: Application[]; warnings: string[] } {
  if (text.includes('\0')) text = text.replace(/\0/g, '');
  if (text.includes('\r')) text = text.replace(/\r\n/g, '\n');
  const apps: Application[] = [];
  let badVersion = 0;

  // One pass over the text by line positions (native indexOf), slicing only the few fields
  // that matter: no per-line strings, which keeps a cold start (a one-shot jinspect) fast.
  let name: string | undefined;
  let status: string | undefined;
  let version: string | undefined;
  let arch: string | undefined;
  let url: string | undefined;
  let source: string | undefined;
  let summary: string | undefined;
  let descFrom = -1; // first continuation line of Description
  let descTo = -1; // end of its last one
  let inDescription = false;

  const flush = (): void => {
    if (name && version !== undefined && isInstalled(status)) {
      const v = splitDebianVersion(version);
      if (!v) {
        badVersion++;
      } else {
        const app: Application = { name, epoch: v.epoch, version: v.version, release: v.release };
        if (arch) app.arch = arch;
        if (url) app.url = url;
        if (source) {
          // "foo" or "foo (1.2-3)": the name only.
          const sp = source.search(/\s/);
          app.source_package = sp >= 0 ? source.slice(0, sp) : source;
        }
        if (summary) app.summary = summary;
        if (descFrom >= 0) app.description = longDescription(text.slice(descFrom, descTo));
        apps.push(app);
      }
    }
    name = status = version = arch = url = source = summary = undefined;
    descFrom = descTo = -1;
    inDescription = false;
  };

  const n = text.length;
  let pos = 0;
  while (pos < n) {
    let eol = text.indexOf('\n', pos);
    if (eol < 0) eol = n;
    if (eol === pos) {
      flush(); // an empty line ends the paragraph
    } else {
      const c0 = text.charCodeAt(pos);
      if (c0 === 0x20 || c0 === 0x09) {
        // Continuation line: only the Description's matter.
        if (inDescription) {
          if (descFrom < 0) descFrom = pos;
          descTo = eol;
        }
      } else {
        inDescription = false;
        // Filter on the first letter before comparing field names.
        switch (c0) {
          case 0x50: // P
            if (text.startsWith('Package:', pos)) name = text.slice(pos + 8, eol).trim();
            break;
          case 0x53: // S
            if (text.startsWith('Status:', pos)) status = text.slice(pos + 7, eol).trim();
            else if (text.startsWith('Source:', pos)) source = text.slice(pos + 7, eol).trim();
            break;
          case 0x56: // V
            if (text.startsWith('Version:', pos)) version = text.slice(pos + 8, eol).trim();
            break;
          case 0x41: // A
            if (text.startsWith('Architecture:', pos)) arch = text.slice(pos + 13, eol).trim();
            break;
          case 0x48: // H
            if (text.startsWith('Homepage:', pos)) url = text.slice(pos + 9, eol).trim();
            break;
          case 0x44: // D
            if (text.startsWith('Description:', pos)) {
              summary = text.slice(pos + 12, eol).trim();
              descFrom = descTo = -1;
              inDescription = true;
            }
            break;
          default:
            break;
        }
      }
    }
    pos = eol + 1;
  }
  flush();

  const warnings: string[] = [];
  if (badVersion > 0) warnings.push(`${DPKG_STATUS}: ${badVersion} installed package(s) skipped: unparsable Version`);
  return { applications: sortApplications(apps), warnings };
}

/** Continuation lines (each with its leading blank) → text; " ." is an empty line. */
function longDescription(block: string): string {
  const lines = block.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const body = lines[i]!.slice(1);
    lines[i] = body === '.' ? '' : body;
  }
  return lines.join('\n');
}

/** Status "want flag state": installed when the state (last) word is "installed". */
function isInstalled(status: string | undefined): boolean {
  if (status === undefined || !status.endsWith('installed')) return false;
  const c = status.charCodeAt(status.length - 10); // the character before "installed"
  return c === 0x20 || c === 0x09;
}

/** The installed packages of a Debian-family root mounted as "/"; undefined when there is
 *  no dpkg status file. */
export async function listDpkgApplications(
  files: GuestFiles,
  opts: { maxBytes?: number } = {},
): Promise<AppsResult | undefined> {
  try {
    if (!(await files.isFile(DPKG_STATUS))) return undefined;
    const buf = await files.readFile(DPKG_STATUS, { maxBytes: opts.maxBytes ?? DPKG_STATUS_MAX });
    return parseDpkgStatus(buf.toString('utf8'));
  } catch (e) {
    return { error: e instanceof Error ? e.message : `${DPKG_STATUS}: ${String(e)}` };
  }
}
