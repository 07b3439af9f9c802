// Resource hygiene, point 4: SIGKILL. Nothing can run in a killed process, so:
//  - its helpers die on their own (PR_SET_PDEATHSIG through setpriv);
//  - run as the tools run (`unshare --mount --propagation private`, bin/launch.sh), its mounts
//    die with its mount namespace and never show in the host's;
//  - its loop devices (and the partitions partx added to them) and its session record stay
//    until reaped — by `joot cleanup` or by the next Session's launch — and reaping releases
//    them all, plus its temp dir;
//  - used as a library (no private namespace) its mounts stay in the host's namespace until
//    reaping unmounts them;
//  - the reaper never detaches a loop device whose number was reused (it compares the kernel's
//    per-attach diskseq, not only the backing file), even when several reap at once.
// Checked with a private JOOT_RUN_DIR and with the default /run/joot.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { reapDeadSessions, Session } from '../../src/appliance/index.js';
import { processStart } from '../../src/appliance/registry.js';
import {
  expectNoLeftovers,
  expectReleased,
  loopDevices,
  mountEntries,
  processDead,
  sessionRecords,
  snapshot,
  unreleased,
  type RecordedResource,
  type Snapshot,
} from './leftovers.js';
import { deadPid, REPO, sandbox, scrub, SKIP, startChild, until, type Child, type ChildPlan, type Sandbox } from './hygiene-util.js';

// what this file checks is the kernel engine's (attach, mount, loop devices; exact sizes beyond
// 2^53, which the userspace readers refuse): the read-only tools' userspace default is set aside
process.env.JOOT_ENGINE = 'kernel';

const JOOT = join(REPO, 'bin/joot');

