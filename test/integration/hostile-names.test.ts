// Issue 12, point 5: guest names are data, never syntax. Built the way an attacker would: a
// btrfs whose subvolume names carry mount options (`a,degraded`), a newline followed by a
// made-up `btrfs subvolume list` line, and terminal escapes; an ext4 label and a GPT partition
// name with ESC/BEL. Subvolumes are mounted by id; a made-up entry never appears; names with
// control characters are skipped (subvolumes) or shown escaped (labels), never raw. The canary:
// the image's bytes are unchanged after the read-only session, and nothing is left behind.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Session } from '../../src/appliance/session.js';
import { isJootError } from '../../src/core/errors.js';
import { expectNoLeftovers, snapshot, type Snapshot } from './leftovers.js';
import { mountinfo } from './session-helpers.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const jfish = join(repo, 'bin/jfish');
const skipReason = !existsSync(join(repo, 'dist/bundle/jfish.mjs'))
  ? 'jfish is not built (npm run build)'
  : process.getuid?.() !== 0
    ? 'needs root (loop devices, mounts)'
    : '';
if (skipReason) console.log(`skipping hostile-names tests: ${skipReason}`);

const MiB = 1024 * 1024;
const NEWLINE_NAME = 'x\nID 999 gen 1 top level 5 path evil';
const ESC_NAME = 'esc\x1b[31mred\x07';
const ESC_LABEL = 'e\x1b[1mb\x07';

let dir = '';
let btrfsImg = '';
let ext4Img = '';
let before: Snapshot;
let savedRunDir: string | undefined;
const ids = new Map<string, number>();

function sha(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

async function jf(args: string[]): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, JOOT_RUN_DIR: join(dir, 'run'), LC_ALL: 'C' };
  delete env.JOOT_TMPDIR;
  delete env.JOOT_BACKEND;
  const r = await execa(jfish, args, { reject: false, env, timeout: 120_000 });
  return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
}

/** The attacker's btrfs: made with the real tools on a loop mount, then detached. */
async function buildBtrfs(path: string): Promise<void> {
  writeFileSync(path, '');
  truncateSync(path, 128 * MiB);
  await execa('mkfs.btrfs', ['-q', '-f', path]);
  const mnt = join(dir, 'build-mnt');
  mkdirSync(mnt);
  await execa('mount', ['-o', 'loop', path, mnt]);
  try {
    for (const name of ['@', 'a', 'a,degraded', NEWLINE_NAME, ESC_NAME]) {
      await execa('btrfs', ['subvolume', 'create', join(mnt, name)]);
      writeFileSync(join(mnt, name, 'marker'), name);
    }
    const list = (await execa('btrfs', ['subvolume', 'list', mnt])).stdout;
    for (const m of list.matchAll(/^ID (\d+) gen \d+ top level \d+ path (a|a,degraded|@)$/gm)) ids.set(m[2]!, Number(m[1]));
  } finally {
    await execa('umount', [mnt]);
    rmSync(mnt, { recursive: true });
  }
}

