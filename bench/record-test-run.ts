// Running one operation record's own test (OpTest) as test/integration/op-records.test.ts runs it
// and as the bench times the embedded suite: a fresh copy of the test's prepared disk, a session
// on it, its filesystems mounted, the setup lines, the operation, the after lines, the check.
// Shared by both, so that the bench times exactly what the suite runs.
import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { promisify } from 'node:util';
import { Session } from '../src/appliance/session.js';
import { oneLine } from '../src/core/errors.js';
import { BufferWriter } from '../src/core/output.js';
import type { Op, OpTest } from '../src/ops/op.js';
import { createPrepared, layOutPrepared, parsePrepared } from '../src/ops/prepared.js';
import { makeCtx, runScript } from '../src/tools/jfish/dispatch.js';
import { PROGRAM_ONLY_COMMANDS, sandboxMisfit } from '../src/tools/jfish/sandbox-fit.js';
import { Sessions } from '../src/tools/jfish/startup.js';
import { table } from '../src/tools/jfish/table.js';

const execFileAsync = promisify(execFile);

/**
 * The tests' prepared disks are 100M (boot partitions 32M) unless a test names a size: smaller
 * than guestfish's -N defaults (1G, 128M), quicker to copy, and what their expectations count.
 */
export const TEST_DISK_SIZES = { size: '100M', bootsize: '32M' } as const;

/**
 * The tests' disks that are fixtures (test/fixtures/README.md) rather than `jfish -N` prepared
 * kinds: an OpTest's `disk` may name one of these.
 */
export const FIXTURE_DISKS: Readonly<Record<string, string>> = {
  /** Debian 12 in 8 MiB: sda1 /boot, sda2 /; its echo and dash lack their libraries */
  sample: 'sample.raw',
  /** a debootstrapped Debian 12 whose programs run: sda1 /, sda2 /usr */
  'debian-usr': 'debian-usr.raw',
  /** Arch Linux in 32 MiB, sda1 /: its os-release has a BUILD_ID (rolling) */
  arch: 'arch.raw',
  /** a phony Windows 10 with real registry hives: sda1 C: (NTFS), sda2 D: */
  win10: 'win10.raw',
  /** libguestfs's InitISOFS disk (its test-data test.iso): the whole ISO mounted read-only at / */
  iso: 'guestfs-test.iso',
};

/** Where each disk kind's filesystems are mounted for the test (guestfish's -m). */
export const MOUNTS: Readonly<Record<string, readonly [string, string][]>> = {
  fs: [['/dev/sda1', '/']],
  lvfs: [['/dev/VG/LV', '/']],
  bootroot: [
    ['/dev/sda2', '/'],
    ['/dev/sda1', '/boot'],
  ],
  bootrootlv: [
    ['/dev/VG/LV', '/'],
    ['/dev/sda1', '/boot'],
  ],
  sample: [
    ['/dev/sda2', '/'],
    ['/dev/sda1', '/boot'],
  ],
  'debian-usr': [
    ['/dev/sda1', '/'],
    ['/dev/sda2', '/usr'],
  ],
  win10: [['/dev/sda1', '/']],
  arch: [['/dev/sda1', '/']],
  iso: [['/dev/sda', '/']],
};

/**
 * Kinds whose drive is added and mounted read-only (libguestfs adds test.iso with add_drive_ro),
 * on the userspace engine (its iso9660 reader: hosts without the kernel driver mount it too).
 */
export const READONLY_KINDS = new Set(['iso']);

export function kindOf(disk: string): string {
  return disk.split(':')[0]!;
}

/** Run jfish lines on a session; what they print, or the error's one line. */
export async function jfishLines(sessions: Sessions, readonly: boolean, lines: readonly (readonly string[])[]) {
  const out = new BufferWriter();
  const ctx = makeCtx({ sessions, out, readonly, table });
  try {
    await runScript(
      ctx,
      lines.map((l) => [...l]),
    );
    return { out: out.text(), error: undefined };
  } catch (e) {
    return { out: out.text(), error: oneLine(e) };
  }
}

/** Make the template image of a prepared disk spec (`jfish -N` kinds) as `file`. */
export async function makePreparedTemplate(disk: string, file: string): Promise<void> {
  const prepared = parsePrepared(`${file}=${disk}`, 0, TEST_DISK_SIZES);
  const created: string[] = [];
  await createPrepared([{ prepared }], false, created);
  const sessions = new Sessions(() => new Session());
  sessions.addDrive(file, { format: 'raw', readonly: false });
  try {
    await layOutPrepared(sessions.session, [{ prepared }], created);
    // the root filesystem of a bootroot disk gets its /boot mount point
    const mounts = MOUNTS[kindOf(disk)];
    if (mounts && mounts.length > 1) {
      const r = await jfishLines(sessions, false, [['mount', ...mounts[0]!], ['mkdir', '/boot'], ['umount-all']]);
      if (r.error) throw new Error(`template ${disk}: ${r.error}`);
    }
  } finally {
    await sessions.close();
  }
}

