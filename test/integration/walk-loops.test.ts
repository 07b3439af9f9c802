// Issue 15 and the security stance: work driven by guest metadata is bounded. Every recursive
// walk over a guest tree (find, find0, du, tar-out, tgz-out, checksums-out, cpio-out, copy-out,
// glob's **; on the kernel engine also cp -r, cp -a, rm -rf and setfiles) meets a hostile
// directory loop with a one-line error naming the command, the guest path and the filesystem
// (setfiles: a warning, and it goes on), in bounded time and memory: each jfish run is killed
// after a time limit and its process tree's peak RSS (VmHWM) is watched. Before the walks were
// guarded, `find /` on the FAT image ran past 20 s and 3 GB. The images are built as an attacker
// would (hostile-trees.ts): a FAT with a patched cluster number and an ISO 9660 with a patched
// extent (the kernel here mounts neither: the userspace engine only), an ext4 with a directory
// hard link to its grandparent (an XFS too, made with xfs_db), an ext4 with two links to each directory of a 40-level chain
// (2^40 paths), and an ext4 nested past PATH_MAX. A sound btrfs whose inode numbers repeat
// across subvolumes is walked whole (no false alarm). Runs against the built code: `npm run
// build` first.
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixture } from '../fixtures/index.js';
import { ext4DeepImage, ext4FanImage, ext4LoopImage, fatLoopImage, isoLoopImage, runWatched, xfsLoopImage } from './hostile-trees.js';
import { expectNoLeftovers, snapshot, type Snapshot } from './leftovers.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const JFISH = join(repo, 'bin/jfish');
const has = (t: string) => ['/usr/sbin', '/usr/bin', '/sbin', '/bin'].some((d) => existsSync(join(d, t)));
const skipReason = !existsSync(join(repo, 'dist/bundle/jfish.mjs'))
  ? 'dist is not built (npm run build)'
  : process.getuid?.() !== 0
    ? 'needs root (loop devices, mounts)'
    : !['mkfs.vfat', 'mmd', 'mcopy', 'mkfs.ext4', 'debugfs', 'xorriso', 'mkfs.xfs', 'xfs_db'].every(has)
      ? 'needs mkfs.vfat, mtools, mkfs.ext4, debugfs, xorriso, mkfs.xfs, xfs_db'
      : '';
if (skipReason) console.log(`skipping walk-loop tests: ${skipReason}`);

/** far above a run's few seconds; a walk that does not stop is killed here */
const TIME_LIMIT_MS = 60_000;
/** a jfish run on these small images stays near 100 MiB; the unguarded walks passed 3 GB */
const PEAK_LIMIT_MIB = 400;

let dir = '';
let before: Snapshot;
const img = (name: string) => join(dir, name);

beforeAll(async () => {
  if (skipReason) return;
  dir = mkdtempSync(join(tmpdir(), 'joot-walkloop-'));
  before = await snapshot({ paths: [dir] });
  await fatLoopImage(img('fat-loop.img'));
  await ext4LoopImage(img('ext4-loop.img'));
  await ext4FanImage(img('ext4-fan.img'));
  await ext4DeepImage(img('ext4-deep.img'));
  await isoLoopImage(img('iso-loop.iso'), img('iso'));
  await xfsLoopImage(img('xfs-loop.img'));
}, 120_000);

afterAll(async () => {
  if (!dir) return;
  await expectNoLeftovers(before);
  // copy-out of ext4-deep.img left a host tree some 2,000 levels deep: too deep for rmSync's recursion
  await execa('rm', ['-rf', dir]);
});

/** Each read-only walk, as a jfish script line (prefixed with - so that the script goes on). */
function readWalks(out: string): [string, string][] {
  const copyDir = join(out, 'copy');
  mkdirSync(copyDir, { recursive: true });
  return [
    ['find', 'find /'],
    ['find0', `find0 / ${join(out, 'find0')}`],
    ['du', 'du /'],
    ['tar-out', `tar-out / ${join(out, 'a.tar')}`],
    ['tgz-out', `tgz-out / ${join(out, 'a.tgz')}`],
    ['checksums-out', `checksums-out md5 / ${join(out, 'sums')}`],
    ['cpio-out', `cpio-out / ${join(out, 'a.cpio')}`],
    ['copy-out', `copy-out / ${copyDir}`],
    ['glob', 'glob echo /**/f'],
  ];
}

interface Case {
  image: string;
  engine: 'userspace' | 'kernel';
  /** the one line each command must fail with, after "jfish: COMMAND: " */
  error: RegExp;
  /** where a command fails otherwise (copy-out: its host destination may pass PATH_MAX first) */
  errorOf?: Record<string, RegExp>;
}