describe.skipIf(skipReason !== '')('guest names are data (issue 12, point 5)', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'joot-hostile-names-'));
    savedRunDir = process.env.JOOT_RUN_DIR;
    process.env.JOOT_RUN_DIR = join(dir, 'run');
    before = await snapshot({ paths: [dir] });
    btrfsImg = join(dir, 'names-btrfs.img');
    await buildBtrfs(btrfsImg);
    // an ext4 whose label and a GPT disk whose partition name hold ESC and BEL
    ext4Img = join(dir, 'names-ext4.img');
    writeFileSync(ext4Img, '');
    truncateSync(ext4Img, 16 * MiB);
    await execa('sfdisk', ['-q', ext4Img], { input: 'label: gpt\n,,L\n' });
    await execa('sfdisk', ['-q', '--part-label', ext4Img, '1', `p${ESC_LABEL}`]);
    await execa('mkfs.ext4', ['-q', '-F', '-E', `offset=${MiB}`, '-L', ESC_LABEL, ext4Img, '8M']);
  }, 120_000);
  afterAll(async () => {
    if (savedRunDir === undefined) delete process.env.JOOT_RUN_DIR;
    else process.env.JOOT_RUN_DIR = savedRunDir;
    if (dir) {
      await expectNoLeftovers(before);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a subvolume named `a,degraded` is mounted by id: read-only, that subvolume only, no option from its name', async () => {
    const canary = sha(btrfsImg);
    const s = new Session();
    s.addDrive(btrfsImg, { readonly: true });
    try {
      await s.launch();
      const names = s.filesystems().map((f) => f.name);
      expect(names).toEqual(['/dev/sda', 'btrfsvol:/dev/sda/@', 'btrfsvol:/dev/sda/a', 'btrfsvol:/dev/sda/a,degraded']);
      await s.mount('btrfsvol:/dev/sda/a,degraded', '/', { readonly: true });
      expect((await s.readFile('/marker')).toString()).toBe('a,degraded');
      const target = mountinfo().filter((m) => m.fstype === 'btrfs' && m.mountpoint.endsWith('/sysroot'));
      expect(target).toHaveLength(1);
      const m = target[0]!;
      expect(m.mountOptions).toContain('ro');
      // the kernel prints subvol= last; what comes before it is what is in effect
      const sup = m.superOptions.join(',');
      const effective = sup.slice(0, sup.indexOf(',subvol=')).split(',');
      expect(effective).toContain(`subvolid=${ids.get('a,degraded')}`);
      expect(effective).not.toContain('degraded');
      await s.umountAll();
      // `a` is another subvolume, not a prefix of the hostile one
      await s.mount('btrfsvol:/dev/sda/a', '/');
      expect((await s.readFile('/marker')).toString()).toBe('a');
    } finally {
      await s.close();
    }
    expect(sha(btrfsImg)).toBe(canary);
  });

  it('a newline in a subvolume name makes no phantom device, and control characters are never shown raw', async () => {
    const s = new Session();
    s.addDrive(btrfsImg, { readonly: true });
    try {
      await s.launch();
      const names = s.filesystems().map((f) => f.name);
      expect(names.some((n) => /evil|btrfsvol:\/dev\/sda\/x|esc/.test(n))).toBe(false);
      for (const bad of ['btrfsvol:/dev/sda/evil', 'btrfsvol:/dev/sda/x']) {
        const e = await s.mount(bad, '/').then(
          () => undefined,
          (err: unknown) => err,
        );
        expect(isJootError(e, 'ENOENT')).toBe(true);
        expect(String((e as Error).message)).not.toContain('\n');
      }
    } finally {
      await s.close();
    }
    // the same through jfish: one warning line, no raw control character anywhere
    const r = await jf(['--ro', '-a', btrfsImg, 'run', ':', 'list-filesystems']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout.split('\n')).toEqual([
      '/dev/sda: btrfs',
      'btrfsvol:/dev/sda/@: btrfs',
      'btrfsvol:/dev/sda/a: btrfs',
      'btrfsvol:/dev/sda/a,degraded: btrfs',
    ]);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    // the kernel engine counts the btrfs tool's lines (a name with a newline makes two), the
    // userspace engine the names themselves
    expect(r.stderr).toMatch(/^joot: warning: \/dev\/sda: skipped [23] btrfs subvolume list entries/);
    expect(r.stdout + r.stderr).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f]/);
    const m = await jf(['--ro', '-a', btrfsImg, 'run', ':', 'mount', 'btrfsvol:/dev/sda/evil', '/']);
    expect(m.exitCode).toBe(1);
    expect(
      m.stderr
        .trim()
        .split('\n')
        .filter((l) => !l.startsWith('joot: warning:')),
    ).toEqual(['jfish: mount: btrfsvol:/dev/sda/evil: no such btrfs subvolume']);
  });

  it('a label and a GPT partition name with ESC and BEL are kept exact by the library (the tools escape them on a terminal: terminal-escapes.test.ts)', async () => {
    const s = new Session();
    s.addDrive(ext4Img, { readonly: true });
    try {
      await s.launch();
      expect(s.filesystems()).toEqual([expect.objectContaining({ name: '/dev/sda1', type: 'ext4', label: ESC_LABEL })]);
      expect(await s.vfsLabel('/dev/sda1')).toBe(ESC_LABEL);
      expect(s.partitions()[0]!.label).toBe(`p${ESC_LABEL}`);
    } finally {
      await s.close();
    }
  });
});
