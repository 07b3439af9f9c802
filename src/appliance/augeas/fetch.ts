// The guest's configuration files that Augeas's lenses name (their filters' incl globs),
// copied through the guest-rooted reader into a private host directory for augtool: regular
// files only, every symlink resolved inside the guest, with bounds on what is read. augtool
// never sees a guest path, so a guest symlink cannot lead it to a host file.
import { lstat, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { JootError } from '../../core/errors.js';
import type { GuestFileReader } from '../guest-files.js';

/** The files copied, by path relative to the Augeas root ('etc/hosts'), with their bytes. */
export type Snapshot = Map<string, Buffer>;

/** Larger guest files are left out (Augeas parses configuration files, not data). */
const MAX_FILE_BYTES = 16 * 1024 * 1024;
/** At most this much in all, and this many files. */
const MAX_TOTAL_BYTES = 256 * 1024 * 1024;
const MAX_FILES = 8192;
/** Directory entries and stats one fetch may look at (a hostile tree of millions of names). */
const MAX_VISITS = 200_000;
/** How deep `**` descends. */
const MAX_STARSTAR_DEPTH = 8;

const GLOB = /[*?[]/;

/** One glob component as a RegExp; as glob(3), a leading '.' is matched only by a '.'. */
function componentRegExp(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '\\' && i + 1 < pattern.length) re += escapeChar(pattern[++i]!);
    else if (c === '[') {
      const close = pattern.indexOf(']', i + 2);
      if (close === -1) {
        re += '\\[';
        continue;
      }
      let body = pattern.slice(i + 1, close);
      if (body.startsWith('!')) body = `^${body.slice(1)}`;
      re += `[${body.replace(/\\/g, '\\\\')}]`;
      i = close;
    } else re += escapeChar(c);
  }
  return new RegExp(pattern.startsWith('.') ? `^${re}$` : `^(?!\\.)${re}$`, 's');
}

function escapeChar(c: string): string {
  return /[\\^$.*+?()[\]{}|/]/.test(c) ? `\\${c}` : c;
}

/** Does an excl pattern leave this file out? (One without '/' is matched against the base name, as Augeas does.) */
function excluded(rel: string, excl: readonly RegExp[][]): boolean {
  const parts = rel.split('/');
  return excl.some((comps) =>
    comps.length === 1
      ? comps[0]!.test(parts[parts.length - 1]!)
      : comps.length === parts.length && comps.every((re, i) => re.test(parts[i]!)),
  );
}

/** An incl/excl glob, refused when it could name something outside the root. */
function components(glob: string): string[] {
  const parts = glob.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw new JootError('EPERM', `${glob}: an Augeas filter with '..' is refused (it would leave the guest)`);
  return parts;
}

interface Budget {
  visits: number;
  bytes: number;
  warn(message: string): void;
}

export interface FetchOptions {
  reader: GuestFileReader;
  /** the guest directory Augeas's root is (aug-init's root) */
  root: string;
  /** the host directory the copies go to (private, empty or holding an earlier snapshot) */
  hostDir: string;
  incl: readonly string[];
  excl: readonly string[];
  warn(message: string): void;
}

