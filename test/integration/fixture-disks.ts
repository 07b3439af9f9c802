// Shared by the fixture tests (fixtures.test.ts, fixtures-inspect.test.ts), which check the
// fixture images with tools independent of joot: a child-process runner, read-only loop devices
// and mounts (FixtureDisks), and readers (blkid -p, sfdisk --json, debugfs without mounting).
//
// FixtureDisks owns a private work directory and records every loop device, mount and btrfs
// registration it makes; release() undoes them all in reverse order (mounts, then btrfs
// registrations, then loop devices) and keeps going past a step that fails, so it also cleans up
// after a failed test. withDisk() releases when its callback ends, however it ends; close()
// releases and removes the work directory (afterAll).
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const MiB = 1024 * 1024;

// ---- running tools ------------------------------------------------------------------------------

export interface Result {
  code: number;
  stdout: Buffer;
  stderr: string;
}

/** Run cmd (LC_ALL=C); never rejects: a failure is a non-zero code (255 when it did not start). */
export function run(cmd: string, args: string[], env: Record<string, string> = {}): Promise<Result> {
  return new Promise((resolve) => {
    execFile(
      cmd,
      args,
      { encoding: 'buffer', maxBuffer: 256 * MiB, env: { ...process.env, LC_ALL: 'C', ...env } },
      (error, stdout, stderr) => {
        const code = error ? (typeof (error as { code?: unknown }).code === 'number' ? (error as { code: number }).code : 255) : 0;
        resolve({ code, stdout, stderr: stderr.toString('utf8') });
      },
    );
  });
}

