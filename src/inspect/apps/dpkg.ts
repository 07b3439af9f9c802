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

const PACKAGE = [...'Package:'].map((c) => c.charCodeAt(0));
const STATUS = [...'Status:'].map((c) => c.charCodeAt(0));
const SOURCE = [...'Source:'].map((c) => c.charCodeAt(0));
const VERSION = [...'Version:'].map((c) => c.charCodeAt(0));
const ARCHITECTURE = [...'Architecture:'].map((c) => c.charCodeAt(0));
const HOMEPAGE = [...'Homepage:'].map((c) => c.charCodeAt(0));
const DESCRIPTION = [...'Description:'].map((c) => c.charCodeAt(0));

/** Does the line buf[pos, end) start with the field name `f` (with its colon)? */
function startsWith(buf: Buffer, pos: number, end: number, f: number[]): boolean {
  if (end - pos < f.length) return false;
  for (let i = 1; i < f.length; i++) if (buf[pos + i] !== f[i]) return false; // [0] was switched on
  return true;
}

/** A field's value, trimmed. */
function fieldValue(buf: Buffer, from: number, to: number): string {
  return buf.toString('utf8', from, to).trim();
}

/**
 * A dpkg status file parsed as it streams in, paragraph by paragraph: push() its bytes in
 * chunks of any size, end() for the result. Memory holds the result and the current line,
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

  /** The lines in buf[from, to): each ends with LF, except perhaps the file's last. One pass
   *  by line positions (native indexOf), decoding only the few fields that matter, each into a
   *  string of its own (never a slice of the chunk), and a Description's continuation lines as
   *  one block. */
  private lines(buf: Buffer, from: number, to: number): void {
    let descFrom = -1; // Description continuation lines in this buffer: first …
    let descTo = -1; // … and the end of the last
    let pos = from;
    while (pos < to) {
      let eol = buf.indexOf(0x0a, pos);
      if (eol < 0 || eol >= to) eol = to;
      let end = eol;
      if (end > pos && buf[end - 1] === 0x0d) end--; // CRLF
      const c0 = end === pos ? -1 : buf[pos]!;
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
        this.desc.push(buf.toString('utf8', descFrom, descTo));
        descFrom = descTo = -1;
      }
      this.inDescription = false;
      // Filter on the first letter before comparing field names.
      switch (c0) {
        case -1:
          this.flush(); // an empty line ends the paragraph
          break;
        case 0x50: // P
          if (startsWith(buf, pos, end, PACKAGE)) this.name = fieldValue(buf, pos + PACKAGE.length, end);
          break;
        case 0x53: // S
          if (startsWith(buf, pos, end, STATUS)) this.status = fieldValue(buf, pos + STATUS.length, end);
          else if (startsWith(buf, pos, end, SOURCE)) this.source = fieldValue(buf, pos + SOURCE.length, end);
          break;
        case 0x56: // V
          if (startsWith(buf, pos, end, VERSION)) this.version = fieldValue(buf, pos + VERSION.length, end);
          break;
        case 0x41: // A
          if (startsWith(buf, pos, end, ARCHITECTURE)) this.arch = fieldValue(buf, pos + ARCHITECTURE.length, end);
          break;
        case 0x48: // H
          if (startsWith(buf, pos, end, HOMEPAGE)) this.url = fieldValue(buf, pos + HOMEPAGE.length, end);
          break;
        case 0x44: // D
          if (startsWith(buf, pos, end, DESCRIPTION)) {
            this.summary = fieldValue(buf, pos + DESCRIPTION.length, end);
            this.desc = [];
            this.inDescription = true;
          }
          break;
        default:
          break;
      }
      pos = eol + 1;
    }
    if (descFrom >= 0) this.desc.push(buf.toString('utf8', descFrom, descTo));
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

/** Status "want flag state": installed when the state (last) word is "installed". */
function isInstalled(status: string | undefined): boolean {
  if (status === undefined || !status.endsWith('installed')) return false;
  const c = status.charCodeAt(status.length - 10); // the character before "installed"
  return c === 0x20 || c === 0x09;
}

/** The installed packages of a Debian-family root mounted as "/"; undefined when there is
 *  no dpkg status file. The file is streamed through the parser (readChunks): memory holds the
 *  result, not the file; `maxBytes` still caps how much is read. */
export async function listDpkgApplications(
  files: GuestFiles,
  opts: { maxBytes?: number } = {},
): Promise<AppsResult | undefined> {
  try {
    if (!(await files.isFile(DPKG_STATUS))) return undefined;
    const parser = new DpkgStatusParser();
    await readChunks(files, DPKG_STATUS, opts.maxBytes ?? DPKG_STATUS_MAX, (c) => parser.push(c));
    return parser.end();
  } catch (e) {
    return { error: e instanceof Error ? e.message : `${DPKG_STATUS}: ${String(e)}` };
  }
}
