// The userspace engine needs no root: the same jfish commands run by nobody (setpriv to uid
// 65534, with its own HOME and nothing of root's environment) print exactly what root's kernel
// engine prints, and leave nothing behind — no loop device, mount, helper process, session
// record or socket directory. Runs against the built code: `npm run build` first.
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixture, type FixtureName } from '../fixtures/index.js';
import { fileSha256 } from './file-digest.js';
import { expectNoLeftovers, snapshot } from './leftovers.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const jfish = join(repo, 'bin', 'jfish');
const ok = existsSync(join(repo, 'dist/bundle')) && process.getuid?.() === 0;

const IMAGES: [FixtureName, string[]][] = [
  ['mbr.raw', ['part-list /dev/sda', 'part-get-mbr-id /dev/sda 5', 'blkid /dev/sda1', 'vfs-label /dev/sda7']],
  ['gpt.raw', ['part-list /dev/sda', 'part-get-name /dev/sda 2', 'part-get-gpt-type /dev/sda 1', 'blkid /dev/sda3']],
  ['debian-lvm.raw', ['pvs-full', 'vgs', 'lvs-full', 'vfs-type /dev/vgdeb/root']],
  ['three.qcow2', ['part-list /dev/sda', 'blockdev-getsize64 /dev/sda']],
  ['mbr.vdi', ['part-list /dev/sda', 'vfs-uuid /dev/sda1']],
  // files too: a filesystem read in-process by nobody, as root's kernel mount shows it
  [
    'ext-debian-a.raw',
    [
      'mount-ro /dev/sda1 /',
      'll /etc/apt',
      'cat /etc/hostname',
      'checksum sha256 /etc/passwd',
      'find /etc/apt',
      'tar-out /etc/apt -',
      'umount-all',
      'inspect-os',
    ],
  ],
  [
    'debian-btrfs.raw',
    ['mount-ro btrfsvol:/dev/sda1/@ /', 'readlink /etc/os-release', 'head-n 2 /etc/os-release', 'btrfs-subvolume-list /'],
  ],
];
const COMMON = ['list-devices', 'list-partitions', 'list-filesystems', 'lvs', 'list-md-devices'];

function script(cmds: string[]): string[] {
  return ['run', ...[...COMMON, ...cmds].flatMap((c) => [':', ...c.split(' ')])];
}

describe.skipIf(!ok)('the userspace engine as nobody = the kernel engine as root', () => {
  let home = '';
  const sha = fileSha256;

  beforeAll(() => {
    home = mkdtempSync(join(tmpdir(), 'joot-engine-nonroot-'));
    chmodSync(home, 0o755);
  });
  afterAll(() => {
    if (home) rmSync(home, { recursive: true, force: true });
  });

  for (const [name, cmds] of IMAGES) {
    it(name, async () => {
      const img = await fixture(name);
      // nobody must be able to read it where it lies (a fresh clone under /root would not be)
      execFileSync('setpriv', ['--reuid', '65534', '--regid', '65534', '--clear-groups', 'head', '-c', '1', img], { stdio: 'ignore' });
      const hash = sha(img);
      const before = await snapshot({ paths: [img, home] });
      const asRoot = await execa(jfish, ['--engine=kernel', '--ro', '-a', img, ...script(cmds)], { reject: false, input: '' });
      const asNobody = await execa(
        'setpriv',
        ['--reuid', '65534', '--regid', '65534', '--clear-groups', jfish, '--ro', '-a', img, ...script(cmds)],
        {
          reject: false,
          env: { HOME: home, PATH: process.env.PATH ?? '/usr/bin:/bin', XDG_RUNTIME_DIR: '' },
          extendEnv: false,
          input: '',
        },
      );
      expect(asRoot.stderr).toBe('');
      expect(asRoot.exitCode).toBe(0);
      expect({ out: asNobody.stdout, err: asNobody.stderr, code: asNobody.exitCode }).toEqual({ out: asRoot.stdout, err: '', code: 0 });
      expect(sha(img)).toBe(hash);
      expect(readdirSync(home)).toEqual([]);
      await expectNoLeftovers(before);
    });
  }
});