/** Run cmd; its stdout as text, or throw with its stderr when it exits non-zero. */
export async function ok(cmd: string, args: string[], env: Record<string, string> = {}): Promise<string> {
  const r = await run(cmd, args, env);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.code}: ${r.stderr.trim()}`);
  return r.stdout.toString('utf8');
}

/** Whether cmd is installed in one of the usual system directories. */
export function have(cmd: string): boolean {
  return ['/usr/sbin', '/sbin', '/usr/bin', '/bin'].some((d) => existsSync(path.join(d, cmd)));
}

// ---- loop devices and mounts --------------------------------------------------------------------

export class FixtureDisks {
  /** Private work directory (mount points, copies, scratch images); removed by close(). */
  readonly work: string;
  readonly #loops: string[] = [];
  readonly #mounts: string[] = [];
  readonly #btrfsDevs: string[] = [];

  /** Creates the work directory, mkdtemp(tmpdir()/prefix). */
  constructor(prefix: string) {
    this.work = mkdtempSync(path.join(tmpdir(), prefix));
  }

  /** Loop devices attached and not yet detached. */
  get loops(): readonly string[] {
    return [...this.#loops];
  }

  /** Mount points mounted and not yet unmounted. */
  get mounts(): readonly string[] {
    return [...this.#mounts];
  }

  /** Read-only loop device over FILE (optionally a byte range); partitions added with partx. */
  async attach(file: string, opts: { offset?: number; size?: number; parts?: boolean } = {}): Promise<string> {
    const args = ['-f', '--show', '-r'];
    if (opts.offset !== undefined) args.push('--offset', String(opts.offset));
    if (opts.size !== undefined) args.push('--sizelimit', String(opts.size));
    const dev = (await ok('losetup', [...args, file])).trim();
    this.#loops.push(dev);
    if (opts.parts) await run('partx', ['-a', dev]); // fails harmlessly where the kernel already scanned
    return dev;
  }

  /** Detach a loop device of ours (others are left alone); it stays recorded if losetup -d fails. */
  async detach(dev: string): Promise<void> {
    if (!this.#loops.includes(dev)) return;
    await run('partx', ['-d', dev]);
    await ok('losetup', ['-d', dev]);
    this.#loops.splice(this.#loops.indexOf(dev), 1);
  }

  /** Mount dev read-only-as-asked (plus nosuid,nodev,noexec) on a new directory in the work dir. */
  async mountRo(dev: string, type: string, options: string): Promise<string> {
    const mnt = mkdtempSync(path.join(this.work, 'mnt-'));
    if (type === 'btrfs') this.#btrfsDevs.push(dev); // mounting registers the device, even on failure
    await ok('mount', ['-t', type, '-o', `${options},nosuid,nodev,noexec`, dev, mnt]);
    this.#mounts.push(mnt);
    return mnt;
  }

  /** Unmount a mount of ours (others are left alone); it stays recorded if umount fails. */
  async umount(mnt: string): Promise<void> {
    if (!this.#mounts.includes(mnt)) return;
    await ok('umount', [mnt]);
    this.#mounts.splice(this.#mounts.indexOf(mnt), 1);
  }

  /** Drop the kernel's btrfs registration of every btrfs device mounted so far. */
  async forgetBtrfs(): Promise<void> {
    for (const dev of this.#btrfsDevs.splice(0).reverse()) await run('btrfs', ['device', 'scan', '--forget', dev]);
  }

  /** Undo every mount, btrfs registration and loop device, newest first; keeps going past failures
   *  and then throws one error naming what could not be released (it stays recorded). */
  async release(): Promise<void> {
    const failed: string[] = [];
    for (const m of [...this.#mounts].reverse()) await this.umount(m).catch((e: unknown) => failed.push(String(e)));
    await this.forgetBtrfs();
    for (const l of [...this.#loops].reverse()) await this.detach(l).catch((e: unknown) => failed.push(String(e)));
    if (failed.length > 0) throw new Error(`could not release:\n${failed.join('\n')}`);
  }

  /** Run fn with a read-only loop device (partitions added) over file; always releases everything. */
  async withDisk<T>(file: string, fn: (dev: string) => Promise<T>): Promise<T> {
    const dev = await this.attach(file, { parts: true });
    let result: T;
    try {
      result = await fn(dev);
    } catch (e) {
      await this.release().catch(() => undefined); // fn's error matters more; close() retries
      throw e;
    }
    await this.release();
    return result;
  }

  /** release(), then remove the work directory (even when release() fails). */
  async close(): Promise<void> {
    try {
      await this.release();
    } finally {
      rmSync(this.work, { recursive: true, force: true });
    }
  }
}

// ---- readers ------------------------------------------------------------------------------------

/** blkid -p (low-level probe, no cache) as KEY -> value. */
export async function blkid(dev: string): Promise<Record<string, string>> {
  const r = await run('blkid', ['-p', '-o', 'export', dev]);
  const out: Record<string, string> = {};
  for (const line of r.stdout.toString('utf8').split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) out[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return out;
}

export interface SfdiskPart {
  node: string;
  start: number;
  size: number;
  type: string;
  uuid?: string;
  name?: string;
  bootable?: boolean;
}
export interface SfdiskTable {
  label: string;
  id: string;
  partitions: SfdiskPart[];
}
export async function sfdisk(file: string): Promise<SfdiskTable> {
  return (JSON.parse(await ok('sfdisk', ['--json', file])) as { partitiontable: SfdiskTable }).partitiontable;
}

/** Bytes of a file in an ext2/3/4 filesystem, through debugfs (no mount). */
export async function extBytes(dev: string, file: string): Promise<Buffer> {
  const r = await run('debugfs', ['-R', `cat "${file}"`, dev]);
  if (/File not found/.test(r.stderr)) throw new Error(`${file} not found on ${dev}`);
  return r.stdout;
}

/** Contents of a file in an ext2/3/4 filesystem as UTF-8 text. */
export async function extCat(dev: string, file: string): Promise<string> {
  return (await extBytes(dev, file)).toString('utf8');
}

export interface ExtStat {
  type: string; // regular, directory, symlink, FIFO, …
  size: number;
  blockcount: number;
  link?: string;
}
/** debugfs stat of a path; undefined when it does not exist. */
export async function extStat(dev: string, file: string): Promise<ExtStat | undefined> {
  const r = await run('debugfs', ['-R', `stat "${file}"`, dev]);
  if (/File not found/.test(r.stderr)) return undefined;
  const s = r.stdout.toString('utf8');
  return {
    type: /Type: (\S+)/.exec(s)?.[1] ?? '?',
    size: Number(/Size: (\d+)/.exec(s)?.[1]),
    blockcount: Number(/Blockcount: (\d+)/.exec(s)?.[1]),
    link: /Fast link dest: "(.*)"/.exec(s)?.[1],
  };
}
export async function extExists(dev: string, file: string): Promise<boolean> {
  return (await extStat(dev, file)) !== undefined;
}
/** Target of a fast (inline) symlink; undefined for anything else. */
export async function extLink(dev: string, file: string): Promise<string | undefined> {
  return (await extStat(dev, file))?.link;
}
/** Names in a directory, sorted, without . and .. */
export async function extLs(dev: string, dir: string): Promise<string[]> {
  const r = await run('debugfs', ['-R', `ls -p "${dir}"`, dev]);
  if (/File not found/.test(r.stderr)) throw new Error(`${dir} not found on ${dev}`);
  // ls -p: /inode/mode/uid/gid/name/size/
  return r.stdout
    .toString('utf8')
    .split('\n')
    .map((l) => l.split('/')[5] ?? '')
    .filter((n) => n !== '' && n !== '.' && n !== '..')
    .sort();
}
/** Copy a file or directory out of an ext filesystem into a new directory under intoDir
 *  (debugfs dump/rdump); returns the copy's path. */
export async function extCopy(dev: string, file: string, intoDir: string): Promise<string> {
  const dest = mkdtempSync(path.join(intoDir, 'copy-'));
  const st = await extStat(dev, file);
  if (!st) throw new Error(`${file} not found on ${dev}`);
  if (st.type === 'directory') {
    await ok('debugfs', ['-R', `rdump "${file}" "${dest}"`, dev]);
    return path.join(dest, path.basename(file));
  }
  const out = path.join(dest, path.basename(file));
  await ok('debugfs', ['-R', `dump "${file}" "${out}"`, dev]);
  return out;
}
