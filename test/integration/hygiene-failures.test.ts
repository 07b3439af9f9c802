// Resource hygiene, point 2: failure paths leave nothing. A launch that fails on the second drive
// after the first attached; mounts that fail (swap, an LV this host cannot open, mount(8) errors,
// FUSE drivers that die); user code that throws inside `await using`; close() while launch or
// a mount is still running.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { isJootError, Session } from '../../src/appliance/index.js';
import { expectNoLeftovers, helperProcesses, loopDevices, snapshot, type Snapshot } from './leftovers.js';
import { sandbox, scrub, sha256, sleep, SKIP, type Sandbox } from './hygiene-util.js';

describe.skipIf(SKIP !== '')('hygiene: failure paths', () => {
  let box: Sandbox;
  let savedRunDir: string | undefined;
  let before: Snapshot;
  const img: Record<string, string> = {};
  // every session a test opens is closed after it, even when an assertion failed midway
  const sessions: Session[] = [];
  function session(): Session {
    const s = new Session();
    sessions.push(s);
    return s;
  }
  afterEach(async () => {
    await Promise.allSettled(sessions.splice(0).map((s) => s.close()));
    scrub(box.dir, { runDir: box.run });
  });

  beforeAll(async () => {
    box = sandbox('failures');
    savedRunDir = process.env.JOOT_RUN_DIR;
    process.env.JOOT_RUN_DIR = box.run;
    for (const n of ['mbr.raw', 'three.qcow2', 'truncated.qcow2', 'corrupt-mbr.raw', 'lvm.raw', 'backing-shadow.qcow2'] as const)
      img[n] = await box.copy(n);
    // a qcow2 whose partition table is corrupt: fails after its helper and loop device are up
    img['corrupt-mbr.qcow2'] = join(box.dir, 'img', 'corrupt-mbr.qcow2');
    execFileSync('qemu-img', ['convert', '-f', 'raw', '-O', 'qcow2', img['corrupt-mbr.raw']!, img['corrupt-mbr.qcow2']]);
  });

  // each test is judged on its own: what one leaks is scrubbed before the next
  beforeEach(async () => {
    before = await snapshot({ paths: [box.dir] });
  });

  afterAll(() => {
    if (savedRunDir === undefined) delete process.env.JOOT_RUN_DIR;
    else process.env.JOOT_RUN_DIR = savedRunDir;
    box?.remove();
  });

  async function launchFails(drives: [string, boolean][], code: string, names: string): Promise<void> {
    const s = session();
    for (const [p, ro] of drives) s.addDrive(p, { readonly: ro });
    const err = await s.launch().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isJootError(err), String(err)).toBe(true);
    expect((err as { code: string }).code).toBe(code);
    expect((err as Error).message).toContain(names);
    expect(s.launched).toBe(false);
    // a failed launch closed the session
    await expect(s.launch()).rejects.toMatchObject({ code: 'ESTATE' });
    await s.close(); // and closing again is harmless
    await expectNoLeftovers(before);
  }

  describe('a launch failing on the second drive after the first attached', () => {
    it('raw (loop) + truncated qcow2', async () => {
      await launchFails(
        [
          [img['mbr.raw']!, true],
          [img['truncated.qcow2']!, true],
        ],
        'EFORMAT',
        img['truncated.qcow2']!,
      );
    });
    it('qcow2 (FUSE helper) + raw with a corrupt MBR (attached, then refused)', async () => {
      await launchFails(
        [
          [img['three.qcow2']!, true],
          [img['corrupt-mbr.raw']!, true],
        ],
        'EFORMAT',
        img['corrupt-mbr.raw']!,
      );
    });
    it('raw + qcow2 with a corrupt MBR (helper and loop up, then refused), read-write', async () => {
      await launchFails(
        [
          [img['mbr.raw']!, false],
          [img['corrupt-mbr.qcow2']!, false],
        ],
        'EFORMAT',
        img['corrupt-mbr.qcow2']!,
      );
    });
    it('qcow2 + qcow2 with a forbidden backing file', async () => {
      await launchFails(
        [
          [img['three.qcow2']!, true],
          [img['backing-shadow.qcow2']!, true],
        ],
        'EPERM',
        img['backing-shadow.qcow2']!,
      );
    });
    it('three drives, the last one missing', async () => {
      const missing = join(box.dir, 'img', 'missing.qcow2');
      await launchFails(
        [
          [img['mbr.raw']!, true],
          [img['three.qcow2']!, true],
          [missing, true],
        ],
        'ENOENT',
        missing,
      );
    });
    it('the images are unchanged by the failed read-write launch', async () => {
      const before = sha256(img['mbr.raw']!);
      await launchFails(
        [
          [img['mbr.raw']!, false],
          [img['corrupt-mbr.raw']!, false],
        ],
        'EFORMAT',
        img['corrupt-mbr.raw']!,
      );
      expect(sha256(img['mbr.raw']!)).toBe(before);
    });
  });

  describe('mounts that fail', () => {
    it('swap, a wrong type, a bad option, dying FUSE drivers: the session goes on and closes clean', async () => {
      const s = session();
      s.addDrive(img['three.qcow2']!, { readonly: true });
      s.addDrive(img['mbr.raw']!, { readonly: true });
      await s.launch();
      const ours = () => helperProcesses().filter((p) => p.args.join(' ').includes(box.dir));
      expect(ours().map((p) => p.args[0])).toEqual(['qemu-storage-daemon']);
      await expect(s.mount('/dev/sdb6', '/')).rejects.toMatchObject({ code: 'EINVAL', message: expect.stringContaining('swap') });
      await expect(s.mount('/dev/sdb1', '/', { vfstype: 'xfs' })).rejects.toMatchObject({ code: 'ECMD' });
      await expect(s.mount('/dev/sdb1', '/', { options: 'no_such_option' })).rejects.toMatchObject({ code: 'ECMD' });
      await expect(s.mount('/dev/sda1', '/', { vfstype: 'vfat' })).rejects.toMatchObject({
        code: 'ECMD',
        message: expect.stringContaining('fusefat'),
      });
      await expect(s.mount('/dev/sda1', '/', { vfstype: 'ntfs' })).rejects.toMatchObject({
        code: 'ECMD',
        message: expect.stringContaining('ntfs-3g'),
      });
      await expect(s.mount('/dev/sda1', '/', { options: 'suid' })).rejects.toMatchObject({ code: 'EPERM' });
      // the failed FUSE drivers are gone at once, not only at close
      expect(ours().map((p) => p.args[0])).toEqual(['qemu-storage-daemon']);
      expect(s.mountpoints()).toEqual([]);
      // nothing half-mounted: the right mounts still work
      await s.mount('/dev/sda1', '/');
      await s.mount('/dev/sdb1', '/lost+found');
      expect((await s.readFile('/one.txt')).toString()).toBe('1\n');
      expect((await s.readFile('/lost+found/hello.txt')).toString()).toBe('hello from mbr\n');
      await s.close();
      await expectNoLeftovers(before);
    });

    it('an LV read in userspace (striped, no device-mapper): its export goes with the session', async () => {
      const s = session();
      s.addDrive(img['lvm.raw']!, { readonly: true });
      await s.launch();
      const ours = () => loopDevices().find((l) => l.backing === img['lvm.raw'])!.device;
      expect(s.lvsFull().find((l) => l.lv === 'striped')?.unavailable).toBeUndefined();
      await s.mount('/dev/vg0/striped', '/');
      expect((await s.readFile('/striped.txt')).toString()).toBe('striped\n');
      // a read-write mount of it is refused (nothing half-mounted)
      await s.umount('/');
      await expect(s.mount('/dev/vg0/striped', '/', { options: 'rw' })).rejects.toMatchObject({ code: 'EINVAL' });
      await s.mount('/dev/vg0/root', '/');
      expect((await s.readFile('/hello.txt')).toString()).toBe('hello from lvm\n');
      // LV loop devices over the PVs count too: only the mounted linear LV (root) has one
      expect(loopDevices().filter((l) => /^\/dev\/loop\d+p\d+$/.test(l.backing) && l.backing.startsWith(ours()))).toHaveLength(1);
      await s.close();
      await expectNoLeftovers(before);
    });
  });

  describe('user code that throws', () => {
    it('inside `await using`, with mounts on a qcow2 and a raw drive', async () => {
      const boom = new Error('user code failed');
      const attempt = async () => {
        await using s = session();
        s.addDrive(img['three.qcow2']!, { readonly: true });
        s.addDrive(img['mbr.raw']!, { readonly: true });
        await s.launch();
        await s.mount('/dev/sda1', '/');
        await s.mount('/dev/sdb1', '/lost+found');
        expect((await s.readFile('/lost+found/hello.txt')).toString()).toBe('hello from mbr\n');
        throw boom;
      };
      await expect(attempt()).rejects.toBe(boom);
      await expectNoLeftovers(before);
    });

    it('inside `await using` during launch (a failing drive) — the error is the launch error', async () => {
      const attempt = async () => {
        await using s = session();
        s.addDrive(img['three.qcow2']!, { readonly: true });
        s.addDrive(img['corrupt-mbr.qcow2']!, { readonly: true });
        await s.launch();
      };
      await expect(attempt()).rejects.toMatchObject({ code: 'EFORMAT' });
      await expectNoLeftovers(before);
    });
  });

  describe('close() while work is in flight', () => {
    const outcomes: string[] = [];
    afterAll(() => console.log(`hygiene: close during launch: ${outcomes.join(', ')}`));
    for (const delay of [0, 5, 15, 30, 45, 60, 90]) {
      it(`close ${delay} ms into a launch (qcow2 + raw)`, async () => {
        const s = session();
        s.addDrive(img['three.qcow2']!, { readonly: true });
        s.addDrive(img['mbr.raw']!, { readonly: true });
        const launched = s.launch().then(
          () => 'launched',
          (e: unknown) => (isJootError(e) ? e.code : String(e)),
        );
        await sleep(delay);
        await s.close();
        // either it finished before close (and close released it) or it was stopped
        const outcome = await launched;
        outcomes.push(`${delay} ms: ${outcome}`);
        expect(['launched', 'ESTATE']).toContain(outcome);
        expect(s.launched).toBe(false);
        await expectNoLeftovers(before, { timeoutMs: 500 });
      });
    }

    it('close while a mount is running', async () => {
      const s = session();
      s.addDrive(img['three.qcow2']!, { readonly: true });
      await s.launch();
      const mounting = s.mount('/dev/sda1', '/').then(
        () => 'mounted',
        (e: unknown) => (isJootError(e) ? e.code : String(e)),
      );
      await s.close();
      expect(['mounted', 'ESTATE']).toContain(await mounting);
      await expectNoLeftovers(before, { timeoutMs: 500 });
    });

    it('close twice at once, and operations after close', async () => {
      const s = session();
      s.addDrive(img['mbr.raw']!, { readonly: true });
      await s.launch();
      await s.mount('/dev/sda1', '/');
      await Promise.all([s.close(), s.close(), s[Symbol.asyncDispose]()]);
      await expect(s.mount('/dev/sda5', '/')).rejects.toMatchObject({ code: 'ESTATE' });
      await expect(s.readFile('/hello.txt')).rejects.toMatchObject({ code: 'ESTATE' });
      await expectNoLeftovers(before, { timeoutMs: 500 });
    });
  });
});
