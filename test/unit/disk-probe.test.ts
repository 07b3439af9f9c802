// The userspace prober against the real `blkid -p`, field by field and in blkid's order: on every
// fixture image (each partition and the whole device), on filesystems made here with mkfs, on
// crafted md superblocks, and on hostile copies (truncated, absurd sizes, random byte flips).
// No root needed: images are read as files, byte ranges as blkid -O/-S reads them.
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { run } from '../../src/core/run.js';
import { probe, probeExport } from '../../src/disk/probe/index.js';
import { ALL_FIXTURES, FIXTURES_DIR } from '../fixtures/index.js';
import { type BlkidAnswer, blkid, withSource } from './disk-probe-helpers.js';

type Range = { offset: number; size: number } | undefined;

/** Our two answers, in the shape of blkid's. */
async function ours(path: string, range: Range): Promise<BlkidAnswer> {
  return withSource(path, range, async (s) => ({
    pairs: await probeExport(s).catch((e: unknown) => {
      if (e instanceof Error && /ambivalent/.test(e.message)) return undefined;
      throw e;
    }),
    udev: await probe(s),
  }));
}

async function expectSame(path: string, range?: Range): Promise<void> {
  const want = await blkid(path, range);
  const got = await ours(path, range);
  expect({ what: `${path} ${JSON.stringify(range)}`, ...got }).toEqual({ what: `${path} ${JSON.stringify(range)}`, ...want });
}

async function has(tool: string): Promise<boolean> {
  return (await run('sh', ['-c', `command -v ${tool}`], { allowFailure: true })).exitCode === 0;
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'joot-probe-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('fixture images: every partition and the whole device', () => {
  const present = ALL_FIXTURES.filter((f) => existsSync(join(FIXTURES_DIR, f)));
  test.each(present)(
    '%s',
    async (name) => {
      const path = join(FIXTURES_DIR, name);
      await expectSame(path);
      const sf = await run('sfdisk', ['--json', path], { allowFailure: true });
      if (sf.exitCode !== 0 || !name.endsWith('.raw')) return;
      const parts =
        (JSON.parse(sf.stdout) as { partitiontable: { partitions?: { start: number; size: number }[] } }).partitiontable.partitions ?? [];
      const total = (await stat(path)).size;
      for (const p of parts) {
        const range = { offset: p.start * 512, size: p.size * 512 };
        if (range.offset + range.size > total) continue; // past the end: blkid refuses -O/-S there
        await expectSame(path, range);
      }
    },
    120_000,
  );
});

