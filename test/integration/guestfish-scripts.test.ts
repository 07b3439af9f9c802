// Scripts written for guestfish (test/guestfish-scripts): a rescue that edits fstab and the
// hostname through download / !sed / upload after -i, a bootable disk laid out with -N, and a
// copy of a guest's /etc onto a second, empty disk. jfish must print exactly what libguestfs's
// guestfish printed for the same script on the same image (the .out files).
import { execFileSync } from 'node:child_process';
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

  it("copy a guest's /etc onto a second, empty disk", () => {
    execFileSync('truncate', ['-s', '32M', path.join(dir, 'target.raw')]);
    const r = run(['-a', 'source.raw', '-a', 'target.raw'], 'copy-between-disks');
    expect(r.err).toBe('');
    expect(r.out).toBe(expected('copy-between-disks'));
  }, 120_000);
});
