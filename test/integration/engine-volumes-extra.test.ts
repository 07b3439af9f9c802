// The volume features past engine-volumes.test.ts, on both engines: a LUKS volume with a detached
// header (made by cryptsetup, data encrypted with the volume key it dumps: luks-tools.ts), the
// guest's own md names in inspection (its mdadm.conf: md-tools.ts makeMdGuestRoot), and the
// multi-zone RAID0 and RAID6 layouts of md-extra.img, and the RAID4 of md4-a…d.img, whole and with
// one member image left out. The kernel engine (root) reads these in
// userspace too on a host without md or device-mapper and mounts through a read-only loop device:
// it must answer as the userspace engine does, and leave nothing behind.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { Session } from '../../src/appliance/index.js';
import { parseKeySpec } from '../../src/disk/keys.js';
import { inspect } from '../../src/inspect/index.js';
import { fixture, fixtures } from '../fixtures/index.js';
import { DETACHED_PASS, makeDetached, removeTmps } from '../unit/luks-tools.js';
import { makeMdGuestRoot, mdUuidsByName } from '../unit/md-tools.js';
import { deviceSha256 } from './device-digest.js';
import { expectNoLeftovers, snapshot } from './leftovers.js';

const ENGINES = ['userspace', 'kernel'] as const;
const JFISH = join(resolve(dirname(fileURLToPath(import.meta.url)), '../..'), 'bin', 'jfish');
const made: string[] = [];