/** Filesystems made here: [file name, size, tool, shell command on $F]. */
const MADE: [string, string, string, string][] = [
  ['ext2.img', '8M', 'mkfs.ext2', 'mkfs.ext2 -q -F -L "my lab" -U 11111111-2222-3333-4444-555555555555 "$F"'],
  ['ext3.img', '8M', 'mkfs.ext3', 'mkfs.ext3 -q -F -L e3 "$F"'],
  ['ext4.img', '16M', 'mkfs.ext4', 'mkfs.ext4 -q -F -L e4 "$F"'],
  ['ext4-nojournal.img', '16M', 'mkfs.ext4', 'mkfs.ext4 -q -F -O ^has_journal "$F"'],
  ['ext4-csum64.img', '16M', 'mkfs.ext4', 'mkfs.ext4 -q -F -b 4096 -O 64bit,metadata_csum "$F"'],
  ['ext4-label.img', '8M', 'e2label', `mkfs.ext4 -q -F "$F" && e2label "$F" "$(printf 'caf\\xc3\\xa9 a\\tb$\\\\"')"`],
  ['ext4-ctl.img', '8M', 'e2label', `mkfs.ext4 -q -F "$F" && e2label "$F" "$(printf ' x\\ny\\033 ')"`],
  ['jbd.img', '4M', 'mke2fs', 'mke2fs -q -F -O journal_dev -L jl "$F"'],
  ['xfs.img', '300M', 'mkfs.xfs', 'mkfs.xfs -q -f -L "x y" "$F"'],
  ['xfs-v4.img', '300M', 'mkfs.xfs', 'mkfs.xfs -q -f -m crc=0 "$F"'],
  ['btrfs.img', '128M', 'mkfs.btrfs', `mkfs.btrfs -q -f -L "$(printf 'b\\xc3\\xbc\\nr')" "$F"`],
  ['fat12.img', '4M', 'mkfs.vfat', 'mkfs.vfat -F 12 -n LAB12 "$F"'],
  ['fat12-nolabel.img', '4M', 'mkfs.vfat', 'mkfs.vfat -F 12 "$F"'],
  ['fat16.img', '32M', 'mkfs.vfat', 'mkfs.vfat -F 16 -n "A B" "$F"'],
  ['fat16-nolabel.img', '32M', 'mkfs.vfat', 'mkfs.vfat -F 16 "$F"'],
  ['fat32.img', '64M', 'mkfs.vfat', 'mkfs.vfat -F 32 -n "L 32" -i 6A700001 "$F"'],
  ['fat32-nolabel.img', '64M', 'mkfs.vfat', 'mkfs.vfat -F 32 "$F"'],
  ['fat-small.img', '1M', 'mkfs.vfat', 'mkfs.vfat -F 12 -n TINY "$F"'],
  ['exfat.img', '16M', 'mkfs.exfat', `mkfs.exfat -L "ex l" "$F"`],
  ['ntfs.img', '16M', 'mkntfs', `mkntfs -F -Q -L "$(printf 'caf\\xc3\\xa9 vol')" "$F"`],
  ['swap.img', '4M', 'mkswap', 'mkswap -L "s l" -U 11111111-2222-3333-4444-555555555556 "$F"'],
  ['swap-nolabel.img', '4M', 'mkswap', 'mkswap "$F"'],
  ['squash.img', '0', 'mksquashfs', 'mkdir -p "$F.d" && echo hi > "$F.d/a" && rm -f "$F" && mksquashfs "$F.d" "$F" -quiet -noappend'],
  [
    'erofs.img',
    '0',
    'mkfs.erofs',
    'mkdir -p "$F.d" && echo hi > "$F.d/a" && rm -f "$F" && mkfs.erofs --quiet -U 11111111-2222-3333-4444-555555555557 "$F" "$F.d"',
  ],
  [
    'iso.img',
    '0',
    'xorriso',
    'mkdir -p "$F.d" && echo hi > "$F.d/a" && rm -f "$F" && xorriso -as mkisofs -quiet -V PLAIN_LABEL -o "$F" "$F.d"',
  ],
  [
    'iso-joliet.img',
    '0',
    'xorriso',
    `mkdir -p "$F.d" && echo hi > "$F.d/a" && rm -f "$F" && xorriso -as mkisofs -quiet -J -V "$(printf 'caf\\xc3\\xa9 disc')" -o "$F" "$F.d"`,
  ],
  [
    'iso-joliet-same.img',
    '0',
    'xorriso',
    'mkdir -p "$F.d" && echo hi > "$F.d/a" && rm -f "$F" && xorriso -as mkisofs -quiet -J -V SAME -o "$F" "$F.d"',
  ],
  [
    'luks1.img',
    '16M',
    'cryptsetup',
    'echo pw | cryptsetup luksFormat --batch-mode --type luks1 --pbkdf-force-iterations 1000 --key-file - "$F"',
  ],
  [
    'luks2.img',
    '16M',
    'cryptsetup',
    'echo pw | cryptsetup luksFormat --batch-mode --type luks2 --label "lk lab" --subsystem sub --pbkdf pbkdf2 --pbkdf-force-iterations 1000 --key-file - "$F"',
  ],
  [
    'luks2-secondary.img',
    '16M',
    'cryptsetup',
    'echo pw | cryptsetup luksFormat --batch-mode --type luks2 --label two --pbkdf pbkdf2 --pbkdf-force-iterations 1000 --key-file - "$F" && dd if=/dev/zero of="$F" bs=4096 count=1 conv=notrunc status=none',
  ],
];

/** Images made in `dir`, built once (tests of a missing tool are skipped). */
const made = new Map<string, string>();
async function make(name: string): Promise<string | undefined> {
  const row = MADE.find(([n]) => n === name);
  if (!row) throw new Error(name);
  const [, size, tool, cmd] = row;
  if (made.has(name)) return made.get(name);
  if (!(await has(tool))) return undefined;
  const f = join(dir, name);
  if (size !== '0') await run('truncate', ['-s', size, f]);
  await run('bash', ['-c', `set -e; F=${JSON.stringify(f)}; ${cmd} >/dev/null 2>&1`]);
  made.set(name, f);
  return f;
}

describe('filesystems made with their mkfs', () => {
  test.each(MADE.map(([n]) => n))(
    '%s',
    async (name) => {
      const f = await make(name);
      if (!f) return;
      await expectSame(f);
    },
    60_000,
  );

  test('labels keep spaces, UTF-8, newlines and escape characters exactly', async () => {
    const f = await make('ext4-ctl.img');
    if (!f) return;
    const p = await withSource(f, undefined, probe);
    expect(p.label).toBe(' x\ny\x1b');
    const e = await withSource(f, undefined, (s) => probeExport(s));
    expect(e[0]).toEqual(['LABEL', '\\ x^Jy^[']);
    const b = await make('btrfs.img');
    if (b) expect((await withSource(b, undefined, probe)).label).toBe('b\u00fc\nr');
  }, 60_000);
});
