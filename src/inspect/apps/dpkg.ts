// Installed Debian packages from /var/lib/dpkg/status (deb822 paragraphs), as libguestfs's
// list_applications_deb reads them (lib/inspect-apps.c), with these deliberate differences:
//  - installed means one of the Status words is "installed", wherever it stands ("install ok
//    installed", "hold ok installed", and the two-word "installed ok" of libguestfs's own
//    phony guests); libguestfs's substring test also took "half-installed" and
//    "not-installed", which are never counted here (nor "config-files", "unpacked");
//  - the Debian revision is split at the LAST '-' (Debian policy; libguestfs uses the first);
//  - description continuation lines " ." become blank lines (libguestfs keeps the ".");
//  - the last paragraph counts even without a trailing blank line.
// Kept from libguestfs: epoch before the first ':' (a non-numeric epoch drops the package),
// native packages have release "", Source "name (version)" gives "name", no Source → no
// source_package, Homepage → url, Description's first line → summary, sorted by name.

import type { Application, GuestFiles } from '../types.js';
import { readChunks, sortApplications, splitEpochVersionRelease, type AppsResult } from './common.js';

export type { AppsResult } from './common.js';
export { sortApplications } from './common.js';

export const DPKG_STATUS = '/var/lib/dpkg/status';
/** Cap for the status file (libguestfs: 50 MB). A 3,000-package status is about 3 MiB. */
export const DPKG_STATUS_MAX = 64 * 1024 * 1024;

/** Debian version "[epoch:]upstream[-revision]" → parts; undefined when unusable. */
export const splitDebianVersion = splitEpochVersionRelease;

/** Parse the text of a dpkg status file. Never throws on content. */
export function parseDpkgStatus(text: string): { applications: Application[]; warnings: string[] } {
  const p = new DpkgStatusParser();
  p.push(Buffer.from(text, 'utf8'));
  return p.end();
}

/** A copy of `s` that does not keep a larger string alive: V8 makes a substring of 13 or more
 *  characters a view of its parent (here: a whole chunk's text); concatenating and slicing
 *  flattens it into a string of its own. */
function own(s: string): string {
  return s.length < 13 ? s : ` ${s}`.slice(1);
}

/**
 * A dpkg status file parsed as it streams in, paragraph by paragraph: push() its bytes in
 * chunks of any size, end() for the result. Memory holds the result and the current chunk,
 * not the file. NUL bytes are dropped and CRLF line ends read as LF.
 */
export class DpkgStatusParser {
  private readonly apps: Application[] = [];
  private badVersion = 0;
  /** the start of a line that continues in the next chunk (copied) */
  private partial: Buffer[] = [];
  private name: string | undefined;
  private status: string | undefined;
  private version: string | undefined;
  private arch: string | undefined;
  private url: string | undefined;
  private source: string | undefined;
  private summary: string | undefined;
  /** in the Description's continuation lines */
  private inDescription = false;
  /** the Description's continuation lines decoded so far (blocks of lines, each line with its
   *  leading blank) */
  private desc: string[] = [];

  push(chunk: Buffer): void {
    if (chunk.includes(0)) chunk = Buffer.from(chunk.filter((b) => b !== 0));
    let start = 0;
    const nl = chunk.indexOf(0x0a);
    if (nl >= 0 && this.partial.length > 0) {
      this.partial.push(chunk.subarray(0, nl + 1));
      const line = Buffer.concat(this.partial);
      this.partial = [];
      this.lines(line, 0, line.length);
      start = nl + 1;
    }
    const end = nl < 0 ? 0 : chunk.lastIndexOf(0x0a) + 1; // complete lines end here
    if (start < end) this.lines(chunk, start, end);
    if (Math.max(start, end) < chunk.length) this.partial.push(Buffer.from(chunk.subarray(Math.max(start, end))));
  }

  end(): { applications: Application[]; warnings: string[] } {
    if (this.partial.length > 0) {
      const line = Buffer.concat(this.partial);
      this.partial = [];
      this.lines(line, 0, line.length);
    }
    this.flush(); // the last paragraph counts without a blank line after it
    const warnings: string[] = [];
    if (this.badVersion > 0) warnings.push(`${DPKG_STATUS}: ${this.badVersion} installed package(s) skipped: unparsable Version`);
    return { applications: sortApplications(this.apps), warnings };
  }

