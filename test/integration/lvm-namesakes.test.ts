// Two VGs of one name on the attached disks (issue 14): each keeps its LVs, the second shown as
// VG@DEV (src/disk/volumes/lvm/vg-names.ts), through the built jfish and jinspect on both
// engines: debian-lvm.raw + debian-lvm-clone.raw (a clone with new PV and VG uuids made by the
// lvm tools, VG still vgdeb) answer every device-level command alike on both engines, mount and
// read each guest's own files, and inspect as two OSes with their own mountpoints; on the kernel
// engine the host's lvm tools change one of two namesake VGs made by jfish itself (scoped to its
// PVs), and renaming it ends the clash.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixture } from '../fixtures/index.js';
import { expectNoLeftovers, snapshot, type Snapshot } from './leftovers.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const jfish = join(repo, 'bin/jfish');
const jinspect = join(repo, 'bin/jinspect');
const built = existsSync(join(repo, 'dist/bundle/jfish.mjs'));
const root = process.getuid?.() === 0;

let dir = '';
let before: Snapshot;

function run(tool: string, args: string[], engine: 'kernel' | 'userspace') {
  return execa(tool, args, {
    reject: false,
    stripFinalNewline: false,
    timeout: 180_000,
    env: { ...process.env, JOOT_CONFIG: '', JOOT_ENGINE: engine, JOOT_RUN_DIR: join(dir, 'run') },
  });
}
const cmds = (...lines: string[][]) => lines.flatMap((l, i) => (i ? [':', ...l] : l));

