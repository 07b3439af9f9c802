// The differential walk over every fixture disk image: every filesystem list-filesystems reports
// is walked whole through the userspace engine (its reader, as a session mounts it) and through
// the kernel engine (the same session's mount of the same device, walked on the host), and
// compared entry by entry — names, types, mode, uid, gid, size, mtime, symlink targets,
// hard-link groups, xattrs and the content digest of every regular file (fs-tree.ts).
//
// The fixture list is build.sh's (`--list`): a new fixture is walked here unless EXCLUDED says
// why not. Where this host's kernel has no driver (vfat, iso9660) the kernel engine's bytes of
// the device (download) are saved to a sparse file and extracted by mtools or xorriso, as the
// readers' own diff tests do (fs-oracles.ts); ntfs is ntfs-3g, as the kernel engine mounts it.
// A btrfs is walked from its top level (subvolid=5 on both sides), which holds the subvolumes
// list-filesystems names (btrfsvol:…); one the top level does not show whole is walked on its own. Swap and devices with
// no filesystem (type unknown: BIOS boot, empty partitions, arrays and LVs with nothing on them)
// hold no files: both engines must list them alike, and they are counted as such.
import { execFile } from 'node:child_process';
import { mkdtemp, open, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Session } from '../../src/appliance/index.js';
import { UserspaceEngine } from '../../src/appliance/userspace-engine.js';
import { parseKeySpec } from '../../src/disk/keys.js';
import { BUILD_SCRIPT, fixture } from '../fixtures/index.js';
import {
  comparable,
  isoFlavour,
  isoKernelDefaults,
  isoKernelJolietNames,
  isoSpecials,
  isoSymlinkModes,
  isoUnknowable,
  mtoolsTree,
  ntfs3gTargets,
  withIsoExtraction,
} from './fs-oracles.js';
import { diffTrees, type DiffOptions, type Tree, walkHost, walkReader } from './fs-tree.js';
import { expectNoLeftovers, snapshot } from './leftovers.js';

const exec = promisify(execFile);
const isRoot = process.getuid?.() === 0;
const KEY = Buffer.from('joot-fixture-key');

