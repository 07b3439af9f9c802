// Resource hygiene, point 1: many attach → mount → read → close cycles through the Session API,
// in this process, leave the host exactly as it was: no loop device (nor partx partition), no
// mount, no helper process, no session record, no session temp dir — and no file descriptor.
// Raw images go through a loop device, qcow2 through a qemu-storage-daemon FUSE export + loop.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import { Session } from '../../src/appliance/index.js';
import { FIXTURES_DIR } from '../fixtures/index.js';
import { expectNoLeftovers, loopDevices, snapshot, helperProcesses, type Snapshot } from './leftovers.js';
import { sandbox, SKIP, type Sandbox } from './hygiene-util.js';

const CYCLES = 50;

describe.skipIf(SKIP !== '')('hygiene: attach/mount/read/close cycles', () => {
  let box: Sandbox;
  let raw = '';
  let qcow = '';
  let overlay = '';
  let savedRunDir: string | undefined;

  beforeAll(async () => {
    box = sandbox('cycles');
    savedRunDir = process.env.JOOT_RUN_DIR;
    process.env.JOOT_RUN_DIR = box.run;
    raw = await box.copy('mbr.raw');
    qcow = await box.copy('three.qcow2');
    // the overlay's backing file is an absolute path into the fixture cache (opened read-only)
    overlay = await box.copy('overlay.qcow2');
  });

  afterAll(() => {
    if (savedRunDir === undefined) delete process.env.JOOT_RUN_DIR;
    else process.env.JOOT_RUN_DIR = savedRunDir;
    box?.remove();
  });

  function losetupLines(): string[] {
    return execFileSync('losetup', ['-a'], { encoding: 'utf8' })
      .split('\n')
      .filter((l) => l.includes(box.dir));
  }

  function mountLines(): string[] {
    return readFileSync('/proc/mounts', 'utf8')
      .split('\n')
      .filter((l) => l.includes(box.dir));
  }

  async function cycle(i: number): Promise<void> {
    const kind = i % 5;
    const s = new Session();
    try {
      if (kind === 0 || kind === 3) {
        // raw via loop: read-only, and every other time read-write (a copy: ours to write)
        s.addDrive(raw, { format: 'raw', readonly: kind === 0 });
        await s.launch();
        await s.mount('/dev/sda1', '/');
        await s.mount('/dev/sda5', '/dir');
        expect((await s.readFile('/hello.txt')).toString()).toBe('hello from mbr\n');
        expect((await s.readFile('/dir/five.txt')).toString()).toBe('five\n');
      } else if (kind === 1 || kind === 4) {
        // qcow2 via qemu-storage-daemon FUSE export + loop
        s.addDrive(qcow, { format: 'qcow2', readonly: kind === 1 });
        await s.launch();
        await s.mount('/dev/sda1', '/');
        await s.mount('/dev/sda2', '/lost+found');
        expect((await s.readFile('/one.txt')).toString()).toBe('1\n');
        expect((await s.readFile('/lost+found/two.txt')).toString()).toBe('2\n');
      } else {
        // two drives at once: a qcow2 overlay (backing chain) and the raw image
        // its base is outside its directory: allowed by name, as joot allows registered images
        s.addDrive(overlay, { readonly: true, backingImages: [path.join(FIXTURES_DIR, 'base-for-overlay.raw')] });
        s.addDrive(raw, { readonly: true });
        await s.launch();
        await s.mount('/dev/sda1', '/');
        expect((await s.readFile('/overlay.txt')).toString()).toBe('from overlay\n');
        await s.umount('/');
        await s.mount('/dev/sdb7', '/');
        expect((await s.readFile('/seven.txt')).toString()).toBe('seven\n');
      }
    } finally {
      await s.close();
    }
  }

  it(`${CYCLES} cycles leave no loop device, mount, helper, record, temp dir or fd`, async () => {
    const before: Snapshot = await snapshot({ paths: [box.dir] });
    expect(before.loops).toEqual([]);
    const mountsBefore = mountLines();
    const losetupBefore = losetupLines();
    // one warm-up cycle: lazily opened descriptors (e.g. of the module loader) are not leaks
    await cycle(0);
    const fdsBefore = readdirSync('/proc/self/fd').length;

    const t0 = performance.now();
    const times: number[] = [];
    for (let i = 0; i < CYCLES; i++) {
      const t = performance.now();
      await cycle(i);
      times.push(performance.now() - t);
      // between cycles nothing of ours may remain either (not only at the end)
      if (i % 10 === 9) expect(loopDevices().filter((l) => l.backing.includes(box.dir))).toEqual([]);
    }
    const total = performance.now() - t0;
    const sorted = [...times].sort((a, b) => a - b);
    console.log(
      `hygiene: ${CYCLES} cycles in ${Math.round(total)} ms (median ${Math.round(sorted[CYCLES >> 1]!)} ms, max ${Math.round(sorted[CYCLES - 1]!)} ms)`,
    );

    await expectNoLeftovers(before);
    expect(mountLines()).toEqual(mountsBefore);
    expect(losetupLines()).toEqual(losetupBefore);
    expect(helperProcesses().filter((p) => p.args.join(' ').includes(box.dir))).toEqual([]);
    expect(readdirSync(`${box.run}/sessions`)).toEqual([]);
    expect(readdirSync(`${box.run}/tmp`)).toEqual([]);
    expect(readdirSync('/proc/self/fd').length).toBeLessThanOrEqual(fdsBefore + 2);
    expect(total).toBeLessThan(40_000);
  });
});
