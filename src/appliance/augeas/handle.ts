// guestfish's Augeas handle: one augtool co-process per session, over a private copy of the
// guest files the lenses name (fetch.ts). aug-load copies them again and reloads; aug-save
// saves into the copy and writes back, through the guest-rooted writer, only the files
// Augeas changed (new ones too: .augnew / .augsave where the flags ask for them). The
// co-process and the copy are held on the session's cleanup stack: close, crash or SIGINT
// releases them.
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JootError } from '../../core/errors.js';
import { processStart } from '../../core/processes.js';
import { leaveSandbox } from '../../core/sandbox.js';
import type { Session } from '../session.js';
import { Augtool, augQuote } from './augtool.js';
import { changesSince, fetchFiles, type Snapshot } from './fetch.js';

/** aug-init's flags, as augeas.h numbers them. */
export const AUG_SAVE_BACKUP = 1;
export const AUG_SAVE_NEWFILE = 2;
export const AUG_TYPE_CHECK = 4;
export const AUG_NO_STDINC = 8;
export const AUG_SAVE_NOOP = 16;
export const AUG_NO_LOAD = 32;
export const AUG_NO_MODL_AUTOLOAD = 64;
export const AUG_ENABLE_SPAN = 128;
const ALL_FLAGS = 1023;

/** The words of one Augeas command: the command name, then its arguments (quoted when sent). */
type Words = readonly [string, ...string[]];

/** Augeas's error text (several lines, "error: " prefixes) as one line. */
function oneLineOf(err: string): string {
  return err
    .split('\n')
    .map((l) => l.replace(/^error: /, '').trim())
    .filter((l) => l !== '' && l !== 'Failed to execute command')
    .join(': ');
}

export class AugeasHandle {
  private closed = false;
  private constructor(
    private readonly session: Session,
    private readonly aug: Augtool,
    private readonly root: string,
    private readonly hostDir: string,
    private snapshot: Snapshot,
  ) {}

  /** aug-init: a new handle over the guest directory `root`. */
  static async open(session: Session, root: string, flags: number, warn: (m: string) => void): Promise<AugeasHandle> {
    if (!Number.isInteger(flags) || flags < 0 || flags > ALL_FLAGS)
      throw new JootError('EINVAL', `${flags}: not a set of Augeas flags (0 to ${ALL_FLAGS})`);
    if (!(await session.reader.isDir(root))) throw new JootError('EINVAL', `${root}: not a directory`);
    // augtool is a program and its copy a host directory: the read-only tools' sandbox allows neither
    leaveSandbox('Augeas (augtool)');
    const hostDir = await mkdtemp(join(process.env.JOOT_TMPDIR ?? tmpdir(), 'joot-augeas-'));
    let released = false;
    const removeDir = async (): Promise<void> => {
      if (released) return;
      released = true;
      await rm(hostDir, { recursive: true, force: true });
    };
    session.hold({ kind: 'dir', path: hostDir }, removeDir);
    const options = ['--root', hostDir, '--noload'];
    if (flags & AUG_SAVE_BACKUP) options.push('--backup');
    if (flags & AUG_SAVE_NEWFILE) options.push('--new');
    if (flags & AUG_TYPE_CHECK) options.push('--typecheck');
    if (flags & AUG_NO_STDINC) options.push('--nostdinc');
    if (flags & AUG_NO_MODL_AUTOLOAD) options.push('--noautoload');
    if (flags & AUG_ENABLE_SPAN) options.push('--span');
    const aug = Augtool.start(options);
    const pid = aug.pid;
    // (no pid: it could not start, and the first command says why)
    if (pid !== undefined) session.hold({ kind: 'helper', name: 'augtool', pid, start: processStart(pid) ?? '' }, () => aug.close());
    const h = new AugeasHandle(session, aug, root, hostDir, new Map());
    try {
      // NEWFILE wins over BACKUP, as in Augeas
      if (flags & AUG_SAVE_NOOP) await h.run(['set', '/augeas/save', 'noop']);
      if (!(flags & AUG_NO_LOAD)) await h.load(warn);
    } catch (e) {
      await h.close();
      throw e;
    }
    return h;
  }

  /** Run one command; Augeas's error becomes a one-line JootError. Returns what it printed. */
  async run(words: Words): Promise<string> {
    if (this.closed) throw new JootError('ESTATE', 'the Augeas handle is closed');
    const [cmd, ...args] = words;
    const r = await this.aug.command([cmd, ...args.map(augQuote)].join(' '));
    if (r.err.trim() !== '') throw new JootError('EINVAL', oneLineOf(r.err) || 'Augeas failed');
    return r.out;
  }

  /** The value of a path (undefined: no value), or an error when it matches no node or several. */
  async get(path: string): Promise<string | undefined> {
    const out = await this.run(['get', path]);
    if (out === `${path} (o)\n`) throw new JootError('ENOENT', `${path}: no matching node`);
    if (out === `${path} (none)\n`) return undefined;
    const prefix = `${path} = `;
    if (!out.startsWith(prefix) || !out.endsWith('\n')) throw new JootError('EIO', `augtool's answer to get ${path} is not understood`);
    return out.slice(prefix.length, -1);
  }

  /** How many nodes an expression matches (0 for one that is not a node set). */
  async count(expr: string): Promise<number> {
    let out: string;
    try {
      out = await this.run(['count', expr]);
    } catch (e) {
      if (e instanceof JootError && /type error/.test(e.message)) return 0;
      throw e;
    }
    if (/^\s*no matches\s*$/.test(out)) return 0;
    const m = /^\s*(\d+) match(es)?\s*$/.exec(out);
    if (!m) throw new JootError('EIO', `augtool's answer to count ${expr} is not understood`);
    return Number(m[1]);
  }

