// Points 5 and 6: concurrency and locking.
//  - Two read-only sessions on one image at once both work (raw via loop, qcow2 via FUSE), in
//    one process and across processes.
//  - A read-write session on an image another joot session holds (read-only or read-write; raw
//    and qcow2) fails with a clear EBUSY naming the image; the image is not written; the holder
//    keeps working; once the holder closes, the read-write session succeeds.
//  - An image a plain qemu process holds for writing (qemu-storage-daemon started here) makes a
//    read-write joot session fail clearly too, raw and qcow2.
//  - The registry lock (RUN/lock) never deadlocks on a holder that died: a dead pid, a reused
//    pid, a lock without an owner; a live holder that never lets go gives a bounded, clear error;
//    and of many read-write launches at once exactly one wins, also with a stale lock around.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { isJootError, Session } from '../../src/appliance/index.js';
import { processStart } from '../../src/appliance/registry.js';
import { expectNoLeftovers, snapshot, type Snapshot } from './leftovers.js';
import { deadPid, REPO, sandbox, scrub, sha256, SKIP, startChild, until, type Child, type Sandbox } from './hygiene-util.js';

describe.skipIf(SKIP !== '')('hygiene: concurrency and locking', () => {
  let box: Sandbox;
  let savedRunDir: string | undefined;
  let before: Snapshot;
  let raw = '';
  let qcow = '';
  const sessions: Session[] = [];
  const children: Child[] = [];
  const procs: ChildProcess[] = [];

  function session(): Session {
    const s = new Session();
    sessions.push(s);
    return s;
  }

  beforeAll(async () => {
    box = sandbox('locking');
    savedRunDir = process.env.JOOT_RUN_DIR;
    process.env.JOOT_RUN_DIR = box.run;
    raw = await box.copy('mbr.raw');
    qcow = await box.copy('three.qcow2');
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
    await Promise.allSettled(sessions.splice(0).map((s) => s.close()));
    for (const c of children.splice(0)) {
      if (c.proc.exitCode === null && c.proc.signalCode === null) {
        c.proc.kill('SIGTERM');
        await c.exit;
      }
    }
    for (const p of procs.splice(0)) {
      if (p.exitCode === null && p.signalCode === null) {
        p.kill('SIGTERM');
        await new Promise((r) => p.once('exit', r));
      }
    }
    scrub(box.dir, { runDir: box.run });
  });

  const cases = [
    { kind: 'raw (loop)', img: () => raw, file: '/hello.txt', text: 'hello from mbr\n' },
    { kind: 'qcow2 (FUSE)', img: () => qcow, file: '/one.txt', text: '1\n' },
  ];

  async function open(img: string, readonly: boolean, mount = true): Promise<Session> {
    const s = session();
    s.addDrive(img, { readonly });
    await s.launch();
    if (mount) await s.mount('/dev/sda1', '/', { readonly });
    return s;
  }

  async function refusal(p: Promise<unknown>): Promise<{ code: string; message: string }> {
    const e = await p.then(
      () => undefined,
      (x: unknown) => x,
    );
    expect(isJootError(e), `expected a JootError, got ${String(e)}`).toBe(true);
    return e as { code: string; message: string };
  }

  describe('two read-only sessions on one image', () => {
    for (const c of cases) {
      it(`${c.kind}: both in this process, interleaved`, async () => {
        const a = await open(c.img(), true);
        const b = await open(c.img(), true);
        for (let i = 0; i < 5; i++) {
          expect((await a.readFile(c.file)).toString()).toBe(c.text);
          expect((await b.readFile(c.file)).toString()).toBe(c.text);
        }
        await a.close();
        expect((await b.readFile(c.file)).toString()).toBe(c.text);
        await b.close();
        await expectNoLeftovers(before);
      });

      it(`${c.kind}: one in another process`, async () => {
        const child = startChild(
          box.dir,
          { drives: [{ path: c.img(), readonly: true }], mounts: [{ device: '/dev/sda1', mountpoint: '/' }], read: c.file },
          { runDir: box.run },
        );
        children.push(child);
        expect((await child.ready).text).toBe(c.text);
        const b = await open(c.img(), true);
        expect((await b.readFile(c.file)).toString()).toBe(c.text);
        await b.close();
        child.proc.kill('SIGTERM');
        expect((await child.exit).code).toBe(143);
        await expectNoLeftovers(before);
      });
    }
  });

  describe('a read-write session on an image another joot session holds', () => {
    for (const c of cases) {
      for (const holderRo of [true, false]) {
        for (const contenderRo of holderRo ? [false] : [false, true]) {
          const holds = holderRo ? 'read-only' : 'read-write';
          const wants = contenderRo ? 'read-only' : 'read-write';
          it(`${c.kind}: held ${holds}, ${wants} session refused with EBUSY; then succeeds after the holder closed`, async () => {
            // a read-write holder is not mounted, so nothing writes while we compare hashes
            const holder = await open(c.img(), holderRo, holderRo);
            const hash = sha256(c.img());
            const e = await refusal(open(c.img(), contenderRo));
            expect(e.code).toBe('EBUSY');
            expect(e.message).toContain(c.img());
            expect(e.message).toMatch(/in use by another joot session \(pid \d+, (read-only|read-write)\)/);
            expect(sha256(c.img())).toBe(hash);
            // the holder never noticed
            if (holderRo) expect((await holder.readFile(c.file)).toString()).toBe(c.text);
            else {
              await holder.mount('/dev/sda1', '/', { readonly: true });
              expect((await holder.readFile(c.file)).toString()).toBe(c.text);
            }
            await holder.close();
            const later = await open(c.img(), contenderRo);
            expect((await later.readFile(c.file)).toString()).toBe(c.text);
            await later.close();
            await expectNoLeftovers(before);
          });
        }
      }

      it(`${c.kind}: held read-only by another process; the error names the image and its pid`, async () => {
        const child = startChild(
          box.dir,
          { drives: [{ path: c.img(), readonly: true }], mounts: [{ device: '/dev/sda1', mountpoint: '/' }], read: c.file },
          { runDir: box.run },
        );
        children.push(child);
        const { pid } = await child.ready;
        const hash = sha256(c.img());
        const e = await refusal(open(c.img(), false));
        expect(e.code).toBe('EBUSY');
        expect(e.message).toBe(`${c.img()}: in use by another joot session (pid ${pid}, read-only)`);
        expect(sha256(c.img())).toBe(hash);
        // and through the CLI (a script that writes: one that only reads would read on the
        // userspace engine, which takes no lock)
        const r = spawnSync(join(REPO, 'bin/jfish'), ['-a', c.img(), 'run', ':', 'touch', '/x'], {
          env: { ...process.env, JOOT_RUN_DIR: box.run },
          encoding: 'utf8',
        });
        expect(r.status).toBe(1);
        expect(r.stderr).toBe(`jfish: run: ${c.img()}: in use by another joot session (pid ${pid}, read-only)\n`);
        expect(sha256(c.img())).toBe(hash);
        child.proc.kill('SIGTERM');
        expect((await child.exit).code).toBe(143);
        const later = await open(c.img(), false);
        await later.close();
        await expectNoLeftovers(before);
      });
    }
  });

  describe('an image a plain qemu process holds for writing', () => {
    async function qsdHolding(img: string, format: 'raw' | 'qcow2'): Promise<ChildProcess> {
      const exportFile = join(box.dir, `export-${format}`);
      writeFileSync(exportFile, '');
      const p = spawn(
        'qemu-storage-daemon',
        [
          '--blockdev',
          `driver=file,filename=${img},node-name=f`,
          '--blockdev',
          `driver=${format},file=f,node-name=d`,
          '--export',
          `type=fuse,id=e,node-name=d,mountpoint=${exportFile},writable=on`,
        ],
        { stdio: 'ignore' },
      );
      procs.push(p);
      const up = await until(() => isMounted(exportFile), 5000);
      expect(up, 'qemu-storage-daemon did not export the image').toBe(true);
      return p;
    }

    for (const c of cases) {
      const format = c.kind.startsWith('raw') ? 'raw' : 'qcow2';
      it(`${c.kind}: a read-write joot session fails with EBUSY, the image untouched`, async () => {
        const qsd = await qsdHolding(c.img(), format);
        const holding = await snapshot({ paths: [box.dir], runDir: box.run });
        const hash = sha256(c.img());
        const e = await refusal(open(c.img(), false));
        expect(e.code).toBe('EBUSY');
        expect(e.message).toContain(c.img());
        expect(e.message).toMatch(/in use by another process/);
        expect(sha256(c.img())).toBe(hash);
        await expectNoLeftovers(holding);
        qsd.kill('SIGTERM');
        await new Promise((r) => qsd.once('exit', r));
        // free again
        const later = await open(c.img(), false);
        await later.close();
        await expectNoLeftovers(before);
      });
    }

    it('qcow2: while joot has it open read-write, qemu cannot open it for writing (qemu-storage-daemon holds its locks)', async () => {
      const s = await open(qcow, false, false);
      const r = spawnSync('qemu-img', ['info', qcow], { encoding: 'utf8' });
      expect(r.status).not.toBe(0);
      expect(r.stderr).toMatch(/lock/);
      await s.close();
      expect(spawnSync('qemu-img', ['info', qcow]).status).toBe(0);
      await expectNoLeftovers(before);
    });
  });

  describe('the registry lock', () => {
    const lockDir = () => join(box.run, 'lock');

    /** Launch a read-only session on raw and report how long it took. */
    async function timedLaunch(): Promise<number> {
      const t = performance.now();
      const s = await open(raw, true, false);
      const ms = performance.now() - t;
      await s.close();
      return ms;
    }

    function plantLock(owner: string | undefined, ageMs = 0): void {
      mkdirSync(box.run, { recursive: true });
      mkdirSync(lockDir());
      if (owner !== undefined) writeFileSync(join(lockDir(), 'owner'), owner);
      if (ageMs) {
        const t = (Date.now() - ageMs) / 1000;
        utimesSync(lockDir(), t, t);
      }
    }

    it('a lock left by a dead process is broken at once', async () => {
      plantLock(`${deadPid()} 12345`);
      expect(await timedLaunch()).toBeLessThan(1000);
      expect(existsSync(lockDir())).toBe(false);
      await expectNoLeftovers(before);
    });

    it('a lock whose pid is alive but started at another time (pid reuse) is broken', async () => {
      plantLock(`${process.pid} ${Number(processStart(process.pid)) + 1}`);
      expect(await timedLaunch()).toBeLessThan(1000);
      expect(existsSync(lockDir())).toBe(false);
    });

    it('a lock with no owner file (its holder died right after mkdir) does not block forever', async () => {
      plantLock(undefined, 10_000);
      expect(await timedLaunch()).toBeLessThan(1000);
      expect(existsSync(lockDir())).toBe(false);
    });

    it('a lock with a garbage owner file does not block forever', async () => {
      plantLock('garbage', 10_000);
      expect(await timedLaunch()).toBeLessThan(1000);
      expect(existsSync(lockDir())).toBe(false);
    });

    it('a live holder that lets go: the launch waits for it', async () => {
      const sleeper = spawn('sleep', ['30'], { stdio: 'ignore' });
      procs.push(sleeper);
      await until(() => processStart(sleeper.pid!) !== undefined);
      plantLock(`${sleeper.pid} ${processStart(sleeper.pid!)}`);
      setTimeout(() => sleeper.kill('SIGKILL'), 300);
      const ms = await timedLaunch();
      expect(ms).toBeGreaterThanOrEqual(250);
      expect(ms).toBeLessThan(2500);
    });

    it('a live holder that never lets go: a clear, bounded EBUSY and nothing left behind', async () => {
      const sleeper = spawn('sleep', ['30'], { stdio: 'ignore' });
      procs.push(sleeper);
      await until(() => processStart(sleeper.pid!) !== undefined);
      plantLock(`${sleeper.pid} ${processStart(sleeper.pid!)}`);
      const t = performance.now();
      const e = await refusal(open(raw, true, false));
      expect(performance.now() - t).toBeLessThan(15_000);
      expect(e.code).toBe('EBUSY');
      expect(e.message).toContain(lockDir());
      expect(e.message).toContain(`pid ${sleeper.pid}`);
      // the live holder's lock is still there, ours is not
      expect(existsSync(lockDir())).toBe(true);
      await expectNoLeftovers({ ...before, lock: ['lock'] });
    });

    for (const stale of [false, true]) {
      it(`of 6 read-write launches at once (other processes) exactly one wins${stale ? ', with a stale lock around' : ''}`, async () => {
        if (stale) plantLock(`${deadPid()} 1`);
        const hash = sha256(raw);
        const racers = Array.from({ length: 6 }, () =>
          startChild(box.dir, { drives: [{ path: raw, readonly: false }] }, { runDir: box.run }),
        );
        children.push(...racers);
        const results = await Promise.all(
          racers.map((c) =>
            c.ready.then(
              () => 'READY',
              (e: { code?: string }) => e.code ?? String(e),
            ),
          ),
        );
        expect(results.filter((r) => r === 'READY')).toHaveLength(1);
        expect(results.filter((r) => r === 'EBUSY')).toHaveLength(5);
        expect(sha256(raw)).toBe(hash);
        for (const c of racers) if (c.proc.exitCode === null) c.proc.kill('SIGTERM');
        await Promise.all(racers.map((c) => c.exit));
        await expectNoLeftovers(before);
      });
    }
  });
});

function isMounted(path: string): boolean {
  const r = spawnSync('findmnt', ['-rn', '-M', path], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.trim() !== '';
}