/** Copy the guest files the filters name into hostDir; returns what was copied. */
export async function fetchFiles(o: FetchOptions): Promise<Snapshot> {
  const snapshot: Snapshot = new Map();
  const excl = o.excl.map((g) => components(g).map(componentRegExp));
  const budget: Budget = { visits: 0, bytes: 0, warn: o.warn };
  const guestOf = (rel: string): string => `${o.root.replace(/\/+$/, '')}/${rel}`;

  const isDir = async (rel: string): Promise<boolean> => {
    if (++budget.visits > MAX_VISITS)
      throw new JootError('EFORMAT', `${o.root}: too many files for Augeas to look at (over ${MAX_VISITS})`);
    return o.reader.isDir(rel === '' ? o.root : guestOf(rel)).catch(() => false);
  };
  const list = async (rel: string): Promise<string[]> => {
    const names = await o.reader.readdir(rel === '' ? o.root : guestOf(rel)).catch(() => [] as string[]);
    budget.visits += names.length;
    if (budget.visits > MAX_VISITS) throw new JootError('EFORMAT', `${o.root}: too many files for Augeas to look at (over ${MAX_VISITS})`);
    // a name that is not UTF-8 cannot be named back: left out
    return names.filter((n) => !n.includes('\uFFFD') && !n.includes('/'));
  };

  const take = async (rel: string): Promise<void> => {
    if (snapshot.has(rel) || excluded(rel, excl)) return;
    if (snapshot.size >= MAX_FILES) throw new JootError('EFORMAT', `${o.root}: too many files for Augeas (over ${MAX_FILES})`);
    const guest = guestOf(rel);
    let data: Buffer;
    try {
      if (!(await o.reader.isFile(guest))) return; // a directory, device, FIFO or a link leading nowhere in the guest
      const st = await o.reader.stat(guest);
      if (st.size > MAX_FILE_BYTES) {
        budget.warn(`${guest}: larger than ${MAX_FILE_BYTES / 1024 / 1024} MiB, not loaded`);
        return;
      }
      data = await o.reader.readFile(guest, { maxBytes: MAX_FILE_BYTES });
    } catch (e) {
      budget.warn(`${guest}: ${e instanceof Error ? e.message : String(e)}, not loaded`);
      return;
    }
    budget.bytes += data.length;
    if (budget.bytes > MAX_TOTAL_BYTES)
      throw new JootError('EFORMAT', `${o.root}: over ${MAX_TOTAL_BYTES / 1024 / 1024} MiB of files for Augeas`);
    const host = join(o.hostDir, rel);
    await mkdir(join(host, '..'), { recursive: true, mode: 0o700 });
    await writeFile(host, data, { mode: 0o600 });
    snapshot.set(rel, data);
  };

  // expand the components from index i below the directory rel
  const expand = async (rel: string, comps: readonly string[], i: number, depth = 0): Promise<void> => {
    const c = comps[i]!;
    const last = i === comps.length - 1;
    const here = (name: string): string => (rel === '' ? name : `${rel}/${name}`);
    if (c === '**') {
      if (!last) await expand(rel, comps, i + 1, depth);
      if (depth >= MAX_STARSTAR_DEPTH) return;
      for (const name of await list(rel)) {
        if (name.startsWith('.')) continue;
        if (await isDir(here(name))) await expand(here(name), comps, i, depth + 1);
      }
      return;
    }
    const names = GLOB.test(c) ? (await list(rel)).filter((n) => componentRegExp(c).test(n)) : [c.replace(/\\(.)/g, '$1')];
    for (const name of names) {
      if (last) await take(here(name));
      else if (await isDir(here(name))) {
        // the directory exists in the guest: Augeas may create files in it
        await mkdir(join(o.hostDir, here(name)), { recursive: true, mode: 0o700 });
        await expand(here(name), comps, i + 1, depth);
      }
    }
  };

  for (const glob of o.incl) {
    const comps = components(glob);
    if (comps.length > 0) await expand('', comps, 0);
  }
  return snapshot;
}

/** What augtool changed in hostDir since `before`: files written (new or changed) and files removed. */
export async function changesSince(hostDir: string, before: Snapshot): Promise<{ written: [string, Buffer][]; removed: string[] }> {
  const now = new Map<string, Buffer>();
  let seen = 0;
  const walk = async (rel: string): Promise<void> => {
    for (const name of await readdir(join(hostDir, rel))) {
      if (++seen > MAX_FILES * 4) throw new JootError('EIO', 'Augeas wrote too many files');
      const r = rel === '' ? name : `${rel}/${name}`;
      const st = await lstat(join(hostDir, r));
      if (st.isDirectory()) await walk(r);
      else if (st.isFile()) now.set(r, await readFile(join(hostDir, r)));
    }
  };
  await walk('');
  const written = [...now].filter(([rel, data]) => !before.get(rel)?.equals(data));
  const removed = [...before.keys()].filter((rel) => !now.has(rel));
  return { written, removed };
}
