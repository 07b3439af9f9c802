// Scripts written for guestfish (test/guestfish-scripts): a rescue that edits fstab and the
// hostname through download / !sed / upload after -i, a bootable disk laid out with -N, and a
// copy of a guest's /etc onto a second, empty disk. jfish must print exactly what libguestfs's
// guestfish printed for the same script on the same image (the .out files).
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixture, REPO_ROOT } from '../fixtures/index.js';
import { expectNoLeftovers, snapshot, type Snapshot } from './leftovers.js';

const root = process.getuid?.() === 0;
const scripts = path.join(REPO_ROOT, 'test', 'guestfish-scripts');
const jfish = path.join(REPO_ROOT, 'bin', 'jfish');
const dir = mkdtempSync(path.join(tmpdir(), 'guestfish-scripts-'));
let before: Snapshot | undefined;

function run(args: string[], script: string): { out: string; err: string; code: number } {
  try {
    const out = execFileSync(jfish, [...args, '-f', path.join(scripts, `${script}.gfs`)], {
      cwd: dir,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, JOOT_CONFIG: '', JOOT_ENGINE: '' },
    });
    return { out, err: '', code: 0 };
  } catch (e) {
    const x = e as { stdout?: string; stderr?: string; status?: number };
    return { out: x.stdout ?? '', err: x.stderr ?? '', code: x.status ?? 1 };
  }
}

const expected = (script: string): string => readFileSync(path.join(scripts, `${script}.out`), 'utf8');

describe.skipIf(!root)('guestfish scripts run by jfish print what guestfish printed', () => {
  beforeAll(async () => {
    before = await snapshot({ paths: [dir] });
    // each script gets its own copy: the rescue changes its guest
    for (const name of ['rescue.raw', 'source.raw']) copyFileSync(await fixture('sample.raw'), path.join(dir, name));
  }, 600_000);

  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    if (before) await expectNoLeftovers(before);
  });

  it('edit fstab and the hostname of an inspected guest (download, !sed, upload)', () => {
    const r = run(['-a', 'rescue.raw', '-i'], 'edit-fstab-hostname');
    expect(r.err).toBe('');
    expect(r.out).toBe(expected('edit-fstab-hostname'));
    // after -i the inspection is there for inspect-get-*, as in guestfish; the applications
    // are listed by inspect-os only
    const apps = (() => {
      try {
        execFileSync(jfish, ['--ro', '-a', 'rescue.raw', '-i', 'inspect-list-applications', '/dev/sda2'], { cwd: dir, stdio: 'pipe' });
        return '';
      } catch (e) {
        return String((e as { stderr?: Buffer }).stderr);
      }
    })();
    expect(apps).toBe(
      'jfish: inspect-list-applications: /dev/sda2: -i inspects without listing applications: call umount-all, then inspect-os\n',
    );
  }, 120_000);

  it('lay out a bootable disk with -N bootroot', () => {
    const r = run(['-N', 'boot.img=bootroot:ext2:ext4:64M:16M'], 'bootable-disk');
    expect(r.err).toBe('');
    expect(r.out).toBe(expected('bootable-disk'));
  }, 120_000);

  // guestfish -N's layouts: part-list, types, names and sizes as guestfish printed them
  const runWith = (script: string) =>
    readFileSync(path.join(scripts, `${script}.gfs`), 'utf8')
      .split('\n')[0]!
      .replace(/^.*Run with: /, '')
      .split(' ');
  for (const script of ['prepared-mbr', 'prepared-gpt']) {
    it(`-N layouts as guestfish makes them (${script})`, () => {
      const r = run(runWith(script), script);
      expect(r.err).toBe('');
      expect(r.out).toBe(expected(script));
      rmSync(path.join(dir, 'test1.img'));
      for (const n of [2, 3, 4, 5, 6]) rmSync(path.join(dir, `test${n}.img`));
    }, 180_000);
  }

  it('-N layouts with sizes given; part-add counts a negative end from the end of the disk, as parted', () => {
    const r = spawnSync(jfish, [...runWith('prepared-sizes'), '-f', path.join(scripts, 'prepared-sizes.gfs')], {
      cwd: dir,
      encoding: 'utf8',
      env: { ...process.env, JOOT_CONFIG: '', JOOT_ENGINE: '' },
    });
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(expected('prepared-sizes'));
    // the script's one failing line (its '-' prefix goes on): guestfish's parted refused it too
    expect(r.stderr).toBe('jfish: part-add: end sector 20479 is beyond the last usable sector 20446\n');
    for (const n of [1, 2, 3, 4, 5, 6]) rmSync(path.join(dir, `test${n}.img`));
  }, 180_000);

  it('-N then -m: launched by -N, then mounted, as guestfish', () => {
    const out = execFileSync(
      jfish,
      ['-N', 'nm.img=bootroot:ext2:ext4:64M:16M', '-m', '/dev/sda2', 'mountpoints', ':', 'vfs-type', '/dev/sda2'],
      {
        cwd: dir,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, JOOT_CONFIG: '', JOOT_ENGINE: '' },
      },
    );
    expect(out).toBe('/dev/sda2: /\next4\n');
    rmSync(path.join(dir, 'nm.img'));
  }, 120_000);

  it("copy a guest's /etc onto a second, empty disk", () => {
    execFileSync('truncate', ['-s', '32M', path.join(dir, 'target.raw')]);
    const r = run(['-a', 'source.raw', '-a', 'target.raw'], 'copy-between-disks');
    expect(r.err).toBe('');
    expect(r.out).toBe(expected('copy-between-disks'));
  }, 120_000);
});