describe.skipIf(!built || !root)('two VGs of one name', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lvm-namesakes-'));
    before = await snapshot({ paths: [dir] });
  });
  afterAll(async () => {
    try {
      await expectNoLeftovers(before);
    } finally {
      if (dir) rmSync(dir, { recursive: true, force: true });
    }
  });

  it('debian-lvm.raw + its clone: the same answers on both engines, each VG read from its own disk', { timeout: 600_000 }, async () => {
    const a = await fixture('debian-lvm.raw');
    const b = await fixture('debian-lvm-clone.raw');
    const script = cmds(
      ['run'],
      ['vgs'],
      ['lvs'],
      ['pvs'],
      ['vgs-full'],
      ['lvs-full'],
      ['pvs-full'],
      ['list-filesystems'],
      ['vfs-label', '/dev/vgdeb/root'],
      ['vfs-label', '/dev/vgdeb@sdb2/root'],
      ['vfs-type', '/dev/mapper/vgdeb@sdb2-var--log'],
      ['vfs-uuid', '/dev/vgdeb@sdb2/var'],
      ['lvm-canonical-lv-name', '/dev/mapper/vgdeb@sdb2-var--log'],
      ['lvm-canonical-lv-name', 'vgdeb@sdb2/swap_1'],
      ['is-lv', '/dev/vgdeb@sdb2/root'],
      ['is-lv', '/dev/vgdeb@sdc2/root'],
      ['lvuuid', '/dev/vgdeb@sdb2/root'],
      ['vglvuuids', 'vgdeb@sdb2'],
      ['vguuid', 'vgdeb@sdb2'],
      ['vgpvuuids', 'vgdeb@sdb2'],
      ['mount-ro', '/dev/vgdeb@sdb2/root', '/'],
      ['cat', '/etc/hostname'],
      ['download', '/etc/hostname', join(dir, 'clone-hostname')],
      ['umount', '/'],
      ['mount-ro', '/dev/mapper/vgdeb-root', '/'],
      ['cat', '/etc/hostname'],
    );
    const out: Record<string, string> = {};
    for (const engine of ['kernel', 'userspace'] as const) {
      const r = await run(jfish, ['--ro', '-a', a, '-a', b, ...script], engine);
      expect(r.stderr, engine).toBe('');
      expect(r.exitCode, engine).toBe(0);
      out[engine] = r.stdout;
      expect(readFileSync(join(dir, 'clone-hostname'), 'utf8')).toBe('debian-lvm-clone\n');
      rmSync(join(dir, 'clone-hostname'));
    }
    expect(out.userspace).toBe(out.kernel);
    const lines = out.kernel!.split('\n');
    expect(lines.slice(0, 10)).toEqual([
      'vgdeb',
      'vgdeb@sdb2',
      '/dev/vgdeb/root',
      '/dev/vgdeb@sdb2/root',
      '/dev/vgdeb/swap_1',
      '/dev/vgdeb@sdb2/swap_1',
      '/dev/vgdeb/var',
      '/dev/vgdeb@sdb2/var',
      '/dev/vgdeb/var-log',
      '/dev/vgdeb@sdb2/var-log',
    ]);
    expect(out.kernel).toContain('/dev/vgdeb@sdb2/var-log: ext4\n');
    expect(out.kernel).toMatch(/\nroot\nrootclone\next4\n/);
    expect(out.kernel).toContain('\n/dev/vgdeb@sdb2/var-log\n/dev/vgdeb@sdb2/swap_1\ntrue\nfalse\n');
    expect(out.kernel).toMatch(/\ndebian-lvm-clone\n+debian-lvm\n+$/);
  });

  it('jinspect: two OSes, each with its own root, hostname and mountpoints; the same report on both engines', {
    timeout: 600_000,
  }, async () => {
    const a = await fixture('debian-lvm.raw');
    const b = await fixture('debian-lvm-clone.raw');
    const reports: Record<string, string> = {};
    for (const engine of ['kernel', 'userspace'] as const) {
      const r = await run(jinspect, [a, b], engine);
      expect(r.exitCode, `${engine}: ${r.stderr}`).toBe(0);
      reports[engine] = r.stdout;
    }
    expect(reports.userspace).toBe(reports.kernel);
    const oses = (
      JSON.parse(reports.kernel!) as { operatingsystems: { root: string; hostname: string; mountpoints: Record<string, string> }[] }
    ).operatingsystems;
    expect(oses.map((o) => [o.root, o.hostname, o.mountpoints])).toEqual([
      [
        '/dev/vgdeb/root',
        'debian-lvm',
        { '/': '/dev/vgdeb/root', '/var': '/dev/vgdeb/var', '/boot': '/dev/sda1', '/var/log': '/dev/vgdeb/var-log' },
      ],
      [
        '/dev/vgdeb@sdb2/root',
        'debian-lvm-clone',
        { '/': '/dev/vgdeb@sdb2/root', '/var': '/dev/vgdeb@sdb2/var', '/boot': '/dev/sdb1', '/var/log': '/dev/vgdeb@sdb2/var-log' },
      ],
    ]);
  });

  it('kernel engine: lvm changes to one of two namesakes touch only it; vgrename ends the clash', { timeout: 600_000 }, async () => {
    const disks = ['ns1.raw', 'ns2.raw'].map((n) => {
      const f = join(dir, n);
      writeFileSync(f, '');
      execFileSync('truncate', ['-s', String(64 * 1024 * 1024), f]);
      return f;
    });
    for (const d of disks) {
      const r = await run(
        jfish,
        ['-a', d, ...cmds(['run'], ['pvcreate', '/dev/sda'], ['vgcreate', 'VG', '/dev/sda'], ['lvcreate', 'LV', 'VG', '16'])],
        'kernel',
      );
      expect(r.stderr).toBe('');
    }
    const both = ['-a', disks[0]!, '-a', disks[1]!];
    const w = await run(
      jfish,
      [
        ...both,
        ...cmds(
          ['run'],
          ['mkfs', 'ext4', '/dev/VG@sdb/LV'],
          ['mount', '/dev/VG@sdb/LV', '/'],
          ['write', '/which', 'b'],
          ['umount', '/'],
          ['lvcreate', 'extra', 'VG@sdb', '8'],
          ['lvrename', '/dev/VG@sdb/extra', 'more'],
          // the last LV: it grows in place (one segment, a loop device here without device-mapper)
          ['lvresize', '/dev/VG@sdb/more', '24'],
          ['lvs'],
          ['vgcreate', 'VG', '/dev/sda'],
        ),
      ],
      'kernel',
    );
    expect(w.stdout).toBe('/dev/VG/LV\n/dev/VG@sdb/LV\n/dev/VG@sdb/more\n');
    expect(w.stderr).toBe('jfish: vgcreate: vgcreate: a volume group named VG exists already\n');
    // each disk alone: only sdb's VG changed
    const alone = async (d: string) =>
      (await run(jfish, ['--ro', '-a', d, ...cmds(['run'], ['lvs-full'])], 'kernel')).stdout
        .split('\n')
        .filter((l) => /lv_name|lv_size/.test(l))
        .map((l) => l.trim());
    expect(await alone(disks[0]!)).toEqual(['lv_name: /dev/VG/LV', `lv_size: ${16 * 1024 * 1024}`]);
    expect(await alone(disks[1]!)).toEqual([
      'lv_name: /dev/VG/LV',
      `lv_size: ${16 * 1024 * 1024}`,
      'lv_name: /dev/VG/more',
      `lv_size: ${24 * 1024 * 1024}`,
    ]);
    const r = await run(
      jfish,
      [...both, ...cmds(['run'], ['vgrename', 'VG@sdb', 'VGB'], ['vgs'], ['mount-ro', '/dev/VGB/LV', '/'], ['cat', '/which'])],
      'kernel',
    );
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('VG\nVGB\nb\n');
  });
});