/** What is not walked here, and why. Everything else build.sh lists is. */
const EXCLUDED: Record<string, string> = {
  // not disk images
  'md.facts.json': 'what libguestfs said of the md images (JSON)',
  'luks-lvm.facts.json': 'JSON',
  'lvm-luks.facts.json': 'JSON',
  'lvm-striped.facts.json': 'JSON',
  'md-extra.facts.json': 'JSON',
  'md4.facts.json': 'JSON',
  'os-volumes.json': 'JSON',
  // refused at launch by both engines, on purpose (engine-diff's REFUSED): nothing to walk
  'empty.img': 'an empty file, refused by both engines',
  'text.img': 'a text file, refused by both engines',
  'truncated.qcow2': 'a corrupt qcow2, refused by both engines',
  'corrupt-mbr.raw': 'a corrupt partition table, refused by both engines',
  'corrupt-gpt.raw': 'a corrupt GPT, refused by both engines',
  'backing-shadow.qcow2': 'a hostile backing file name, refused by both engines',
  'backing-device.qcow2': 'a hostile backing file name, refused by both engines',
  // members of an array walked with its first disk (TOGETHER)
  'md-b.img': 'read with md-a.img',
  'md-c.img': 'read with md-a.img',
  'os-md-b.img': 'read with os-md-a.img',
  'os-md-c.img': 'read with os-md-a.img',
  'md4-b.img': 'read with md4-a.img',
  'md4-c.img': 'read with md4-a.img',
  'md4-d.img': 'read with md4-a.img',
  // a reader's own fixtures, each walked whole by its own diff test against the same oracle, with
  // more checks (statfs, every timestamp, every subvolume on its own): walking them again here
  // would double the suite's longest walks (the scale images: 100,000 files each)
  'ext-debian-a.raw': 'fs-ext-diff',
  'ext-debian-b.raw': 'fs-ext-diff',
  'ext-debian-c.raw': 'fs-ext-diff',
  'ext-scale.raw': 'fs-ext-diff',
  'ext-features.raw': 'fs-ext-diff',
  'ext-inodes.raw': 'fs-ext-diff',
  'ext-dirty.raw': 'fs-ext-diff, against a ro,noload mount (its journal is not replayed)',
  'ext-crypt.raw': 'fs-ext-crypt-diff (its fscrypt trees need the key, added to the kernel keyring there)',
  'xfs-v5.raw': 'fs-xfs-diff',
  'xfs-v4.raw': 'fs-xfs-diff, against the tree it was made from: this kernel cannot mount xfs v4 (no CONFIG_XFS_SUPPORT_V4)',
  'xfs-scale.raw': 'fs-xfs-diff',
  'xfs-dirty.raw': 'fs-xfs-diff, against a ro,norecovery mount (a plain kernel mount would replay its log)',
  'btrfs-log.raw': 'fs-btrfs-diff, against a ro,rescue=nologreplay mount (a plain kernel mount would replay its log tree)',
  'btrfs-features.raw': 'fs-btrfs-diff',
  'ntfs-tree.raw': 'fs-ntfs-diff',
  'ntfs-scale.raw': 'fs-ntfs-scale-diff (its 100,000-entry directory)',
  // one btrfs over several disks each: fs-btrfs-multi-diff walks every set against a kernel
  // device= mount, whole, degraded and with a bad copy
  'btrfs-r1-a.raw': 'fs-btrfs-multi-diff',
  'btrfs-r1-b.raw': 'fs-btrfs-multi-diff',
  'btrfs-r10-a.raw': 'fs-btrfs-multi-diff',
  'btrfs-r10-b.raw': 'fs-btrfs-multi-diff',
  'btrfs-r10-c.raw': 'fs-btrfs-multi-diff',
  'btrfs-r10-d.raw': 'fs-btrfs-multi-diff',
  'btrfs-r0-a.raw': 'fs-btrfs-multi-diff',
  'btrfs-r0-b.raw': 'fs-btrfs-multi-diff',
  'btrfs-r1c3-a.raw': 'fs-btrfs-multi-diff',
  'btrfs-r1c3-b.raw': 'fs-btrfs-multi-diff',
  'btrfs-r1c3-c.raw': 'fs-btrfs-multi-diff',
  'fat12.raw': 'fs-fat-diff',
  'fat16.raw': 'fs-fat-diff',
  'fat32.raw': 'fs-fat-diff',
  'exfat.raw': 'fs-fat-diff',
  'iso-debian.iso': 'fs-iso9660-diff',
  'iso-special.iso': 'fs-iso9660-diff',
  'iso-joliet.iso': 'fs-iso9660-diff',
  'iso-plain.iso': 'fs-iso9660-diff',
  'iso-zisofs.iso': 'fs-iso9660-diff',
  'sqfs-gzip.sqfs': 'fs-squashfs-diff',
  'sqfs-zstd.sqfs': 'fs-squashfs-diff',
  'sqfs-xz.sqfs': 'fs-squashfs-diff',
  'sqfs-lzma.sqfs': 'fs-squashfs-diff',
  'sqfs-lzo.sqfs': 'fs-squashfs-diff',
  'sqfs-lz4.sqfs': 'fs-squashfs-diff',
};

/** Images that are one guest: an array across several disks. */
const TOGETHER: Record<string, string[]> = {
  'md-a.img': ['md-b.img', 'md-c.img'],
  'os-md-a.img': ['os-md-b.img', 'os-md-c.img'],
  'md4-a.img': ['md4-b.img', 'md4-c.img', 'md4-d.img'],
};

/** LUKS keys where the fixture-wide key is not the only one (test/fixtures/README.md). */
const KEYS: Record<string, string[]> = {
  'os-lvm-luks.img': ['/dev/plainvg/secret:key:joot-fixture-key', '/dev/plainvg/data:key:joot-data-key'],
};

