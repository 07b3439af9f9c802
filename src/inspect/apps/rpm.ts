// Installed RPM packages, from the guest's rpm database, parsed here (no rpm binary, no
// librpm): the database file is read whole through the guest-rooted reader and every
// package's header blob is decoded by rpm-header.ts.
//
// Which database: the first that exists of
//   /var/lib/rpm/rpmdb.sqlite, /usr/lib/sysimage/rpm/rpmdb.sqlite   sqlite (rpm >= 4.16)
//   /var/lib/rpm/Packages, /usr/lib/sysimage/rpm/Packages           Berkeley DB hash (rpm < 4.16)
//   /var/lib/rpm/Packages.db, /usr/lib/sysimage/rpm/Packages.db     ndb (SUSE)
// (Fedora >= 36 links /var/lib/rpm to /usr/lib/sysimage/rpm; links resolve inside the guest.)
//
// Like virt-inspector and `rpm -qa`: gpg-pubkey pseudo-packages (imported signing keys) are
// listed, with their summary ("gpg(Fedora (39) <…>)", rpm >= 4.17: "Fedora (40) <…> public
// key"); a
// missing EPOCH is 0, i18n strings give their first (C locale) entry. Sorted by name, then
// by epoch:version-release in rpm's order (rpmvercmp), then arch.
//
// A database that exists but cannot be read is an error naming the file, never an empty list.
// A bad record among good ones is skipped with a warning, as `rpm -qa` skips it.

import { oneLine } from '../../core/errors.js';
import type { Application, GuestFiles } from '../types.js';
import type { AppsResult } from './common.js';
import { readBdbHash } from './rpm-bdb.js';
import { NeedMoreBytes, readRpmPackage, type RpmPackage } from './rpm-header.js';
import { readNdbBlobs } from './rpm-ndb.js';
import { BadWal, preloadSqlJs, readSqlitePackages } from './rpm-sqlite.js';

/** Cap for the database file (real ones are 5–100 MiB) and for its write-ahead log. */
export const RPMDB_MAX = 512 * 1024 * 1024;
/** At most this many per-record warnings; the rest are counted. */
const MAX_WARNINGS = 20;

type Backend = 'sqlite' | 'bdb' | 'ndb';

export const RPMDB_CANDIDATES: readonly { path: string; backend: Backend }[] = [
  { path: '/var/lib/rpm/rpmdb.sqlite', backend: 'sqlite' },
  { path: '/usr/lib/sysimage/rpm/rpmdb.sqlite', backend: 'sqlite' },
  { path: '/var/lib/rpm/Packages', backend: 'bdb' },
  { path: '/usr/lib/sysimage/rpm/Packages', backend: 'bdb' },
  { path: '/var/lib/rpm/Packages.db', backend: 'ndb' },
  { path: '/usr/lib/sysimage/rpm/Packages.db', backend: 'ndb' },
];

export type RpmResult = AppsResult;

/** One record of the database: its package, or why it could not be read. */
type Decoded = { pkg: RpmPackage } | { error: string };

function decode(id: string, blob: Uint8Array, length: number): Decoded {
  try {
    return { pkg: readRpmPackage(blob, length) };
  } catch (e) {
    if (e instanceof NeedMoreBytes) throw e; // the sqlite reader retries with the whole blob
    return { error: `${id}: ${oneLine(e)}` };
  }
}

/** "PATH: why", without repeating PATH when the message already starts with it. */
function about(path: string, e: unknown): string {
  const msg = oneLine(e);
  return msg.startsWith(`${path}:`) ? msg : `${path}: ${msg}`;
}

async function exists(files: GuestFiles, path: string): Promise<boolean> {
  try {
    return await files.exists(path);
  } catch {
    return false;
  }
}

async function records(files: GuestFiles, path: string, backend: Backend, warnings: string[]): Promise<Decoded[]> {
  if (backend === 'sqlite') preloadSqlJs(); // compile the WebAssembly while the file is read
  const buf = await files.readFile(path, { maxBytes: RPMDB_MAX });
  switch (backend) {
    case 'sqlite': {
      let wal: Buffer | undefined;
      const walPath = `${path}-wal`;
      if (await exists(files, walPath)) {
        try {
          wal = await files.readFile(walPath, { maxBytes: RPMDB_MAX });
        } catch (e) {
          warnings.push(`${about(walPath, e)}; packages changed since the last checkpoint may be missing`);
        }
      }
      const each = (blob: Uint8Array, length: number, hnum: number): Decoded => decode(`package ${hnum}`, blob, length);
      try {
        return await readSqlitePackages(buf, wal, RPMDB_MAX, each, { owned: true });
      } catch (e) {
        if (!(e instanceof BadWal)) throw e;
        // SQLite ignores a log it cannot use; so do we, and say so
        warnings.push(`${about(walPath, e)}; ignored`);
        return await readSqlitePackages(buf, undefined, RPMDB_MAX, each, { owned: true });
      }
    }
    case 'bdb': {
      const out: Decoded[] = [];
      for (const r of readBdbHash(buf)) {
        // key 0 holds the last package number, not a package
        if (r.key.length === 4 && r.key.every((b) => b === 0)) continue;
        out.push(decode(`package ${Buffer.from(r.key).toString('hex')}`, r.data, r.data.length));
      }
      return out;
    }
    case 'ndb':
      return readNdbBlobs(buf).map((r) => decode(`package ${r.pkgidx}`, r.blob, r.blob.length));
  }
}

