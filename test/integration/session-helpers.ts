// Shared harness of the Session integration tests (test/integration/session-*.test.ts): real
// fixture images, real loop devices, mounts and helper processes, no mocks.
//
// Each test file makes one Harness. It gives the file
//   - a private work directory on the fixtures' filesystem, holding hard links to the fixtures
//     (unique paths for the same bytes, so a loop device over "our" image is told apart from
//     one made by another test file running in parallel) and real copies for read-write tests;
//   - optionally a private JOOT_TMPDIR, so every FUSE export, sysroot and scratch mount of this
//     file's sessions lives under a path that only this file uses;
//   - sessions opened through `open()`, which afterEach closes (even when the test failed), and
//     then checks that the machine is as it was: every resource the sessions' records listed is
//     released, no session record of this process remains under the run directory, no helper
//     process of ours lives on, and nothing is mounted or loop-attached under the private
//     directory. Whatever is found is released (so one failure does not cascade) and reported.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, linkSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'vitest';
import { JootError, Session } from '../../src/appliance/index.js';
import type { DriveOptions, SessionOptions } from '../../src/appliance/index.js';
import { runDir, type Resource } from '../../src/appliance/registry.js';
import { FIXTURES_DIR, fixture, type FixtureName } from '../fixtures/index.js';

export const MiB = 1024 * 1024;

function haveCommand(cmd: string): boolean {
  return ['/usr/sbin', '/sbin', '/usr/bin', '/bin'].some((d) => existsSync(path.join(d, cmd)));
}

/** Root, loop devices and the tools the appliance runs. */
export const CAN_RUN =
  process.getuid?.() === 0 &&
  existsSync('/dev/loop-control') &&
  ['losetup', 'partx', 'blkid', 'mount', 'qemu-img', 'qemu-storage-daemon', 'lvm', 'btrfs', 'setpriv'].every(haveCommand);

export const HAVE_NTFS3G = haveCommand('ntfs-3g') && haveCommand('mkntfs');
export const HAVE_FUSEFAT = haveCommand('fusefat');

// ------------------------------------------------------------------------------------------
// Host state, read straight from /proc and /sys (no child process is running while we look).

export interface MountLine {
  mountpoint: string;
  /** per-mount options (field 6): ro/rw, nosuid, nodev, noexec, relatime… */
  mountOptions: string[];
  fstype: string;
  source: string;
  superOptions: string[];
}

function unescapeMountinfo(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

export function mountinfo(): MountLine[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const f = l.split(' ');
      const sep = f.indexOf('-');
      return {
        mountpoint: unescapeMountinfo(f[4]!),
        mountOptions: f[5]!.split(','),
        fstype: f[sep + 1]!,
        source: unescapeMountinfo(f[sep + 2]!),
        superOptions: (f[sep + 3] ?? '').split(','),
      };
    });
}

/** Loop devices in use: name → backing file. */
export function loopDevices(): Map<string, string> {
  const out = new Map<string, string>();
  for (const n of readdirSync('/sys/block')) {
    if (!n.startsWith('loop')) continue;
    try {
      out.set(`/dev/${n}`, readFileSync(`/sys/block/${n}/loop/backing_file`, 'utf8').trim());
    } catch {
      /* not attached */
    }
  }
  return out;
}

