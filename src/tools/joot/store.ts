// joot's store: the images it knows and the joots made from them, under joot_home.
//
//   JOOT_HOME/
//     .lock/                 the store lock (lock.ts): held while the store changes (create's
//                            final rename, delete, rename, image add/rm, save's registration, purge)
//     images/NAME.json       a registered image: { name, path, format, managed, added, source, os }
//     images/NAME.qcow2|raw  an image joot made itself (image build, save): "managed", mode 0444,
//                            removed by `image rm`; images added with `image add` stay where they are
//     joots/NAME/meta.json   one joot: { name, id, image, base, baseFormat, created }
//     joots/NAME/disk.qcow2  its copy-on-write overlay: qemu-img create -f qcow2 -b BASE -F FMT.
//                            The base is only ever opened read-only, as a backing file.
//     joots/NAME/resolv.json present only while a holder has put the host's resolv.conf in place
//                            of a guest's missing or symlinked one: how to restore it (see holder.ts)
//     .tmp/KIND-PID-START-X  work directories of commands in flight, renamed into place when done;
//                            those of dead processes are removed by the next command (cleanup)
//     .trash/                joots being deleted: renamed here atomically, then removed
//
// Everything that becomes visible does so by one rename(2), so a command killed at any point
// leaves either the old state or the new one (plus a work directory the next command removes).
// Per joot, in the run directory (RUN = $JOOT_RUN_DIR or /run/joot; ID is the joot's id, which
// survives a rename): RUN/joot/ID.lock/ (the joot's lock: enter, delete, rename, save),
// RUN/joot/ID.json (its live holder: pid, start time, enters in) and RUN/joot/ID.sock (the
// holder's socket).
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync, lstatSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { JootError } from '../../core/errors.js';
import { processStart, runDir } from '../../appliance/registry.js';
import type { JootConfig } from '../config.js';
import { checkName } from './args.js';
import { acquire, alive, withLock, type Lock } from '../../core/dir-lock.js';

export interface ImageEntry {
  name: string;
  /** absolute, symlink-resolved path */
  path: string;
  format: string;
  /** made by joot (image build, save): the file is joot's and goes with `image rm` */
  managed: boolean;
  added: string;
  /** how it was made: `debootstrap bookworm`, `save of NAME`, `added` */
  source?: string;
  /** cached inspection, valid while the file's size and mtime are these */
  os?: { summary: string; arch?: string; size: number; mtimeMs: number };
  /** found through image_path, not registered */
  found?: boolean;
}

/** A joot's holder, as its state file RUN/joot/ID.json says (holder.ts writes it). */
export interface HolderState {
  pid: number;
  start: string;
  /** the enters in it: 0 while the joot is kept ready after its last exit */
  clients: number;
}

export interface JootMeta {
  name: string;
  id: string;
  /** the image's name (or its path, when made from a path) */
  image: string;
  /** the backing file: absolute path */
  base: string;
  baseFormat: string;
  created: string;
}

export class Store {
  readonly home: string;
  constructor(readonly config: JootConfig) {
    this.home = config.joot_home;
  }

  get imagesDir(): string {
    return join(this.home, 'images');
  }
  get jootsDir(): string {
    return join(this.home, 'joots');
  }
  get tmpDir(): string {
    return join(this.home, '.tmp');
  }
  get trashDir(): string {
    return join(this.home, '.trash');
  }

  jootDir(name: string): string {
    return join(this.jootsDir, name);
  }
  diskOf(name: string): string {
    return join(this.jootDir(name), 'disk.qcow2');
  }

  /** Make the top directories (mode 0700: joots hold whole systems). */
  ensure(): void {
    for (const d of [this.home, this.imagesDir, this.jootsDir, this.tmpDir]) mkdirSync(d, { recursive: true, mode: 0o700 });
  }

  /** Hold the store lock while `fn` runs. */
  locked<T>(fn: () => Promise<T>): Promise<T> {
    this.ensure();
    return withLock(join(this.home, '.lock'), { what: `the joot store ${this.home}` }, fn);
  }

  /** A fresh work directory under .tmp (same filesystem: renamed into place when done). */
  workDir(kind: string): string {
    this.ensure();
    const dir = join(this.tmpDir, `${kind}-${process.pid}-${processStart(process.pid) ?? 0}-${randomBytes(3).toString('hex')}`);
    mkdirSync(dir, { mode: 0o700 });
    return dir;
  }

  // ------------------------------------------------------------ joots

  exists(name: string): boolean {
    return existsSync(join(this.jootDir(name), 'meta.json'));
  }