afterAll(() => {
  removeTmps();
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

describe.skipIf(process.getuid?.() !== 0)('volumes on both engines', () => {
  it('a LUKS volume with a detached header: the same answers, and the kernel engine mounts the ext4 inside', async () => {
    const tree = mkdtempSync(join(tmpdir(), 'joot-dettree-'));
    made.push(tree);
    writeFileSync(join(tree, 'hello.txt'), 'hello from a detached header\n');
    const m = await makeDetached('luks2', 'det-int', [], tree);
    const before = await snapshot({ paths: [m.dir] });
    const key = parseKeySpec(`/dev/sda:header:${m.hdr}:key:${DETACHED_PASS}`);
    const said: Record<string, unknown> = {};
    for (const engine of ENGINES) {
      await using s = new Session({ engine, keys: [key] });
      s.addDrive(m.dev, { readonly: true });
      await s.launch();
      const dm = `/dev/mapper/luks-${m.uuid}`;
      said[engine] = {
        dm: s.listDmDevices(),
        fs: s.filesystems().map((f) => [f.name, f.type, f.label ?? '']),
        sum: await deviceSha256(s, dm),
      };
      await s.mount(dm, '/');
      expect((await s.readFile('/hello.txt')).toString(), engine).toBe('hello from a detached header\n');
    }
    expect(said.kernel).toEqual(said.userspace);
    expect((said.userspace as { dm: string[] }).dm).toEqual([`/dev/mapper/luks-${m.uuid}`]);
    await expectNoLeftovers(before);
  });

  it("the guest's md names (mdadm.conf, /dev/md/NAME): the same mountpoints from inspection on both engines", async () => {
    const [a, b, c, f] = await fixtures('md-a.img', 'md-b.img', 'md-c.img', 'md.facts.json');
    const dir = mkdtempSync(join(tmpdir(), 'joot-mdguest-'));
    made.push(dir);
    const root = makeMdGuestRoot(dir, mdUuidsByName(f as string));
    const before = await snapshot({ paths: [dir] });
    const said: Record<string, unknown> = {};
    for (const engine of ENGINES) {
      await using s = new Session({ engine });
      for (const img of [a, b, c, root]) s.addDrive(img as string, { readonly: true });
      await s.launch();
      const os = (await inspect(s, { applications: false })).operatingsystems.find((o) => o.root === '/dev/sdd');
      said[engine] = { md: s.listMdDevices(), mountpoints: os?.mountpoints };
    }
    expect(said.kernel).toEqual(said.userspace);
    expect(Object.keys((said.userspace as { mountpoints: object }).mountpoints).sort()).toEqual([
      '/',
      '/home',
      '/srv/old',
      '/srv/raid10',
      '/srv/raid5',
      '/srv/raid6',
    ]);
    await expectNoLeftovers(before);
  });

  it('md-extra.img: multi-zone RAID0 and four RAID6 layouts, the same arrays and bytes on both engines', async () => {
    const img = await fixture('md-extra.img');
    const before = await snapshot({});
    const said: Record<string, unknown> = {};
    for (const engine of ENGINES) {
      await using s = new Session({ engine });
      s.addDrive(img, { readonly: true });
      await s.launch();
      const md = s.listMdDevices();
      said[engine] = { md, sums: Object.fromEntries(await Promise.all(md.map(async (d) => [d, await deviceSha256(s, d)]))) };
    }
    expect(said.kernel).toEqual(said.userspace);
    expect((said.userspace as { md: string[] }).md.length).toBe(6);
    await expectNoLeftovers(before);
  });

  it('md4-*.img: the RAID4, whole and with each member image left out, the same on both engines as the appliance made it', async () => {
    const imgs = await fixtures('md4-a.img', 'md4-b.img', 'md4-c.img', 'md4-d.img', 'md4.facts.json');
    const f = JSON.parse(readFileSync(imgs[4] as string, 'utf8')) as { sha256: string; hello: string; 'data-sha256': string };
    const before = await snapshot({});
    for (const left of [-1, 0, 1, 2, 3]) {
      const said: Record<string, unknown> = {};
      for (const engine of ENGINES) {
        await using s = new Session({ engine });
        for (const [i, img] of imgs.slice(0, 4).entries()) if (i !== left) s.addDrive(img as string, { readonly: true });
        await s.launch();
        const md = s.listMdDevices();
        const sum = md.length === 1 ? await deviceSha256(s, md[0] as string) : undefined;
        await s.mount('/dev/md127', '/');
        const data = createHash('sha256')
          .update(await s.readFile('/data.bin'))
          .digest('hex');
        said[engine] = {
          md,
          sum,
          fs: s.filesystems().map((x) => [x.name, x.type]),
          hello: (await s.readFile('/hello.txt')).toString(),
          data,
        };
      }
      const why = left < 0 ? 'all four members' : `without ${imgs[left]}`;
      expect(said.userspace, why).toEqual({
        md: ['/dev/md127'],
        sum: f.sha256,
        fs: [['/dev/md127', 'ext4']],
        hello: f.hello,
        data: f['data-sha256'],
      });
      expect(said.kernel, why).toEqual(said.userspace);
    }
    await expectNoLeftovers(before);
  });

  it("md4-*.img with a member's superblock damaged: one warning line naming it, the array degraded from the rest; all damaged: a line each, no array", async () => {
    const imgs = (await fixtures('md4-a.img', 'md4-b.img', 'md4-c.img', 'md4-d.img')) as string[];
    const dir = mkdtempSync(join(tmpdir(), 'joot-md4-bad-'));
    made.push(dir);
    const copies = imgs.map((img, i) => {
      const c = join(dir, `m${i}.img`);
      execFileSync('cp', ['--sparse=always', img, c]);
      return c;
    });
    // the 1.2 superblock is 4 KiB into each member's partition (sector 128): its chunk size
    // changed, the checksum no longer matches, as an attacker's edit without a fix-up leaves it
    const damage = (img: string): void => {
      const fd = openSync(img, 'r+');
      writeSync(fd, Buffer.from([3, 0, 0, 0]), 0, 4, 128 * 512 + 4096 + 88);
      closeSync(fd);
    };
    const before = await snapshot({ paths: [dir] });
    const jfish = (engine: string) =>
      execa(
        JFISH,
        [`--engine=${engine}`, '--ro', ...copies.flatMap((c) => ['-a', c]), 'run', ':', 'list-md-devices', ':', 'list-filesystems'],
        {
          reject: false,
          env: { LC_ALL: 'C' },
        },
      );
    damage(copies[1]!);
    for (const engine of ENGINES) {
      const r = await jfish(engine);
      expect({ engine, code: r.exitCode, out: r.stdout, err: r.stderr }).toEqual({
        engine,
        code: 0,
        out: '/dev/md127\n/dev/md127: ext4',
        err: 'joot: warning: /dev/sdb1: md superblock: checksum mismatch: left out',
      });
    }
    for (const c of copies) damage(c);
    for (const engine of ENGINES) {
      const r = await jfish(engine);
      expect({ engine, code: r.exitCode, out: r.stdout, err: r.stderr.split('\n') }).toEqual({
        engine,
        code: 0,
        out: '',
        err: ['a', 'b', 'c', 'd'].map((d) => `joot: warning: /dev/sd${d}1: md superblock: checksum mismatch: left out`),
      });
    }
    await expectNoLeftovers(before);
  });
});