/** The applications of an rpm guest; undefined when it has no rpm database at all. */
export async function rpmApplications(files: GuestFiles): Promise<RpmResult | undefined> {
  let found: (typeof RPMDB_CANDIDATES)[number] | undefined;
  for (const c of RPMDB_CANDIDATES) {
    let there: boolean;
    try {
      there = await files.exists(c.path);
    } catch (e) {
      // something is there that cannot even be looked at
      return { error: about(c.path, e) };
    }
    if (there) {
      found = c;
      break;
    }
  }
  if (!found) return undefined;
  const { path, backend } = found;
  const warnings: string[] = [];
  let recs: Decoded[];
  try {
    recs = await records(files, path, backend, warnings);
  } catch (e) {
    return { error: about(path, e) };
  }
  const packages: RpmPackage[] = [];
  let bad = 0;
  let lastError = '';
  for (const r of recs) {
    if ('error' in r) {
      bad++;
      lastError = r.error;
      if (bad <= MAX_WARNINGS) warnings.push(`${path}: ${r.error}`);
      continue;
    }
    packages.push(r.pkg);
  }
  if (bad > MAX_WARNINGS) warnings.push(`${path}: ${bad - MAX_WARNINGS} more unreadable package records`);
  if (bad > 0 && packages.length === 0) {
    return { error: bad === 1 ? `${path}: ${lastError}` : `${path}: none of its ${bad} package records is readable (last: ${lastError})` };
  }
  packages.sort(comparePackages);
  return { applications: packages.map(toApplication), warnings };
}

function toApplication(p: RpmPackage): Application {
  const a: Application = { name: p.name, epoch: p.epoch, version: p.version, release: p.release };
  if (p.arch !== undefined) a.arch = p.arch;
  if (p.url !== undefined) a.url = p.url;
  if (p.summary !== undefined) a.summary = p.summary;
  if (p.description !== undefined) a.description = p.description;
  if (p.license !== undefined) a.license = p.license;
  return a;
}

function byteCompare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Name (byte order), then epoch, version, release (rpmvercmp), then arch. */
export function comparePackages(a: RpmPackage, b: RpmPackage): number {
  return (
    byteCompare(a.name, b.name) ||
    a.epoch - b.epoch ||
    rpmvercmp(a.version, b.version) ||
    rpmvercmp(a.release, b.release) ||
    byteCompare(a.arch ?? '', b.arch ?? '')
  );
}

const isDigit = (c: string): boolean => c >= '0' && c <= '9';
const isAlpha = (c: string): boolean => (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');

/**
 * rpm's version comparison (lib/rpmvercmp.c): alternating runs of digits (numeric order) and
 * letters (byte order), separators ignored, `~` sorts before anything (even the end), `^`
 * after the end but before anything else. Returns -1, 0 or 1.
 */
export function rpmvercmp(a: string, b: string): number {
  if (a === b) return 0;
  let i = 0;
  let j = 0;
  const sep = (c: string): boolean => !isDigit(c) && !isAlpha(c) && c !== '~' && c !== '^';
  while (i < a.length || j < b.length) {
    while (i < a.length && sep(a[i]!)) i++;
    while (j < b.length && sep(b[j]!)) j++;
    const ca = a[i] ?? '';
    const cb = b[j] ?? '';
    if (ca === '~' || cb === '~') {
      if (ca !== '~') return 1;
      if (cb !== '~') return -1;
      i++;
      j++;
      continue;
    }
    if (ca === '^' || cb === '^') {
      if (ca === '') return -1;
      if (cb === '') return 1;
      if (ca !== '^') return 1;
      if (cb !== '^') return -1;
      i++;
      j++;
      continue;
    }
    if (ca === '' || cb === '') break;
    const numeric = isDigit(ca);
    const kind = numeric ? isDigit : isAlpha;
    let ei = i;
    let ej = j;
    while (ei < a.length && kind(a[ei]!)) ei++;
    while (ej < b.length && kind(b[ej]!)) ej++;
    // a run of one kind against a run of the other: numbers are newer than letters
    if (ej === j) return numeric ? 1 : -1;
    let sa = a.slice(i, ei);
    let sb = b.slice(j, ej);
    if (numeric) {
      sa = sa.replace(/^0+/, '');
      sb = sb.replace(/^0+/, '');
      if (sa.length !== sb.length) return sa.length > sb.length ? 1 : -1;
    }
    if (sa !== sb) return sa < sb ? -1 : 1;
    i = ei;
    j = ej;
  }
  if (i >= a.length && j >= b.length) return 0;
  return i < a.length ? 1 : -1;
}