const CHAIN = (n: number) => `/d${'/x'.repeat(n)}`;
const esc = (s: string) => s.replace(/[/()]/g, '\\$&');

const CASES: Case[] = [
  {
    image: 'fat-loop.img',
    engine: 'userspace',
    // FAT's inode numbers are the entry's place: /a/b shows as itself one level down
    error: /^\/a\/b\/b: file system loop \(the same directory as \/a\/b\): \/dev\/sda \(vfat\) is corrupt$/,
  },
  {
    image: 'iso-loop.iso',
    engine: 'userspace',
    // ISO 9660's inode number of a directory is its extent's place: the loop shows at once
    error: /^\/a\/b: file system loop \(the same directory as \/a\): \/dev\/sda \(iso9660\) is corrupt$/,
  },
  {
    image: 'ext4-loop.img',
    engine: 'userspace',
    error: /^\/a\/b\/up: file system loop \(the same directory as \/a\): \/dev\/sda \(ext4\) is corrupt$/,
  },
  {
    image: 'ext4-loop.img',
    engine: 'kernel',
    // the kernel itself refuses the lookup (ELOOP): said as a loop, not as a symlink problem
    error:
      /^\/a\/b\/up: file system loop \(the kernel refused a directory holding an ancestor of itself\): \/dev\/sda \(ext4\) is corrupt$/,
  },
  {
    image: 'xfs-loop.img',
    engine: 'userspace',
    error: /^\/a\/b\/up: file system loop \(the same directory as \/a\): \/dev\/sda \(xfs\) is corrupt$/,
  },
  {
    image: 'xfs-loop.img',
    engine: 'kernel',
    error: /^\/a\/b\/up: file system loop \(the kernel refused a directory holding an ancestor of itself\): \/dev\/sda \(xfs\) is corrupt$/,
  },
  ...(['userspace', 'kernel'] as const).map((engine) => ({
    image: 'ext4-fan.img',
    engine,
    // depth first: the deepest y is the first second link met
    error: new RegExp(`^${esc(CHAIN(39))}/y: a second link to the directory ${esc(CHAIN(40))}: \\/dev\\/sda \\(ext4\\) is corrupt$`),
  })),
  // no loop, but deeper than PATH_MAX: the path is shown cut at 200 characters; the kernel
  // engine's host paths (the sysroot in front) reach ENAMETOOLONG a little earlier, said alike
  ...(['userspace', 'kernel'] as const).map((engine) => ({
    image: 'ext4-deep.img',
    engine,
    error: /^\/deep(\/d){97}\/…: directories nested past PATH_MAX \(4096 bytes\) on \/dev\/sda \(ext4\)$/,
    errorOf: { 'copy-out': /^(\/deep(\/d){97}\/…: directories nested past PATH_MAX|\/.*\/copy\/deep\/d\/.*: File name too long$)/ },
  })),
];

const jfishEnv = () => ({ JOOT_RUN_DIR: join(dir, 'run') });