function mismatch(what: string, actual: string, want: string | RegExp): string | undefined {
  if (typeof want === 'string') {
    const got = actual.replace(/\n$/, '');
    return got === want ? undefined : `${what} printed ${JSON.stringify(got)}, not ${JSON.stringify(want)}`;
  }
  return want.test(actual) ? undefined : `${what} printed ${JSON.stringify(actual)}, which does not match ${want}`;
}

/**
 * Run one test on a copy (`file`) of its disk's template; undefined when it passed, else what
 * went wrong, in one line. The copy is removed afterwards.
 */
export async function runRecordTest(op: Op, t: OpTest, template: string, file: string): Promise<string | undefined> {
  const disk = t.disk ?? 'fs';
  await execFileAsync('cp', ['--sparse=always', template, file]);
  const readonly = t.readonly ?? READONLY_KINDS.has(kindOf(disk));
  const engine = t.engine ?? (READONLY_KINDS.has(kindOf(disk)) ? 'userspace' : undefined);
  const sessions = new Sessions(() => new Session({ engine }));
  sessions.addDrive(file, { format: 'raw', readonly });
  try {
    await sessions.session.launch();
    const mount = readonly ? 'mount-ro' : 'mount';
    const mounts = (MOUNTS[kindOf(disk)] ?? []).map(([dev, at]) => [mount, dev, at]);
    const before = await jfishLines(sessions, readonly, [...mounts, ...(t.setup ?? [])]);
    if (before.error) return `setup failed: ${before.error}`;
    const r = await jfishLines(sessions, readonly, [[op.name, ...t.args]]);
    if (t.error) {
      if (r.error === undefined) return `the operation should fail (with ${t.error}) but printed ${JSON.stringify(r.out)}`;
      if (!t.error.test(r.error)) return `the operation failed with ${JSON.stringify(r.error)}, which does not match ${t.error}`;
    } else {
      if (r.error !== undefined) return `the operation failed: ${r.error}`;
      if (t.expect !== undefined) {
        const wrong = mismatch('the operation', r.out, t.expect);
        if (wrong) return wrong;
      }
    }
    if (t.after) {
      const a = await jfishLines(sessions, readonly, t.after);
      if (a.error) return `after failed: ${a.error}`;
    }
    if (t.check) {
      const c = await jfishLines(sessions, readonly, [t.check.run]);
      if (t.check.error) {
        if (c.error === undefined) return `the check ${t.check.run.join(' ')} should fail but printed ${JSON.stringify(c.out)}`;
        if (!t.check.error.test(c.error)) return `the check failed with ${JSON.stringify(c.error)}, which does not match ${t.check.error}`;
      } else {
        if (c.error) return `the check failed: ${c.error}`;
        const wrong = mismatch(`the check ${t.check.run.join(' ')}`, c.out, t.check.expect);
        if (wrong) return wrong;
      }
    }
    return undefined;
  } finally {
    await sessions.close();
    rmSync(file, { force: true });
  }
}

/** The test's title in the suite (the operation and its arguments, unless it has one). */
export function testTitle(op: Op, t: OpTest): string {
  return t.title ?? `${op.name} ${t.args.map((a) => JSON.stringify(a)).join(' ')}`.trim();
}

/** Whether a test's lines may name host files (relative to the working directory). */
export function hostTouching(op: Op, t: OpTest): boolean {
  const commands = [[op.name, ...t.args], ...(t.setup ?? []), ...(t.after ?? []), ...(t.check ? [t.check.run] : [])]
    .map((l) => [...l])
    .filter((l) => !PROGRAM_ONLY_COMMANDS.has(l[0]!)); // they start a host program, name no host file
  const shape = { readonly: true, listen: false, interactive: false, scriptFile: false, commands };
  return sandboxMisfit(table, shape) !== undefined;
}

/** One holder at a time of the process's working directory. */
let cwdHeld: Promise<void> = Promise.resolve();
export async function inOwnCwd<T>(dir: string, fn: () => Promise<T>): Promise<T> {
  const previous = cwdHeld;
  let release!: () => void;
  cwdHeld = new Promise((r) => {
    release = r;
  });
  await previous;
  const cwd = process.cwd();
  process.chdir(dir);
  try {
    return await fn();
  } finally {
    process.chdir(cwd);
    release();
  }
}