  /** The paths an expression matches, each naming one node. */
  async match(expr: string): Promise<string[]> {
    return (await this.matchValues(expr)).map(([p]) => p);
  }

  /** The paths an expression matches with their values (a value that holds a line break: its first line). */
  private async matchValues(expr: string): Promise<[string, string][]> {
    const n = await this.count(expr);
    if (n === 0) return [];
    const out = await this.run(['match', expr]);
    // "PATH = VALUE" or "PATH = (none)", one a line; a line not starting with '/' continues a
    // value that holds a line break. Augeas escapes '=' in the labels of paths it prints.
    const found: [string, string][] = [];
    for (const line of out.split('\n')) {
      if (!line.startsWith('/')) continue;
      const at = line.indexOf(' = ');
      if (at > 0) found.push([line.slice(0, at), line.slice(at + 3)]);
    }
    if (found.length !== n)
      throw new JootError('EIO', `${expr}: the matches cannot be told apart (a value holds a line break that looks like a path)`);
    return found;
  }

  /** aug-load: copy the files the filters name now, and (re)load them. */
  async load(warn: (m: string) => void): Promise<void> {
    const incl = await this.values('/augeas/load/*/incl');
    const excl = await this.values('/augeas/load/*/excl');
    for (const name of await readdir(this.hostDir)) await rm(join(this.hostDir, name), { recursive: true, force: true });
    this.snapshot = await fetchFiles({ reader: this.session.reader, root: this.root, hostDir: this.hostDir, incl, excl, warn });
    // Augeas re-reads only files whose mtime (in whole seconds) changed since its last load; the
    // copies were all written again just now, maybe in the same second as the last ones
    await this.run(['setm', '/augeas/files//*[mtime]', 'mtime', '0']);
    await this.run(['load']);
    for (const e of await this.match('/augeas/files//error')) warn(await this.describeError(e));
  }

  /** aug-save: save into the copy, then write back what changed; returns the guest paths written. */
  async save(): Promise<string[]> {
    const writer = this.session.writer;
    if (writer.isReadonly) throw new JootError('EPERM', 'refused on a read-only session: aug-save writes the guest');
    try {
      await this.run(['save']);
    } catch (e) {
      const errors = await this.match('/augeas/files//error').catch(() => [] as string[]);
      if (errors.length > 0) throw new JootError('EINVAL', `Augeas save failed: ${await this.describeError(errors[0]!)}`);
      throw e;
    }
    const { written, removed } = await changesSince(this.hostDir, this.snapshot);
    const done: string[] = [];
    for (const [rel, data] of written) {
      const guest = this.guestOf(rel);
      // a file Augeas created gets what Augeas gives a new file; one it replaced keeps its mode and owner
      await writer.writeAtomic(guest, data, this.snapshot.has(rel) ? {} : { mode: 0o644 });
      this.snapshot.set(rel, data);
      done.push(guest);
    }
    for (const rel of removed) {
      await writer.rm(this.guestOf(rel), { force: true });
      this.snapshot.delete(rel);
      done.push(this.guestOf(rel));
    }
    return done;
  }

  /** Stop the co-process and remove the copy (idempotent). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.aug.close();
    } finally {
      await rm(this.hostDir, { recursive: true, force: true });
    }
  }

  private guestOf(rel: string): string {
    return `${this.root.replace(/\/+$/, '')}/${rel}`;
  }

  /** The values of the nodes an expression matches (of one line, as the filters' globs are). */
  private async values(expr: string): Promise<string[]> {
    return (await this.matchValues(expr)).map(([, v]) => v).filter((v) => v !== '(none)');
  }

  /** "/etc/hosts: parse_failed at line 1, char 7: Iterated lens matched less than it should" */
  private async describeError(errorPath: string): Promise<string> {
    const file = errorPath.replace(/^\/augeas\/files/, '').replace(/\/error$/, '');
    const field = async (f: string): Promise<string | undefined> => {
      const p = `${errorPath}/${f}`;
      return (await this.count(p)) === 1 ? this.get(p) : undefined;
    };
    const kind = (await this.get(errorPath)) ?? 'error';
    const [line, char, message] = [await field('line'), await field('char'), await field('message')];
    const at = line !== undefined ? ` at line ${line}${char !== undefined ? `, char ${char}` : ''}` : '';
    return `${this.guestOf(file.replace(/^\//, ''))}: ${kind}${at}${message ? `: ${message}` : ''}`;
  }
}

const handles = new WeakMap<Session, AugeasHandle>();

/** The session's Augeas handle, or the error guestfish gives without one. */
export function augeasHandle(session: Session): AugeasHandle {
  const h = handles.get(session);
  if (!h) throw new JootError('ESTATE', 'no Augeas handle: call aug-init first');
  return h;
}

/** aug-init: replaces (closes) the session's handle, if any. */
export async function augeasInit(session: Session, root: string, flags: number, warn: (m: string) => void): Promise<void> {
  await augeasClose(session);
  handles.set(session, await AugeasHandle.open(session, root, flags, warn));
}

/** aug-close: false when there was no handle. */
export async function augeasClose(session: Session): Promise<boolean> {
  const h = handles.get(session);
  if (!h) return false;
  handles.delete(session);
  await h.close();
  return true;
}