  /** The lines in buf[from, to): each ends with LF, except perhaps the file's last. Decoded
   *  at once (one native call), then one pass by line positions with native indexOf and
   *  startsWith, slicing only the few fields that matter: no per-line strings or calls, which
   *  keeps a cold start (a one-shot jinspect) fast. What is kept is copied out (own()), so no
   *  package holds on to the chunk's text. */
  private lines(buf: Buffer, from: number, to: number): void {
    let text = buf.toString('utf8', from, to);
    if (text.includes('\r')) text = text.replace(/\r\n/g, '\n'); // a chunk never splits a CRLF
    let descFrom = -1; // Description continuation lines in this text: first …
    let descTo = -1; // … and the end of the last
    const n = text.length;
    let pos = 0;
    while (pos < n) {
      let eol = text.indexOf('\n', pos);
      if (eol < 0) eol = n;
      const c0 = eol === pos ? -1 : text.charCodeAt(pos);
      if (c0 === 0x20 || c0 === 0x09) {
        // Continuation line: only the Description's matter.
        if (this.inDescription) {
          if (descFrom < 0) descFrom = pos;
          descTo = eol;
        }
        pos = eol + 1;
        continue;
      }
      if (descFrom >= 0) {
        this.desc.push(own(text.slice(descFrom, descTo)));
        descFrom = descTo = -1;
      }
      this.inDescription = false;
      // Filter on the first letter before comparing field names.
      switch (c0) {
        case -1:
          this.flush(); // an empty line ends the paragraph
          break;
        case 0x50: // P
          if (text.startsWith('Package:', pos)) this.name = own(text.slice(pos + 8, eol).trim());
          break;
        case 0x53: // S
          if (text.startsWith('Status:', pos)) this.status = own(text.slice(pos + 7, eol).trim());
          else if (text.startsWith('Source:', pos)) this.source = own(text.slice(pos + 7, eol).trim());
          break;
        case 0x56: // V
          if (text.startsWith('Version:', pos)) this.version = own(text.slice(pos + 8, eol).trim());
          break;
        case 0x41: // A
          if (text.startsWith('Architecture:', pos)) this.arch = own(text.slice(pos + 13, eol).trim());
          break;
        case 0x48: // H
          if (text.startsWith('Homepage:', pos)) this.url = own(text.slice(pos + 9, eol).trim());
          break;
        case 0x44: // D
          if (text.startsWith('Description:', pos)) {
            this.summary = own(text.slice(pos + 12, eol).trim());
            this.desc = [];
            this.inDescription = true;
          }
          break;
        default:
          break;
      }
      pos = eol + 1;
    }
    if (descFrom >= 0) this.desc.push(own(text.slice(descFrom, descTo)));
  }

  private flush(): void {
    const { name, version, status, arch, url, source, summary } = this;
    if (name && version !== undefined && isInstalled(status)) {
      const v = splitDebianVersion(version);
      if (!v) {
        this.badVersion++;
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
        if (this.desc.length > 0) app.description = longDescription(this.desc.join('\n'));
        this.apps.push(app);
      }
    }
    this.name = this.status = this.version = this.arch = this.url = this.source = this.summary = undefined;
    this.desc = [];
    this.inDescription = false;
  }
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

/** Status "want flag state" (or a shorter hand-written one): installed when one of its words
 *  is exactly "installed" ("half-installed" and "not-installed" are other words). No split:
 *  this runs once per package of a status file of thousands. */
export function isInstalled(status: string | undefined): boolean {
  if (status === undefined) return false;
  for (let at = status.indexOf('installed'); at >= 0; at = status.indexOf('installed', at + 1)) {
    const before = at === 0 ? 0x20 : status.charCodeAt(at - 1);
    const after = at + 9 === status.length ? 0x20 : status.charCodeAt(at + 9);
    if ((before === 0x20 || before === 0x09) && (after === 0x20 || after === 0x09)) return true;
  }
  return false;
}

/** The installed packages of a Debian-family root mounted as "/"; undefined when there is
 *  no dpkg status file. The file is streamed through the parser (readChunks): memory holds the
 *  result, not the file; `maxBytes` still caps how much is read. */
export async function listDpkgApplications(files: GuestFiles, opts: { maxBytes?: number } = {}): Promise<AppsResult | undefined> {
  try {
    if (!(await files.isFile(DPKG_STATUS))) return undefined;
    const parser = new DpkgStatusParser();
    await readChunks(files, DPKG_STATUS, opts.maxBytes ?? DPKG_STATUS_MAX, (c) => parser.push(c));
    return parser.end();
  } catch (e) {
    return { error: e instanceof Error ? e.message : `${DPKG_STATUS}: ${String(e)}` };
  }
}