describe.skipIf(SKIP !== '')('hygiene: SIGKILL and reaping', () => {
  let box: Sandbox;
  let savedRunDir: string | undefined;
  let before: Snapshot;
  let qcow = '';
  let raw = '';
  let plan: ChildPlan;
  const children: Child[] = [];

  beforeAll(async () => {
    box = sandbox('sigkill');
    savedRunDir = process.env.JOOT_RUN_DIR;
    process.env.JOOT_RUN_DIR = box.run;
    qcow = await box.copy('three.qcow2');
    raw = await box.copy('mbr.raw');
    plan = {
      drives: [
        { path: qcow, readonly: true },
        { path: raw, readonly: true },
      ],
      mounts: [
        { device: '/dev/sda1', mountpoint: '/' },
        { device: '/dev/sdb1', mountpoint: '/lost+found' },
        { device: '/dev/sdb5', mountpoint: '/lost+found/dir' },
      ],
      read: '/lost+found/dir/five.txt',
    };
  });

  afterAll(() => {
    if (savedRunDir === undefined) delete process.env.JOOT_RUN_DIR;
    else process.env.JOOT_RUN_DIR = savedRunDir;
    box?.remove();
  });

  beforeEach(async () => {
    before = await snapshot({ paths: [box.dir], runDir: box.run });
  });

  afterEach(async () => {
    for (const c of children.splice(0)) {
      if (c.proc.exitCode === null && c.proc.signalCode === null) {
        c.proc.kill('SIGKILL');
        await c.exit;
      }
    }
    scrub(box.dir, { runDir: box.run });
  });

  interface Killed {
    child: Child;
    resources: RecordedResource[];
    recordFile: string;
  }

  /** Start a child session (mounted, READY), note its record, SIGKILL it. */
  async function killedSession(opts: { privateNs: boolean; runDir?: string; plan?: ChildPlan }): Promise<Killed> {
    const child = startChild(box.dir, opts.plan ?? plan, { privateNs: opts.privateNs, runDir: opts.runDir });
    children.push(child);
    const ready = await child.ready;
    expect(ready.text).toBe('five\n');
    const runDir = opts.runDir ?? '/run/joot';
    const [record] = sessionRecords(runDir, child.pid);
    expect(record, `no session record of pid ${child.pid} in ${runDir}`).toBeDefined();
    const kinds = record!.resources.map((r) => r.kind);
    expect(kinds.filter((k) => k === 'loop').length).toBe(2);
    expect(kinds.filter((k) => k === 'helper').length).toBe(1);
    expect(kinds.filter((k) => k === 'mount').length).toBe(3);
    expect(unreleased(record!.resources).length).toBeGreaterThan(0);
    process.kill(child.pid, 'SIGKILL');
    expect(await child.exit).toEqual({ code: null, signal: 'SIGKILL' });
    return { child, resources: record!.resources, recordFile: record!.file };
  }

  function helperPids(resources: RecordedResource[]): number[] {
    return resources.filter((r) => r.kind === 'helper').map((r) => r.pid!);
  }
  function loops(resources: RecordedResource[]): RecordedResource[] {
    return resources.filter((r) => r.kind === 'loop');
  }
  function recordedMounts(resources: RecordedResource[]): string[] {
    return resources.filter((r) => r.kind === 'mount').map((r) => r.path!);
  }
  function mountedHere(paths: string[]): string[] {
    const m = new Set(mountEntries().map((e) => e.mountpoint));
    return paths.filter((p) => m.has(p));
  }

  function joot(args: string[], runDir?: string) {
    const env = { ...process.env };
    if (runDir) env.JOOT_RUN_DIR = runDir;
    else delete env.JOOT_RUN_DIR;
    return spawnSync(JOOT, args, { env, encoding: 'utf8', timeout: 60_000 });
  }

  /** The state right after the kill, before anyone reaped. */
  async function expectKilledState(k: Killed, opts: { hostMounts: boolean }): Promise<void> {
    // the helper got SIGTERM from the kernel when its parent died, and exited
    for (const pid of helperPids(k.resources)) {
      expect(await until(() => processDead(pid), 5000), `qemu-storage-daemon ${pid} outlived its parent`).toBe(true);
    }
    // mounts: gone with the private namespace, or still in ours
    const mounts = recordedMounts(k.resources);
    if (opts.hostMounts) expect(mountedHere(mounts)).toEqual(mounts);
    else expect(mountEntries().filter((m) => m.mountpoint.startsWith(box.dir) || m.source.startsWith(box.dir))).toEqual([]);
    // loop devices and the record stay until reaped
    expect(existsSync(k.recordFile)).toBe(true);
    const stillAttached = unreleased(loops(k.resources));
    expect(stillAttached.length, stillAttached.join('; ')).toBe(2);
    const dir = k.resources.find((r) => r.kind === 'dir')!.path!;
    expect(existsSync(dir)).toBe(true);
  }

  it('private namespace: helper dies, nothing mounted here; `joot cleanup` releases loops, partitions, dir, record', async () => {
    const k = await killedSession({ privateNs: true, runDir: box.run });
    await expectKilledState(k, { hostMounts: false });
    // the FUSE export vanished with the namespace: the kernel now names the loop's backing "/"
    const fuseLoop = loops(k.resources).find((r) => r.backing!.startsWith(box.run))!;
    expect(readFileSync(`/sys/block/${fuseLoop.device!.slice(5)}/loop/backing_file`, 'utf8').trim()).not.toBe(fuseLoop.backing);

    const r = joot(['cleanup'], box.run);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe('reaped 1 dead session\n');
    await expectReleased(k.resources);
    expect(existsSync(k.recordFile)).toBe(false);
    await expectNoLeftovers(before);
    // and once more: nothing to do
    expect(joot(['cleanup'], box.run).stdout).toBe('reaped 0 dead sessions\n');
  });

  it('private namespace: the next Session launch reaps automatically', async () => {
    const k = await killedSession({ privateNs: true, runDir: box.run });
    await expectKilledState(k, { hostMounts: false });
    const s = new Session();
    try {
      s.addDrive(raw, { readonly: true });
      await s.launch();
      await expectReleased(k.resources);
      expect(existsSync(k.recordFile)).toBe(false);
      await s.mount('/dev/sda1', '/');
      expect((await s.readFile('/hello.txt')).toString()).toBe('hello from mbr\n');
    } finally {
      await s.close();
    }
    await expectNoLeftovers(before);
  });

  for (const privateNs of [true, false]) {
    it(`reaping at once, while the killed session's helper is still exiting (${privateNs ? 'private namespace' : 'library use'})`, async () => {
      for (let round = 0; round < 3; round++) {
        const k = await killedSession({ privateNs, runDir: box.run });
        await reapDeadSessions();
        // whatever could not be released yet stays recorded for the next reaper: nothing is lost
        for (let i = 0; i < 5 && existsSync(join(box.run, 'sessions')) && sessionRecords(box.run).length; i++) await reapDeadSessions();
        await expectReleased(k.resources);
        await expectNoLeftovers(before);
      }
    });
  }

  it('library use (no private namespace): mounts stay in the host namespace until reaped', async () => {
    const k = await killedSession({ privateNs: false, runDir: box.run });
    await expectKilledState(k, { hostMounts: true });
    expect(await reapDeadSessions()).toBe(1);
    expect(mountedHere(recordedMounts(k.resources))).toEqual([]);
    await expectReleased(k.resources);
    await expectNoLeftovers(before);
  });

  it("bin/jfish killed while mounting (the shim's private namespace): `joot cleanup` releases what its record lists", async () => {
    const args = [
      '-v',
      '--ro',
      '-a',
      qcow,
      '-a',
      raw,
      'run',
      ':',
      'mount-ro',
      '/dev/sda1',
      '/',
      ':',
      'mount-ro',
      '/dev/sdb1',
      '/lost+found',
      ':',
      'cat',
      '/one.txt',
    ];
    const p = spawn(join(REPO, 'bin/jfish'), args, { env: { ...process.env, JOOT_RUN_DIR: box.run }, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    let resources: RecordedResource[] = [];
    const exit = new Promise<NodeJS.Signals | null>((res) => p.on('exit', (_code, sig) => res(sig)));
    p.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      if (resources.length === 0 && /joot: mount -t[^\n]*\n(.*\n)*joot: mount -t/.test(err)) {
        // the record is written before each resource is used: what it lists now is all there is
        resources = sessionRecords(box.run, p.pid)[0]?.resources ?? [];
        p.kill('SIGKILL');
      }
    });
    expect(await exit, err).toBe('SIGKILL');
    expect(resources.filter((r) => r.kind === 'loop')).toHaveLength(2);
    for (const pid of helperPids(resources)) expect(await until(() => processDead(pid), 5000)).toBe(true);
    expect(mountEntries().filter((m) => m.mountpoint.startsWith(box.dir))).toEqual([]);
    const r = joot(['cleanup'], box.run);
    expect(r.stdout, r.stderr).toBe('reaped 1 dead session\n');
    await expectReleased(resources);
    await expectNoLeftovers(before);
  });

  describe('with the default run directory /run/joot', () => {
    // Other test files (other workers) also use /run/joot and may reap our dead session first:
    // that is correct behaviour, so what is checked before our own reaping is conditional.
    for (const privateNs of [true, false]) {
      it(`${privateNs ? 'private namespace' : 'no private namespace'}: helper dies; \`joot cleanup\` releases everything`, async () => {
        const k = await killedSession({ privateNs, runDir: undefined });
        for (const pid of helperPids(k.resources)) expect(await until(() => processDead(pid), 5000)).toBe(true);
        if (privateNs)
          expect(mountEntries().filter((m) => m.source.startsWith(box.dir) || m.mountpoint.includes(k.resources[0]!.path!))).toEqual([]);
        if (existsSync(k.recordFile)) expect(unreleased(loops(k.resources)).length).toBeGreaterThan(0);
        const r = joot(['cleanup']);
        expect(r.status, r.stderr).toBe(0);
        expect(r.stdout).toMatch(/^reaped \d+ dead sessions?\n$/);
        await expectReleased(k.resources);
        expect(existsSync(k.recordFile)).toBe(false);
        await expectNoLeftovers(before, { paths: [k.resources.find((x) => x.kind === 'dir')!.path!] });
      });
    }
  });

  describe('a reused loop device number is never detached by mistake', () => {
    /** A record of a dead process naming `device`, attached to `backing` as of `diskseq`. */
    function deadRecord(resources: RecordedResource[]): string {
      const pid = deadPid();
      const file = join(box.run, 'sessions', `${pid}-deadbeef.json`);
      writeFileSync(file, JSON.stringify({ pid, start: '1', resources }));
      return file;
    }

    it('same image re-attached on the same number by a live session', async () => {
      // the attachment a dead session once had: attached, noted, detached again
      const first = execFileSync('losetup', ['--find', '--show', '--read-only', raw]).toString().trim();
      const firstSeq = readFileSync(`/sys/block/${first.slice(5)}/diskseq`, 'utf8').trim();
      execFileSync('losetup', ['-d', first]);

      const s = new Session();
      try {
        s.addDrive(raw, { readonly: true });
        await s.launch();
        await s.mount('/dev/sda1', '/');
        const live = loopDevices().find((l) => l.backing === raw)!;
        expect(live).toBeDefined();
        // the dead session's record: the same backing file, the number the live session has now
        // (most often really the same number: losetup --find takes the lowest free one)
        const file = deadRecord([{ kind: 'loop', device: live.device, backing: raw, diskseq: firstSeq }]);
        expect(await reapDeadSessions()).toBe(1);
        expect(existsSync(file)).toBe(false);
        const after = loopDevices().find((l) => l.device === live.device);
        expect(after?.backing).toBe(raw);
        expect(after?.diskseq).toBe(live.diskseq);
        expect(after?.partitions.length).toBe(live.partitions.length);
        // the live session never noticed
        expect((await s.readFile('/hello.txt')).toString()).toBe('hello from mbr\n');
        await s.mount('/dev/sda7', '/dir');
        expect((await s.readFile('/dir/seven.txt')).toString()).toBe('seven\n');
      } finally {
        await s.close();
      }
      await expectNoLeftovers(before);
    });

    it('a dead session whose loop was detached by hand and whose number another image took', async () => {
      const k = await killedSession({ privateNs: true, runDir: box.run });
      // someone cleaned up by hand, keeping the record (once the namespace is gone: its last
      // process, the helper, exits on its own a moment after the kill)
      for (const pid of helperPids(k.resources)) expect(await until(() => processDead(pid), 5000)).toBe(true);
      for (const l of loops(k.resources).reverse()) {
        expect(await until(() => spawnSync('partx', ['-d', l.device!]).status === 0, 3000), `partx -d ${l.device}`).toBe(true);
        execFileSync('losetup', ['-d', l.device!]);
      }
      const s = new Session();
      const other = await box.copy('three.qcow2', 'other.qcow2');
      // keep the dead record away from this launch's own reaping, then put it back
      const saved = readFileSync(k.recordFile);
      execFileSync('rm', [k.recordFile]);
      try {
        s.addDrive(other, { readonly: true });
        s.addDrive(raw, { readonly: true });
        await s.launch();
        writeFileSync(k.recordFile, saved);
        const mine = loopDevices().filter((l) => l.backing.startsWith(box.run) || l.backing === raw);
        expect(mine.length).toBe(2);
        expect(await reapDeadSessions()).toBe(1);
        for (const l of mine) expect(loopDevices().find((x) => x.device === l.device)).toEqual(l);
        await s.mount('/dev/sdb1', '/');
        expect((await s.readFile('/hello.txt')).toString()).toBe('hello from mbr\n');
      } finally {
        await s.close();
      }
      await expectNoLeftovers(before);
    });
  });

  it('several sessions launching at once all reap the same dead session; none loses a device', async () => {
    const k = await killedSession({ privateNs: true, runDir: box.run });
    const sessions = Array.from({ length: 4 }, () => new Session());
    try {
      for (const [i, s] of sessions.entries()) s.addDrive(i % 2 ? qcow : raw, { readonly: true });
      await Promise.all(sessions.map((s) => s.launch()));
      await expectReleased(k.resources);
      for (const [i, s] of sessions.entries()) {
        await s.mount('/dev/sda1', '/');
        expect((await s.readFile(i % 2 ? '/one.txt' : '/hello.txt')).toString()).toBe(i % 2 ? '1\n' : 'hello from mbr\n');
      }
    } finally {
      await Promise.all(sessions.map((s) => s.close()));
    }
    await expectNoLeftovers(before);
  });

  it('the reaper leaves records of live sessions alone (and its own process start time tells pid reuse)', async () => {
    const s = new Session();
    try {
      s.addDrive(raw, { readonly: true });
      await s.launch();
      const [mine] = sessionRecords(box.run, process.pid);
      expect(mine).toBeDefined();
      // a record with our pid but another start time: a dead process whose pid we reuse
      const fake = join(box.run, 'sessions', `${process.pid}-0badf00d.json`);
      writeFileSync(fake, JSON.stringify({ pid: process.pid, start: String(Number(processStart(process.pid)) - 1), resources: [] }));
      expect(await reapDeadSessions()).toBe(1);
      expect(existsSync(fake)).toBe(false);
      expect(existsSync(mine!.file)).toBe(true);
      await s.mount('/dev/sda1', '/');
    } finally {
      await s.close();
    }
    await expectNoLeftovers(before);
  });
});
