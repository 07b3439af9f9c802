// Paths only a stock host takes (issue 19), run in the stock-kernel VM (test/stock-kernel/sets.ts)
// and skipped where the kernel lacks what they need (this host and CI):
//  - a partition table rewritten again and again on a disk attached through the kernel's NBD,
//    whose partitions the kernel's own parser re-reads (BLKRRPART) while udev probes them: each
//    round's partitions must be there at their new sizes before the next command uses them (the
//    EBUSY/udev race libguestfs met);
//  - an ISO mounted by the kernel's iso9660 driver, answering as the userspace reader does.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { kernelFilesystems } from '../../src/appliance/kernel-fs.js';
import { fixture } from '../fixtures/index.js';
import { REPO } from './hygiene-util.js';
import { expectNoLeftovers, snapshot } from './leftovers.js';

const root = process.getuid?.() === 0;
const jfish = join(REPO, 'bin/jfish');
const dir = mkdtempSync(join(tmpdir(), 'joot-stock-paths-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function run(args: string[]) {
  const r = await execa(jfish, ['-v', ...args], { reject: false, timeout: 300_000, env: { JOOT_ENGINE: '' } });
  return { code: r.exitCode, out: String(r.stdout), err: String(r.stderr) };
}

describe.skipIf(!root || !existsSync('/dev/nbd0'))('a disk attached through the kernel NBD (/dev/nbd0 exists)', () => {
  it('eight partition tables written in a row, each re-read by the kernel at once: sizes, mkfs and mount as written', async () => {
    const disk = join(dir, 'rewrite.qcow2');
    await execa('qemu-img', ['create', '-q', '-f', 'qcow2', disk, '64M']);
    const before = await snapshot();
    const lines: string[][] = [];
    const want: string[] = [];
    for (let i = 0; i < 8; i++) {
      // another layout each round: the table type, the first partition's size, a second one
      const first = 2048 * (4 + i); // 4 MiB, 5 MiB, …
      const secondStart = 2048 + first;
      lines.push(
        ['part-init', '/dev/sda', i % 2 ? 'mbr' : 'gpt'],
        ['part-add', '/dev/sda', 'p', '2048', String(2048 + first - 1)],
        ['part-add', '/dev/sda', 'p', String(secondStart), String(secondStart + 2048 * 16 - 1)],
        ['blockdev-getsize64', '/dev/sda1'],
        ['blockdev-getsize64', '/dev/sda2'],
        ['mkfs', 'ext4', '/dev/sda2'],
        ['mount', '/dev/sda2', '/'],
        ['write', '/round', `round ${i}`],
        ['cat', '/round'],
        ['umount-all'],
      );
      want.push(String(first * 512), String(16 * 1024 * 1024), `round ${i}`);
    }
    const script = lines.flatMap((l, i) => (i ? [':', ...l] : l));
    const r = await run(['--rw', '--format=qcow2', '-a', disk, 'run', ':', ...script]);
    expect(r.code, r.err.slice(-3000)).toBe(0);
    expect(r.out.split('\n').filter(Boolean)).toEqual(want);
    // the path under test: NBD, and the kernel re-reading the table (not partx)
    expect(r.err).toMatch(/joot: qemu-nbd .*--connect/);
    expect(r.err).toMatch(/joot: blockdev --rereadpt \/dev\/nbd\d+/);
    await expectNoLeftovers(before, { timeoutMs: 5000 });
  }, 600_000);
});

describe.skipIf(!root || !kernelFilesystems().has('iso9660'))('an ISO through the kernel’s iso9660 (loaded or loadable)', () => {
  it('iso-debian.iso (Rock Ridge, Joliet): the kernel mounts it, the same tree and bytes as the userspace reader', async () => {
    const iso = await fixture('iso-debian.iso');
    const before = await snapshot();
    const look = ['run', ':', 'mount-ro', '/dev/sda', '/', ':', 'find', '/', ':', 'checksums-out', 'sha256', '/', '-'];
    const kernel = await run(['--ro', '--engine=kernel', '--format=raw', '-a', iso, ...look]);
    expect(kernel.code, kernel.err.slice(-3000)).toBe(0);
    expect(kernel.err).toMatch(/joot: mount -t iso9660 /);
    const userspace = await run(['--ro', '--engine=userspace', '--format=raw', '-a', iso, ...look]);
    expect(userspace.code, userspace.err.slice(-3000)).toBe(0);
    expect(kernel.out.split('\n').length).toBeGreaterThan(10);
    expect(kernel.out).toBe(userspace.out);
    await expectNoLeftovers(before, { timeoutMs: 5000 });
  }, 300_000);
});