/** Field 22 of /proc/PID/stat (start time), or undefined when the process is gone. */
function processStart(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/** Live descendants of this process: pid and command line. */
export function descendants(root = process.pid): { pid: number; cmd: string }[] {
  const parent = new Map<number, number>();
  for (const n of readdirSync('/proc')) {
    if (!/^\d+$/.test(n)) continue;
    try {
      const stat = readFileSync(`/proc/${n}/stat`, 'utf8');
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (rest[0] === 'Z' || rest[0] === 'X') continue;
      parent.set(Number(n), Number(rest[1]));
    } catch {
      /* gone */
    }
  }
  const out: { pid: number; cmd: string }[] = [];
  for (const pid of parent.keys()) {
    for (let p = parent.get(pid); p !== undefined && p > 1; p = parent.get(p)) {
      if (p === root) {
        let cmd = '';
        try {
          cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
        } catch {
          /* gone */
        }
        out.push({ pid, cmd });
        break;
      }
    }
  }
  return out;
}

function sessionsDir(): string {
  return path.join(runDir(), 'sessions');
}

/** Session record files of this process (named PID-RANDOM.json). */
export function ourRecordFiles(): string[] {
  const dir = sessionsDir();
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((f) => f.startsWith(`${process.pid}-`) && f.endsWith('.json'));
}

/** Everything this process's live session records say they hold. */
export function ourRecordedResources(): Resource[] {
  const out: Resource[] = [];
  for (const f of ourRecordFiles()) {
    try {
      const data = JSON.parse(readFileSync(path.join(sessionsDir(), f), 'utf8')) as { resources: Resource[] };
      out.push(...data.resources);
    } catch {
      /* being rewritten */
    }
  }
  return out;
}

/**
 * Identity of each attached loop device's backing file: "MAJ:MIN:INO". Unlike the path (which
 * reads "/" once a FUSE export file was lazily unmounted, or "(deleted)"), it stays the same for
 * as long as the device holds that file.
 */
export function loopIdentities(): Map<string, string> {
  const out = new Map<string, string>();
  let text = '';
  try {
    text = execFileSync('losetup', ['-l', '-n', '--raw', '-O', 'NAME,BACK-MAJ:MIN,BACK-INO'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
  } catch {
    return out;
  }
  for (const line of text.split('\n')) {
    const [name, majmin, ino] = line.trim().split(/\s+/);
    if (name && majmin && ino) out.set(name, `${majmin}:${ino}`);
  }
  return out;
}

/** A recorded resource that is still held on the host. */
function stillHeld(
  r: Resource,
  mounts: MountLine[],
  loops: Map<string, string>,
  ids: Map<string, string>,
  seenIds: Map<string, string>,
): string | undefined {
  switch (r.kind) {
    case 'mount':
      return mounts.some((m) => m.mountpoint === r.path) ? `mount ${r.path}` : undefined;
    case 'loop': {
      const id = seenIds.get(`${r.device} ${r.backing}`);
      const held = loops.get(r.device) === r.backing || (id !== undefined && ids.get(r.device) === id);
      return held ? `loop device ${r.device} on ${r.backing} (now ${loops.get(r.device)})` : undefined;
    }
    case 'helper': {
      const start = processStart(r.pid);
      return start !== undefined && start === r.start ? `${r.name} (pid ${r.pid})` : undefined;
    }
    case 'dir':
      return existsSync(r.path) ? `directory ${r.path}` : undefined;
    case 'nbd':
      return existsSync(`/sys/block/${path.basename(r.device)}/pid`) ? `NBD ${r.device}` : undefined;
    case 'dm':
      return existsSync(`/dev/mapper/${r.name}`) ? `dm ${r.name}` : undefined;
  }
}

// ------------------------------------------------------------------------------------------
// Files

/**
 * SHA-256 of a file's content, fast on sparse images: read in 1 MiB chunks, an all-zero chunk
 * is hashed as one marker byte, any other chunk as a marker and its bytes (a short last chunk
 * as well, with its length). The encoding is lossless, so this changes exactly when the bytes
 * do — like a plain sha256, without hashing the gigabyte of zeros of gpt.raw.
 */
export async function sha256(file: string): Promise<string> {
  const CHUNK = MiB;
  const zero = Buffer.alloc(CHUNK);
  const buf = Buffer.alloc(CHUNK);
  const h = createHash('sha256');
  const fh = await open(file, 'r');
  try {
    for (let pos = 0; ; ) {
      let n = 0;
      while (n < CHUNK) {
        const { bytesRead } = await fh.read(buf, n, CHUNK - n, pos + n);
        if (bytesRead === 0) break;
        n += bytesRead;
      }
      if (n === 0) break;
      if (n === CHUNK && buf.equals(zero)) h.update('Z');
      else {
        h.update(n === CHUNK ? 'D' : `T${n}:`);
        h.update(buf.subarray(0, n));
      }
      pos += n;
      if (n < CHUNK) break;
    }
  } finally {
    await fh.close();
  }
  return h.digest('hex');
}

// ------------------------------------------------------------------------------------------
// Errors

/** Host names that must never reach a user: host block devices, the run dir, temp paths. */
export function hostNamesIn(text: string, extra: string[] = []): string[] {
  const found: string[] = [];
  for (const re of [/\/dev\/loop\d+/, /\/dev\/nbd\d+/, /\/dev\/mapper\/joot/, /\/run\/joot/, /\bsession-[A-Za-z0-9]{6}\b/, /<session>/]) {
    const m = re.exec(text);
    if (m) found.push(m[0]);
  }
  for (const e of extra) if (e && text.includes(e)) found.push(e);
  return found;
}

/**
 * Await `p` (or call `fn`), expect a JootError with `code`, a one-line message containing every
 * `includes`, and no host names (but `allow`; plus `forbidden`). Returns the error.
 */
export async function expectJootError(
  p: Promise<unknown> | (() => unknown),
  code: string,
  includes: (string | RegExp)[] = [],
  opts: { forbidden?: string[]; allow?: string[] } = {},
): Promise<JootError> {
  let err: unknown;
  let ok = false;
  try {
    await (typeof p === 'function' ? p() : p);
    ok = true;
  } catch (e) {
    err = e;
  }
  expect(ok, `expected a JootError ${code}, but it succeeded`).toBe(false);
  expect(err, String(err)).toBeInstanceOf(JootError);
  const je = err as JootError;
  expect(je.code, je.message).toBe(code);
  expect(je.message, 'message must be one line').not.toMatch(/\n/);
  expect(je.message.length).toBeGreaterThan(0);
  for (const inc of includes) {
    if (typeof inc === 'string') expect(je.message).toContain(inc);
    else expect(je.message).toMatch(inc);
  }
  const hostNames = hostNamesIn(je.message, opts.forbidden).filter((n) => !(opts.allow ?? []).includes(n));
  expect(hostNames, je.message).toEqual([]);
  return je;
}

// ------------------------------------------------------------------------------------------
// The harness

export type DriveSpec = string | [string, DriveOptions];

const SETTLE_MS = 3000;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class Harness {
  /** private work directory (hard links, copies, and the JOOT_TMPDIR when private) */
  dir = '';
  /** JOOT_TMPDIR of this file's sessions, when private ('' = the default under the run dir) */
  tmp = '';
  private readonly sessions: Session[] = [];
  private readonly images = new Map<string, string>();
  private savedTmpdir: string | undefined;
  private savedBackend: string | undefined;
  /** every resource ever seen in our records, checked after close */
  private readonly seen = new Set<string>();
  private readonly seenResources: Resource[] = [];
  /** backing-file identity of each recorded loop device, taken while it was ours */
  private readonly loopIds = new Map<string, string>();

  constructor(
    private readonly name: string,
    private readonly opts: { privateTmp?: boolean } = { privateTmp: true },
  ) {}

  async setup(): Promise<void> {
    const base = path.join(path.dirname(FIXTURES_DIR), 'session-it');
    mkdirSync(base, { recursive: true });
    this.dir = mkdtempSync(path.join(base, `${this.name}-`));
    this.savedTmpdir = process.env.JOOT_TMPDIR;
    this.savedBackend = process.env.JOOT_BACKEND;
    delete process.env.JOOT_BACKEND;
    if (this.opts.privateTmp) {
      this.tmp = path.join(this.dir, 'tmp');
      mkdirSync(this.tmp, { mode: 0o700 });
      process.env.JOOT_TMPDIR = this.tmp;
    } else {
      delete process.env.JOOT_TMPDIR;
    }
  }

  /**
   * The fixture under a path of this file's own: a hard link (same bytes, same inode; so a
   * read-only test that hashes it hashes the fixture itself), or with `copy` a sparse copy
   * that read-write tests may change.
   */
  async image(name: FixtureName, mode: 'link' | 'copy' = 'link'): Promise<string> {
    const key = `${mode}:${name}`;
    const known = this.images.get(key);
    if (known) return known;
    const src = await fixture(name);
    const dst = path.join(this.dir, mode === 'copy' ? `copy-${name}` : name);
    let linked = false;
    if (mode === 'link') {
      try {
        linkSync(src, dst);
        linked = true;
      } catch {
        /* another filesystem: copy */
      }
    }
    if (!linked) execFileSync('cp', ['--sparse=always', '--reflink=auto', src, dst]);
    this.images.set(key, dst);
    return dst;
  }

  /** A new, not yet launched session that afterEach will close. */
  session(opts?: SessionOptions): Session {
    const s = new Session(opts);
    this.sessions.push(s);
    return s;
  }

  /** Add the drives and launch; the session is closed by afterEach whatever happens. */
  /** A bare path is added read-only; [path, options] as given. */
  async open(drives: DriveSpec[], opts?: SessionOptions): Promise<Session> {
    const s = this.session(opts);
    for (const d of drives) {
      if (typeof d === 'string') s.addDrive(d, { readonly: true });
      else s.addDrive(d[0], d[1]);
    }
    await s.launch();
    this.remember();
    return s;
  }

  /** Note what our records hold now (so it can be checked after close). */
  remember(): void {
    let ids: Map<string, string> | undefined;
    for (const r of ourRecordedResources()) {
      const k = JSON.stringify(r);
      if (!this.seen.has(k)) {
        this.seen.add(k);
        this.seenResources.push(r);
        if (r.kind === 'loop') {
          ids ??= loopIdentities();
          const id = ids.get(r.device);
          if (id) this.loopIds.set(`${r.device} ${r.backing}`, id);
        }
      }
    }
  }

  /** Mounts of this file's sessions, with the guest mountpoint (path below the sysroot). */
  guestMounts(): (MountLine & { guest: string })[] {
    this.remember();
    const dirs = this.seenResources.filter((r): r is Extract<Resource, { kind: 'dir' }> => r.kind === 'dir').map((r) => r.path);
    const out: (MountLine & { guest: string })[] = [];
    for (const m of mountinfo()) {
      for (const d of dirs) {
        const sysroot = `${d}/sysroot`;
        if (m.mountpoint === sysroot) out.push({ ...m, guest: '/' });
        else if (m.mountpoint.startsWith(`${sysroot}/`)) out.push({ ...m, guest: m.mountpoint.slice(sysroot.length) });
      }
    }
    return out;
  }

  /** Resources our sessions hold right now, by kind. */
  held(): Resource[] {
    return ourRecordedResources();
  }

  /** What is left on the host by this file's sessions. */
  leftovers(): string[] {
    const problems: string[] = [];
    const mounts = mountinfo();
    const loops = loopDevices();
    const ids = this.loopIds.size ? loopIdentities() : new Map<string, string>();
    for (const r of this.seenResources) {
      const h = stillHeld(r, mounts, loops, ids, this.loopIds);
      if (h) problems.push(`still held: ${h}`);
    }
    for (const f of ourRecordFiles()) problems.push(`session record left: ${path.join(sessionsDir(), f)}`);
    for (const p of descendants()) problems.push(`child process left: ${p.pid} ${p.cmd}`);
    if (this.dir) {
      for (const m of mounts) if (m.mountpoint.startsWith(`${this.dir}/`)) problems.push(`mount left: ${m.mountpoint} (${m.fstype})`);
      for (const [dev, back] of loops) if (back.startsWith(`${this.dir}/`)) problems.push(`loop device left: ${dev} on ${back}`);
      if (this.tmp && existsSync(this.tmp))
        for (const e of readdirSync(this.tmp)) problems.push(`temp entry left: ${path.join(this.tmp, e)}`);
    }
    return [...new Set(problems)];
  }

  /** Release whatever leftovers() finds, as best it can. */
  private forceRelease(): void {
    const run = (cmd: string, args: string[]) => {
      try {
        execFileSync(cmd, args, { stdio: 'ignore' });
      } catch {
        /* best effort */
      }
    };
    const mounts = mountinfo();
    const doomed = new Set<string>();
    for (const r of this.seenResources) if (r.kind === 'mount') doomed.add(r.path);
    for (const m of mounts) if (this.dir && m.mountpoint.startsWith(`${this.dir}/`)) doomed.add(m.mountpoint);
    for (const m of [...mounts].reverse()) if (doomed.has(m.mountpoint)) run('umount', ['-l', m.mountpoint]);
    for (const p of descendants()) {
      try {
        process.kill(p.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    const loops = loopDevices();
    const ids = loopIdentities();
    const ours = [...loops].filter(
      ([dev, back]) =>
        (this.dir && back.startsWith(`${this.dir}/`)) ||
        this.seenResources.some(
          (r) =>
            r.kind === 'loop' &&
            r.device === dev &&
            (r.backing === back || (ids.has(dev) && this.loopIds.get(`${r.device} ${r.backing}`) === ids.get(dev))),
        ),
    );
    for (const [dev] of ours.reverse()) {
      run('partx', ['-d', dev]);
      run('losetup', ['-d', dev]);
    }
    for (const f of ourRecordFiles()) rmSync(path.join(sessionsDir(), f), { force: true });
    if (this.tmp && existsSync(this.tmp)) {
      for (const e of readdirSync(this.tmp)) {
        const p = path.join(this.tmp, e);
        if (!mountinfo().some((m) => m.mountpoint === p || m.mountpoint.startsWith(`${p}/`))) rmSync(p, { recursive: true, force: true });
      }
    }
  }

  /** Close every session, then check that nothing is left (and release it if it is). */
  async closeAndCheck(): Promise<void> {
    this.remember();
    const errors: string[] = [];
    for (const s of this.sessions.splice(0)) {
      try {
        await s.close();
      } catch (e) {
        errors.push(`close failed: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    // Some releases complete a moment later on their own: a loop device detached while a mount
    // namespace that another process unshared meanwhile still held its filesystem is freed when
    // that copy goes (the kernel drops it when the session removes its directory). Wait briefly.
    let left = this.leftovers();
    for (const t0 = Date.now(); left.length && Date.now() - t0 < SETTLE_MS; left = this.leftovers()) await sleep(50);
    if (left.length) this.forceRelease();
    this.seen.clear();
    this.seenResources.length = 0;
    this.loopIds.clear();
    const all = [...errors, ...left];
    if (all.length) throw new Error(`the sessions did not leave the host as they found it:\n  ${all.join('\n  ')}`);
  }

  async teardown(): Promise<void> {
    try {
      await this.closeAndCheck();
    } finally {
      if (this.savedTmpdir === undefined) delete process.env.JOOT_TMPDIR;
      else process.env.JOOT_TMPDIR = this.savedTmpdir;
      if (this.savedBackend === undefined) delete process.env.JOOT_BACKEND;
      else process.env.JOOT_BACKEND = this.savedBackend;
      // never recurse into something still mounted
      if (this.dir && !mountinfo().some((m) => m.mountpoint.startsWith(`${this.dir}/`))) rmSync(this.dir, { recursive: true, force: true });
    }
  }
}

/** Every regular file directly in `dir` of the mounted guest, read in full (size-capped). */
export async function readAllTopLevel(s: Session, dir = '/'): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  for (const name of await s.readdir(dir)) {
    const p = dir === '/' ? `/${name}` : `${dir}/${name}`;
    if (await s.isFile(p)) out.set(p, await s.readFile(p, { maxBytes: 4 * MiB }));
  }
  return out;
}

// ------------------------------------------------------------------------------------------
// The fixture contract (test/fixtures/README.md), as the Session should report it.

const mbrUuid = (n: number): string => `11223344-0000-4000-8000-00000000000${n}`;

export const MBR_FILESYSTEMS = [
  { name: '/dev/sda1', type: 'ext4', label: 'root', uuid: mbrUuid(1) },
  { name: '/dev/sda5', type: 'ext2', label: 'logical5', uuid: mbrUuid(5) },
  { name: '/dev/sda6', type: 'swap', label: 'swap6', uuid: mbrUuid(6) },
  { name: '/dev/sda7', type: 'ext4', label: 'logical7', uuid: mbrUuid(7) },
];

const S = 512;
export const MBR_PARTITIONS = [
  { name: '/dev/sda1', disk: '/dev/sda', number: 1, scheme: 'dos', start: 2048 * S, size: 24 * MiB, type: '0x83', uuid: '11223344-01' },
  {
    name: '/dev/sda2',
    disk: '/dev/sda',
    number: 2,
    scheme: 'dos',
    start: 51200 * S,
    size: 64 * MiB - 51200 * S,
    type: '0x5',
    uuid: '11223344-02',
    extended: true,
  },
  { name: '/dev/sda5', disk: '/dev/sda', number: 5, scheme: 'dos', start: 53248 * S, size: 12 * MiB, type: '0x83', uuid: '11223344-05' },
  { name: '/dev/sda6', disk: '/dev/sda', number: 6, scheme: 'dos', start: 79872 * S, size: 8 * MiB, type: '0x82', uuid: '11223344-06' },
  {
    name: '/dev/sda7',
    disk: '/dev/sda',
    number: 7,
    scheme: 'dos',
    start: 98304 * S,
    size: 64 * MiB - 98304 * S,
    type: '0x83',
    uuid: '11223344-07',
  },
];

const gptPart = (n: number): string => `6A70AAAA-0000-4000-8000-00000000000${n}`;
export const GPT_TYPES = {
  esp: 'C12A7328-F81F-11D2-BA4B-00A0C93EC93B',
  rootX86_64: '4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709',
  linuxData: '0FC63DAF-8483-4772-8E79-3D69D8477DE4',
  linuxLvm: 'E6D6D379-F507-44C2-A23C-238F2A3DF928',
};
// sectors: p1 2048 + 34 MiB, then 64 MiB, 320 MiB, 300 MiB back to back
export const GPT_PARTITIONS = [
  { name: '/dev/sda1', number: 1, start: 2048 * S, size: 34 * MiB, type: GPT_TYPES.esp, uuid: gptPart(1), label: 'esp' },
  { name: '/dev/sda2', number: 2, start: 2048 * S + 34 * MiB, size: 64 * MiB, type: GPT_TYPES.rootX86_64, uuid: gptPart(2), label: 'root' },
  { name: '/dev/sda3', number: 3, start: 2048 * S + 98 * MiB, size: 320 * MiB, type: GPT_TYPES.linuxData, uuid: gptPart(3), label: 'data' },
  { name: '/dev/sda4', number: 4, start: 2048 * S + 418 * MiB, size: 300 * MiB, type: GPT_TYPES.linuxData, uuid: gptPart(4), label: 'btr' },
];

const gptUuid = (n: number): string => `6a700000-0000-4000-8000-00000000000${n}`;
export const GPT_FILESYSTEMS = [
  { name: '/dev/sda1', type: 'vfat', label: 'ESP', uuid: '6A70-0001' },
  { name: '/dev/sda2', type: 'ext4', label: 'gptroot', uuid: gptUuid(2) },
  { name: '/dev/sda3', type: 'xfs', label: 'xfsdata', uuid: gptUuid(3) },
  { name: '/dev/sda4', type: 'btrfs', label: 'btr', uuid: gptUuid(4) },
  { name: 'btrfsvol:/dev/sda4/@', type: 'btrfs', label: 'btr', uuid: gptUuid(4) },
  { name: 'btrfsvol:/dev/sda4/@home', type: 'btrfs', label: 'btr', uuid: gptUuid(4) },
  { name: 'btrfsvol:/dev/sda4/@home/snap', type: 'btrfs', label: 'btr', uuid: gptUuid(4) },
];

/** Case-insensitive view of GUID-ish fields, for comparing with the contract's spelling. */
export function upperIds<T extends { type?: string; uuid?: string }>(p: T): T {
  return { ...p, type: p.type?.toUpperCase(), uuid: p.uuid?.toUpperCase() };
}

/** Rename /dev/sdaN → /dev/sdXN in contract rows (for a second drive). */
export function onDrive<T extends { name: string; disk?: string }>(rows: T[], letter: string): T[] {
  const re = /\/dev\/sda/g;
  return rows.map((r) => ({
    ...r,
    name: r.name.replace(re, `/dev/sd${letter}`),
    ...(r.disk ? { disk: r.disk.replace(re, `/dev/sd${letter}`) } : {}),
  }));
}
