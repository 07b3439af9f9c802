// Every operation record's own tests (libguestfs's per-action `tests = [...]`): each test gets
// a fresh prepared disk (a copy of a template made once per kind with jfish's -N code), its
// filesystems mounted, its `setup` lines run through jfish's dispatcher, then the operation;
// what jfish prints must equal `expect`, or the error must match `error`. Each test runs in a
// fresh empty host directory (its working directory), for the host side of transfers and the
// host files it names (disk-create).
// The tests run OP_CONCURRENCY at a time (vitest's maxConcurrency, set for the integration
// project in vitest.config.ts): each has its own disk copy and session, and sessions attach
// loop devices, mount and scan LVM (read-only, device-filtered) per session, as two jfish
// processes would. The working directory is one per process, so the tests that reach host files
// (hostTouching) take turns holding it; the others never name a host path and run beside them.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, type ExpectStatic, it } from 'vitest';
import { Session } from '../../src/appliance/session.js';
import { oneLine } from '../../src/core/errors.js';
import { BufferWriter } from '../../src/core/output.js';
import { inspectionRecords } from '../../src/inspect/records/index.js';
import { erase, type Op, type OpTest } from '../../src/ops/op.js';
import { createPrepared, layOutPrepared, parsePrepared } from '../../src/ops/prepared.js';
import { opRecords } from '../../src/ops/records/index.js';
import { makeCtx, runScript } from '../../src/tools/jfish/dispatch.js';
import { PROGRAM_ONLY_COMMANDS, sandboxMisfit } from '../../src/tools/jfish/sandbox-fit.js';
import { Sessions } from '../../src/tools/jfish/startup.js';
import { table } from '../../src/tools/jfish/table.js';
import { fixture } from '../fixtures/index.js';
import { FIXTURE_DISKS } from './op-disks.js';

const execFileAsync = promisify(execFile);
const root = process.getuid?.() === 0;
const all: Op[] = [...opRecords, ...inspectionRecords].map((op) => erase(op as never));
const work = mkdtempSync(join(tmpdir(), 'op-records-'));
const templates = new Map<string, Promise<string>>();
let copies = 0;

afterAll(() => rmSync(work, { recursive: true, force: true }));

/**
 * The tests' prepared disks are 100M (boot partitions 32M) unless a test names a size: smaller
 * than guestfish's -N defaults (1G, 128M), quicker to copy, and what their expectations count.
 */
const TEST_DISK_SIZES = { size: '100M', bootsize: '32M' } as const;

/** Where each prepared kind's filesystems are mounted for the test (guestfish's -m). */
const MOUNTS: Record<string, [string, string][]> = {
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
const READONLY_KINDS = new Set(['iso']);

function kindOf(disk: string): string {
  return disk.split(':')[0]!;
}

/** The template image of a disk spec, made once; a fixture for the kinds of FIXTURE_DISKS. */
function template(disk: string): Promise<string> {
  let t = templates.get(disk);
  if (!t) {
    t = (async () => {
      const fixed = FIXTURE_DISKS[disk];
      if (fixed) return fixture(fixed);
      const file = join(work, `template-${templates.size}.img`);
      const prepared = parsePrepared(`${file}=${disk}`, 0, TEST_DISK_SIZES);
      const created: string[] = [];
      await createPrepared([{ prepared }], false, created);
      const sessions = new Sessions(() => new Session());
      sessions.addDrive(file, { format: 'raw', readonly: false });
      try {
        await layOutPrepared(sessions.session, [{ prepared }], created);
        // the root filesystem of a bootroot disk gets its /boot mount point
        const root = MOUNTS[kindOf(disk)]?.[0];
        if (root && MOUNTS[kindOf(disk)]!.length > 1) {
          const r = await jfish(sessions, false, [['mount', ...root], ['mkdir', '/boot'], ['umount-all']]);
          if (r.error) throw new Error(`template ${disk}: ${r.error}`);
        }
      } finally {
        await sessions.close();
      }
      return file;
    })();
    templates.set(disk, t);
  }
  return t;
}

/** Run jfish lines on a session; what they print, or the error's one line. */
async function jfish(sessions: Sessions, readonly: boolean, lines: readonly (readonly string[])[]) {
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

function title(op: Op, t: OpTest): string {
  return t.title ?? `${op.name} ${t.args.map((a) => JSON.stringify(a)).join(' ')}`.trim();
}

/** Whether a test's lines may name host files (relative to the working directory). */
function hostTouching(op: Op, t: OpTest): boolean {
  const commands = [[op.name, ...t.args], ...(t.setup ?? []), ...(t.after ?? []), ...(t.check ? [t.check.run] : [])]
    .map((l) => [...l])
    .filter((l) => !PROGRAM_ONLY_COMMANDS.has(l[0]!)); // they start a host program, name no host file
  const shape = { readonly: true, listen: false, interactive: false, scriptFile: false, commands };
  return sandboxMisfit(table, shape) !== undefined;
}

/** One holder at a time of the process's working directory. */
let cwdHeld: Promise<void> = Promise.resolve();
async function inOwnCwd<T>(dir: string, fn: () => Promise<T>): Promise<T> {
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

function matches(expect: ExpectStatic, actual: string, want: string | RegExp): void {
  if (typeof want === 'string') expect(actual.replace(/\n$/, '')).toBe(want);
  else expect(actual).toMatch(want);
}

describe.skipIf(!root)('operation records: their own tests on fresh prepared disks', () => {
  for (const op of all) {
    describe.concurrent(op.name, () => {
      for (const t of op.tests) {
        it(title(op, t), { timeout: 300_000 }, async ({ expect }) => {
          const disk = t.disk ?? 'fs';
          const file = join(work, `disk-${copies++}.img`);
          await execFileAsync('cp', ['--sparse=always', await template(disk), file]);
          const readonly = t.readonly ?? READONLY_KINDS.has(kindOf(disk));
          const engine = READONLY_KINDS.has(kindOf(disk)) ? 'userspace' : undefined;
          const sessions = new Sessions(() => new Session({ engine }));
          sessions.addDrive(file, { format: 'raw', readonly });
          // a fresh host directory as the working directory: the test's relative host paths
          // (download /f local.txt, tar-out /d d.tar) land there and go with it
          const host = mkdtempSync(join(work, 'host-'));
          const body = async () => {
            await sessions.session.launch();
            const mount = readonly ? 'mount-ro' : 'mount';
            const mounts = (MOUNTS[kindOf(disk)] ?? []).map(([dev, at]) => [mount, dev, at]);
            const before = await jfish(sessions, readonly, [...mounts, ...(t.setup ?? [])]);
            expect(before.error, 'setup').toBeUndefined();
            const r = await jfish(sessions, readonly, [[op.name, ...t.args]]);
            if (t.error) {
              expect(r.error, 'the operation should fail').toBeDefined();
              expect(r.error).toMatch(t.error);
            } else {
              expect(r.error, 'the operation failed').toBeUndefined();
              if (t.expect !== undefined) matches(expect, r.out, t.expect);
            }
            if (t.after) {
              const a = await jfish(sessions, readonly, t.after);
              expect(a.error, 'after').toBeUndefined();
            }
            if (t.check) {
              const c = await jfish(sessions, readonly, [t.check.run]);
              expect(c.error, 'check').toBeUndefined();
              matches(expect, c.out, t.check.expect);
            }
          };
          try {
            await (hostTouching(op, t) ? inOwnCwd(host, body) : body());
          } finally {
            await sessions.close();
            rmSync(file, { force: true });
          }
        });
      }
    });
  }
});