  /** The joot's metadata; ENOENT (one line, exit 1) when there is none. */
  meta(name: string): JootMeta {
    checkName('joot', name);
    let text: string;
    try {
      text = readFileSync(join(this.jootDir(name), 'meta.json'), 'utf8');
    } catch {
      throw new JootError('ENOENT', `${name}: no such joot`);
    }
    const m = JSON.parse(text) as JootMeta;
    return { ...m, name };
  }

  writeMeta(dir: string, m: JootMeta): void {
    writeFileSync(join(dir, 'meta.json.tmp'), `${JSON.stringify(m, null, 2)}\n`);
    renameSync(join(dir, 'meta.json.tmp'), join(dir, 'meta.json'));
  }

  joots(): JootMeta[] {
    let names: string[];
    try {
      names = readdirSync(this.jootsDir);
    } catch {
      return [];
    }
    const out: JootMeta[] = [];
    for (const n of names.sort()) {
      try {
        out.push(this.meta(n));
      } catch {
        /* not a joot (a stray file) */
      }
    }
    return out;
  }

  // ------------------------------------------------------------ images

  imageEntry(name: string): ImageEntry | undefined {
    try {
      return { ...(JSON.parse(readFileSync(join(this.imagesDir, `${name}.json`), 'utf8')) as ImageEntry), name };
    } catch {
      return undefined;
    }
  }

  writeImageEntry(e: ImageEntry): void {
    const { found: _found, ...rest } = e;
    void _found;
    const file = join(this.imagesDir, `${e.name}.json`);
    writeFileSync(`${file}.tmp`, `${JSON.stringify(rest, null, 2)}\n`);
    renameSync(`${file}.tmp`, file);
  }

  registeredImages(): ImageEntry[] {
    let files: string[];
    try {
      files = readdirSync(this.imagesDir);
    } catch {
      return [];
    }
    return files
      .filter((f) => f.endsWith('.json'))
      .map((f) => this.imageEntry(f.slice(0, -5)))
      .filter((e): e is ImageEntry => e !== undefined)
      .sort((a, b) => (a.name < b.name ? -1 : 1));
  }

  // ------------------------------------------------------------ per-joot run state

  static runStateDir(): string {
    return join(runDir(), 'joot');
  }
  static lockDir(id: string): string {
    return join(Store.runStateDir(), `${id}.lock`);
  }
  static holderFile(id: string): string {
    return join(Store.runStateDir(), `${id}.json`);
  }
  static socketPath(id: string): string {
    return join(Store.runStateDir(), `${id}.sock`);
  }

  /** The joot's lock (enter, delete, rename, save). */
  static lockJoot(id: string, name: string, waitMs?: number): Promise<Lock> {
    return acquire(Store.lockDir(id), { what: `joot ${name}`, waitMs });
  }

  /** The live holder of joot `id`, or undefined. */
  static holder(id: string): HolderState | undefined {
    try {
      const h = JSON.parse(readFileSync(Store.holderFile(id), 'utf8')) as Partial<HolderState> & { pid: number; start: string };
      // a state file without the count (an older holder) counts as entered
      return alive(h.pid, h.start) ? { pid: h.pid, start: h.start, clients: h.clients ?? 1 } : undefined;
    } catch {
      return undefined;
    }
  }

  /** The ids of the joots with a holder state file (live or left by a dead holder). */
  static holderIds(): string[] {
    try {
      return readdirSync(Store.runStateDir()).flatMap((f) => /^([0-9a-f]+)\.json$/.exec(f)?.[1] ?? []);
    } catch {
      return [];
    }
  }
}

/** Bytes a path takes on disk (allocated blocks, recursively; sparse files count what they use). */
export function diskUsage(path: string): number {
  let st;
  try {
    st = lstatSync(path);
  } catch {
    return 0;
  }
  let n = st.blocks * 512;
  if (st.isDirectory()) for (const e of readdirSync(path)) n += diskUsage(join(path, e));
  return n;
}

/** Remove work directories under .tmp whose process is gone (a command killed midway). */
export function removeDeadWork(store: Store): number {
  let n = 0;
  let entries: string[];
  try {
    entries = readdirSync(store.tmpDir);
  } catch {
    return 0;
  }
  for (const e of entries) {
    const m = /^[a-z]+-(\d+)-(\d+)-/.exec(e);
    if (!m || alive(Number(m[1]), m[2])) continue;
    rmSync(join(store.tmpDir, e), { recursive: true, force: true });
    n++;
  }
  try {
    for (const e of readdirSync(store.trashDir)) {
      rmSync(join(store.trashDir, e), { recursive: true, force: true });
      n++;
    }
  } catch {
    /* no trash */
  }
  return n;
}

/** Is `path` a directory. */
export function isDir(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