describe.skipIf(skipReason)('recursive walks stop at a hostile directory loop', () => {
  for (const c of CASES) {
    it(`${c.image}, ${c.engine} engine: every read-only walk fails with one line, in bounded time and memory`, async () => {
      const out = mkdtempSync(join(dir, 'out-'));
      const walks = readWalks(out);
      const script = `${walks.map(([, line]) => `-${line}`).join('\n')}\necho walked\n`;
      const scriptFile = join(out, 'script');
      writeFileSync(scriptFile, script);
      const r = await runWatched(JFISH, [`--engine=${c.engine}`, '--ro', '-a', img(c.image), '-m', '/dev/sda:/', '-f', scriptFile], {
        env: jfishEnv(),
        timeoutMs: TIME_LIMIT_MS,
      });
      console.log(`${c.image} (${c.engine}): ${walks.length} walks in ${r.seconds.toFixed(1)} s, peak RSS ${r.peakMiB} MiB`);
      expect(r.timedOut).toBe(false);
      expect(r.stdout.trim().split('\n').at(-1)).toBe('walked');
      const lines = r.stderr.trimEnd().split('\n');
      expect(lines.length, r.stderr).toBe(walks.length);
      for (const [i, [cmd]] of walks.entries()) {
        const prefix = `jfish: ${cmd}: `;
        expect(lines[i]!.startsWith(prefix), lines[i]).toBe(true);
        expect(lines[i]!.slice(prefix.length)).toMatch(c.errorOf?.[cmd] ?? c.error);
      }
      expect(r.peakMiB).toBeLessThan(PEAK_LIMIT_MIB);
    });
  }

  // no false alarm where inode numbers repeat on a sound filesystem: btrfs subvolumes each
  // number from 256 (the kernel gives each its own st_dev, the userspace engine too), and a
  // snapshot shows each nested subvolume it did not take as the same empty directory (inode 2)
  it('a btrfs top level with nested subvolumes, snapshots and their stubs is walked whole on both engines', async () => {
    const image = await fixture('btrfs-features.raw');
    const got: string[] = [];
    for (const engine of ['userspace', 'kernel']) {
      // the top level (subvolid=5); find leaves out many/ (100,000 files), du walks everything
      const cmds = 'mount-options subvolid=5 /dev/sda / : find /data : find /snaps : du /'.split(' ');
      const r = await runWatched(JFISH, [`--engine=${engine}`, '--ro', '-a', image, 'run', ':', ...cmds], {
        env: jfishEnv(),
        timeoutMs: TIME_LIMIT_MS,
      });
      console.log(`btrfs-features.raw (${engine}): find /data /snaps, du / in ${r.seconds.toFixed(1)} s, peak RSS ${r.peakMiB} MiB`);
      expect(r.stderr).toBe('');
      expect(r.exitCode).toBe(0);
      expect(r.stdout.split('\n')).toEqual(expect.arrayContaining(['nested/inner', 'data-ro/nested', 'data-rw/nested']));
      got.push(r.stdout);
    }
    expect(got[0]!.split('\n').length).toBeGreaterThan(100);
    expect(got[0]).toBe(got[1]);
  }, 300_000);

  // the kernel engine's writers walk host paths of the mounted guest (tree-copy, rm -r)
  for (const [image, error] of [
    [
      'ext4-loop.img',
      /^\/a\/b\/up: file system loop \(the kernel refused a directory holding an ancestor of itself\): \/dev\/sda \(ext4\) is corrupt$/,
    ],
    [
      'ext4-fan.img',
      new RegExp(`^${esc(CHAIN(39))}/y: a second link to the directory ${esc(CHAIN(40))}: \\/dev\\/sda \\(ext4\\) is corrupt$`),
    ],
  ] as const) {
    it(`${image}, kernel engine: cp-r, cp-a and rm-rf fail with one line, setfiles warns it, in bounded time and memory`, async () => {
      const copy = join(dir, `rw-${image}`);
      copyFileSync(img(image), copy);
      const spec = join(dir, `spec-${image}`);
      writeFileSync(spec, '/.* system_u:object_r:etc_t:s0\n');
      const top = image === 'ext4-loop.img' ? '/a' : '/d';
      const walks: [string, string][] = [
        ['cp-r', `cp-r ${top} /copy-r`],
        ['cp-a', `cp-a ${top} /copy-a`],
        // setfiles reports a directory it cannot walk and goes on, as setfiles(8) does
        ['setfiles', 'setfiles /file_contexts /'],
        ...(image === 'ext4-loop.img' ? [['rm-rf', `rm-rf ${top}`] as [string, string]] : []),
      ];
      const scriptFile = join(dir, `script-${image}`);
      writeFileSync(scriptFile, `upload ${spec} /file_contexts\n${walks.map(([, l]) => `-${l}`).join('\n')}\necho walked\n`);
      const r = await runWatched(JFISH, ['--engine=kernel', '-a', copy, '-m', '/dev/sda:/', '-f', scriptFile], {
        env: jfishEnv(),
        timeoutMs: TIME_LIMIT_MS,
      });
      console.log(`${image} (kernel, read-write): ${walks.length} walks in ${r.seconds.toFixed(1)} s, peak RSS ${r.peakMiB} MiB`);
      expect(r.timedOut).toBe(false);
      expect(r.stdout.trim().split('\n').at(-1)).toBe('walked');
      // each command's lines, in order: one error each; setfiles one warning per corrupt
      // directory (the fan has 40) and then its next directory
      const lines = r.stderr.trimEnd().split('\n');
      const said = (cmd: string) => lines.filter((l) => l.startsWith(`jfish: ${cmd}: `)).map((l) => l.slice(`jfish: ${cmd}: `.length));
      expect(walks.flatMap(([cmd]) => said(cmd)).length, r.stderr).toBe(lines.length);
      for (const [cmd] of walks) {
        const mine = said(cmd);
        expect(mine[0]).toMatch(error);
        if (cmd === 'setfiles')
          for (const m of mine)
            expect(m).toMatch(/: (file system loop|a second link to the directory) .*: \/dev\/sda \(ext4\) is corrupt$/);
        else expect(mine).toHaveLength(1);
      }
      expect(said('setfiles')).toHaveLength(image === 'ext4-fan.img' ? 40 : 1);
      expect(r.peakMiB).toBeLessThan(PEAK_LIMIT_MIB);
    });
  }
});