/** Types that hold no files: listed alike by both engines, and not walked. */
const NO_FILES: Record<string, string> = {
  swap: 'swap space',
  unknown: 'no filesystem signature (or a volume neither engine reads)',
};

const FIXTURES = (await exec('bash', [BUILD_SCRIPT, '--list'])).stdout.split('\n').filter(Boolean);

/** Every fixture build.sh lists, each walked or excluded with a reason. */
const WALKED = FIXTURES.filter((f) => !(f in EXCLUDED));

/** The kernel engine's guest root on the host: the one session directory under JOOT_TMPDIR. */
async function sysroot(tmp: string): Promise<string> {
  const dirs = (await readdir(tmp)).filter((d) => d.startsWith('session-'));
  if (dirs.length !== 1) throw new Error(`expected one session directory under ${tmp}, found ${dirs.join(' ')}`);
  return path.join(tmp, dirs[0]!, 'sysroot');
}

/** A device's bytes as the kernel engine reads them (download), saved as a sparse file. */
async function saveDevice(s: Session, device: string, file: string): Promise<void> {
  const src = await s.openDevice(device);
  const out = await open(file, 'w');
  try {
    const step = 1 << 20;
    const zeros = Buffer.alloc(step);
    for (let off = 0; off < src.size; off += step) {
      const b = await src.read(off, Math.min(step, src.size - off));
      if (!b.equals(zeros.subarray(0, b.length))) await out.write(b, 0, b.length, off);
    }
    await out.truncate(src.size);
  } finally {
    await out.close();
    await src.close();
  }
}

interface Walked {
  want: Tree;
  opts?: DiffOptions;
  /** the oracle's tree needs the reader's first (fields it cannot give) */
  fix?: (got: Tree) => void;
}

/** The kernel engine's tree of one filesystem, and what the comparison leaves out for it. */
async function kernelTree(s: Session, tmp: string, device: string, type: string): Promise<Walked> {
  if (type === 'vfat') {
    const file = path.join(tmp, 'device.img');
    await saveDevice(s, device, file);
    try {
      return { want: await mtoolsTree(file), opts: { ignore: ['xattrs'] } };
    } finally {
      await rm(file, { force: true });
    }
  }
  if (type === 'iso9660') {
    const file = path.join(tmp, 'device.iso');
    await saveDevice(s, device, file);
    try {
      const flavour = await isoFlavour(file);
      let want = await withIsoExtraction(file, (dir) => walkHost(dir, { xattrs: false }));
      if (flavour === 'rock') await isoSymlinkModes(file, want);
      else isoKernelDefaults(want);
      if (flavour === 'joliet') want = isoKernelJolietNames(want);
      const specials = await isoSpecials(file);
      return {
        want,
        // isofs gives every record its own inode: no hard links (fs-iso9660-diff checks the reader's are unique)
        opts: { ignore: ['linkGroup', 'xattrs'] },
        fix: (got) => {
          isoUnknowable(want, got);
          for (const [p] of specials) got.delete(p);
        },
      };
    } finally {
      await rm(file, { force: true });
    }
  }
  const top = type === 'btrfs' && !device.startsWith('btrfsvol:');
  await s.mount(device, '/', { readonly: true, options: top ? 'subvolid=5' : undefined });
  try {
    const dir = await sysroot(tmp);
    const want = await walkHost(dir);
    if (type === 'ntfs') ntfs3gTargets(want, dir);
    return { want };
  } finally {
    await s.umount('/');
  }
}

