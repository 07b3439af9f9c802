// The inspection and info commands of issue 16 through bin/jfish on both engines: a disk made
// with -N on the kernel engine holds a filesystem image (a copy of /boot), an ELF header, a
// zstd initrd in the early-microcode form; then jfish --ro --engine=userspace reads them:
// mount-loop, file-architecture, initrd-list, initrd-cat, feature-available. The same reads on
// the kernel engine give the same output. Nothing is left behind (loop devices, mounts).
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ELF_SAMPLES, elfHeader } from '../../src/inspect/arch-samples.js';
import { earlyMicrocode, newcArchive, zstdStored } from '../../src/ops/initrd-samples.js';
import { expectNoLeftovers, snapshot, type Snapshot } from './leftovers.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const jfish = join(repo, 'bin/jfish');
const built = existsSync(join(repo, 'dist/bundle/jfish.mjs'));
const root = process.getuid?.() === 0;
const skipReason = !built ? 'dist/bundle/jfish.mjs is not built (run npm run build)' : !root ? 'needs root (the kernel engine)' : '';

let dir = '';
let before: Snapshot;

function run(args: string[], input: string) {
  const env = { JOOT_CONFIG: '', JOOT_ENGINE: '', JOOT_RUN_DIR: join(dir, 'run') };
  return execa(jfish, args, { reject: false, env, timeout: 120_000, cwd: dir, input });
}

const READS = [
  'mount-loop /boot.img /mnt',
  'cat /mnt/hello',
  'mounts',
  'file-architecture /bin-aarch64',
  'initrd-list /initrd.img',
  'initrd-cat /initrd.img etc/hostname',
  'file-architecture /initrd.img',
  'umount-all',
  'mounts',
].join('\n');

const EXPECTED = [
  'from the loop',
  '',
  '/dev/sda2',
  '/boot.img',
  'aarch64',
  'kernel/x86/microcode/GenuineIntel.bin',
  'bin',
  'bin/ls',
  'etc/hostname',
  // initrd-cat prints the file's bytes as they are (a buffer: no newline added)
  'initrdriscv64',
].join('\n'); // (execa drops the final newline)

describe.skipIf(skipReason !== '')('jfish: info and inspection commands on both engines', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'jfish-info-ops-'));
    before = await snapshot({ paths: [dir], runDir: join(dir, 'run') });
    writeFileSync(join(dir, 'elf'), elfHeader(ELF_SAMPLES.aarch64!));
    const early = newcArchive([{ name: 'kernel/x86/microcode/GenuineIntel.bin', data: 'u' }]);
    const main = newcArchive([
      { name: 'bin' },
      { name: 'bin/ls', data: elfHeader(ELF_SAMPLES.riscv64!) },
      { name: 'etc/hostname', data: 'initrd' },
    ]);
    writeFileSync(join(dir, 'initrd'), earlyMicrocode(early, zstdStored(main)));
    const made = await run(
      ['-N', `${join(dir, 'disk.img')}=bootroot:ext2:ext2:100M:8M`],
      [
        'mount /dev/sda2 /',
        'mkdir /boot',
        'mount /dev/sda1 /boot',
        'write /boot/hello "from the loop\\n"',
        'umount /boot',
        'copy-device-to-file /dev/sda1 /boot.img',
        'mkdir /mnt',
        'upload elf /bin-aarch64',
        'upload initrd /initrd.img',
      ].join('\n'),
    );
    expect(made.stderr).toBe('');
    expect(made.exitCode).toBe(0);
  }, 300_000);

  afterAll(async () => {
    if (!dir) return;
    try {
      await expectNoLeftovers(before);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each([['userspace'], ['kernel']])(
    'the %s engine, read-only',
    async (engine) => {
      const r = await run(['--ro', `--engine=${engine}`, '-a', join(dir, 'disk.img'), '-m', '/dev/sda2'], READS);
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe(EXPECTED);
    },
    120_000,
  );

  it('the userspace engine: writing groups are not available, reading ones are', async () => {
    const r = await run(
      ['--ro', '--engine=userspace', '-a', join(dir, 'disk.img')],
      'run\nfeature-available zerofree\nfeature-available lvm2 hivex\nfilesystem-available ext4\n',
    );
    expect(r.stdout).toBe('false\ntrue\ntrue');
  }, 120_000);
});