describe.skipIf(!isRoot)('every fixture filesystem: userspace engine = kernel engine, entry by entry', () => {
  let tmp = '';
  let savedTmp: string | undefined;
  beforeAll(async () => {
    tmp = await mkdtemp(path.join(tmpdir(), 'joot-fsdiff-'));
    savedTmp = process.env.JOOT_TMPDIR;
    process.env.JOOT_TMPDIR = tmp; // the kernel session's directory (and its mounts) under tmp
  });
  afterAll(async () => {
    if (savedTmp === undefined) delete process.env.JOOT_TMPDIR;
    else process.env.JOOT_TMPDIR = savedTmp;
    await rm(tmp, { recursive: true, force: true });
  });

  it('every fixture build.sh lists is walked or excluded with a reason', () => {
    for (const name of Object.keys(EXCLUDED)) expect(FIXTURES, `EXCLUDED names ${name}`).toContain(name);
    expect(WALKED.length).toBeGreaterThan(30);
  });

  for (const name of WALKED) {
    it(name, { timeout: 900_000 }, async () => {
      const images = await Promise.all([name, ...(TOGETHER[name] ?? [])].map((n) => fixture(n)));
      const before = await snapshot({ paths: [tmp] });
      const keys = (KEYS[name] ?? []).map(parseKeySpec);
      const askKey = async () => KEY;
      const us = await UserspaceEngine.open(
        images.map((p) => ({ path: p })),
        { keys, askKey },
      );
      const accounted: Record<string, string> = {};
      const diffs: Record<string, string[]> = {};
      try {
        await us.findSubvolumes();
        await using k = new Session({ engine: 'kernel', keys, askKey });
        for (const p of images) k.addDrive(p, { readonly: true });
        await k.launch();
        const listed = us.filesystems();
        expect(listed.map((f) => [f.name, f.type])).toEqual(k.filesystems().map((f) => [f.name, f.type]));
        const tops = new Map<string, Tree>();
        const walk = async (name: string, device: string, type: string, subvolume?: string | number): Promise<Tree> => {
          const fs = await us.fsReader(device, type);
          const root = await fs.root(subvolume !== undefined ? { subvolume } : undefined);
          // the two walks at once: the kernel's waits on its devices while the reader runs
          // the extracting oracles give none; Linux's vfat and isofs have none to give either
          const noXattrs = type === 'vfat' || type === 'iso9660';
          const [walked, read] = await Promise.all([kernelTree(k, tmp, name, type), walkReader(fs, { root, xattrs: !noXattrs })]);
          let got = read;
          if (type === 'vfat') got = comparable(got);
          walked.fix?.(got);
          expect(walked.want.size, `${name}: the oracle's tree`).toBeGreaterThan(0);
          diffs[name] = diffTrees(walked.want, got, walked.opts);
          accounted[name] = `walked: ${walked.want.size} entries`;
          return got;
        };
        for (const f of listed) {
          if (f.name.startsWith('btrfsvol:')) continue; // below: in its btrfs's walk, or on its own
          if (f.type in NO_FILES) accounted[f.name] = NO_FILES[f.type]!;
          else tops.set(f.name, await walk(f.name, f.name, f.type, f.type === 'btrfs' ? 5 : undefined));
        }
        for (const f of listed.filter((x) => x.name.startsWith('btrfsvol:'))) {
          const device = [...tops.keys()].find((d) => f.name.startsWith(`btrfsvol:${d}/`))!;
          const sv = f.name.slice(`btrfsvol:${device}/`.length);
          // a subvolume the top level does not show where its path says (a snapshot's nested
          // subvolume shows as an empty stub there) is walked on its own
          if (tops.get(device)!.get(`/${sv}`)?.ino === 256) accounted[f.name] = `in ${device}'s walk`;
          else await walk(f.name, device, 'btrfs', sv);
        }
        expect(Object.keys(accounted).sort()).toEqual(listed.map((f) => f.name).sort());
      } finally {
        await us.close();
      }
      expect(diffs).toEqual(Object.fromEntries(Object.keys(diffs).map((d) => [d, []])));
      console.log(`${name}: ${JSON.stringify(accounted)}`);
      await expectNoLeftovers(before);
    });
  }
});
