// A user who is not root runs each tool that needs the kernel engine (or asks for it): one line
// saying it needs root — or, for inspection and registry reads on the userspace engine (their default),
// the answer root gets for this image without an operating system — exit 1, before anything is attempted:
// no image created or changed, no loop device, mount, helper, session record or temp dir left (the tools run as nobody via setpriv, on a world-readable
// image in a directory only this file uses). Runs against the built code: `npm run build` first.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NEEDS_ROOT, requireRoot } from '../../src/core/privilege.js';
import { expectNoLeftovers, snapshot, type Snapshot } from './leftovers.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const built = existsSync(join(repo, 'dist/bundle'));
const root = process.getuid?.() === 0;
const skipReason = !built ? 'dist/ is not built (run npm run build)' : !root ? 'needs root (to drop to nobody with setpriv)' : '';
if (skipReason) console.log(`skipping non-root tests: ${skipReason}`);

describe('requireRoot', () => {
  it('passes for uid 0 and throws one EPERM line otherwise', () => {
    expect(() => requireRoot(0)).not.toThrow();
    for (const uid of [1, 65534]) {
      expect(() => requireRoot(uid)).toThrow(NEEDS_ROOT);
      try {
        requireRoot(uid);
      } catch (e) {
        expect((e as { code?: string }).code).toBe('EPERM');
      }
    }
    expect(NEEDS_ROOT).not.toContain('\n');
  });
});

describe.skipIf(skipReason !== '')('tools run by a user who is not root', () => {
  let dir = '';
  let img = '';
  let hash = '';
  let before: Snapshot;
  const sha = (f: string) => createHash('sha256').update(readFileSync(f)).digest('hex');

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'joot-nonroot-'));
    chmodSync(dir, 0o755);
    img = join(dir, 'disk.img');
    execFileSync('truncate', ['-s', '8M', img]);
    execFileSync('sfdisk', ['-q', img], { input: 'label: dos\nstart=2048, type=83\n' });
    chmodSync(img, 0o644);
    hash = sha(img);
    before = await snapshot({ paths: [dir] });
  });

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const cases: [string, string[]][] = [
    ['jinspect', ['--engine=kernel', 'IMG']],
    ['jinspect', ['IMG']],
    ['jfish', ['--engine=kernel', '--ro', '-a', 'IMG', 'run', ':', 'list-filesystems']],
    ['jfish', ['-a', 'IMG', '-i']],
    ['jformat', ['-a', 'IMG', '--filesystem', 'ext4']],
    ['jformat', ['-a', 'NEW', '--create', '16M']],
    ['jwinreg', ['IMG', 'HKLM\\SOFTWARE']],
    ['joot', ['list']],
    ['joot', ['cleanup']],
    ['joot', ['image', 'add', 'x', 'IMG']],
  ];

  for (const [tool, args] of cases) {
    it(`${tool} ${args.join(' ')}: one line, exit 1, nothing attempted`, async () => {
      const argv = args.map((a) => (a === 'IMG' ? img : a === 'NEW' ? join(dir, 'new.raw') : a));
      const r = await execa('setpriv', ['--reuid', '65534', '--regid', '65534', '--clear-groups', join(repo, 'bin', tool), ...argv], {
        reject: false,
        // HOME: nobody's own (its configuration file, if any, is not root's); nothing else of root's
        env: { HOME: dir, PATH: process.env.PATH ?? '/usr/bin:/bin' },
        extendEnv: false,
        input: '', // jfish reads its commands from a non-terminal stdin
        timeout: 60_000,
      });
      expect(r.exitCode).toBe(1);
      expect(r.stdout).toBe('');
      const userspace = !args.includes('--engine=kernel') && (tool === 'jinspect' || tool === 'jwinreg' || args.includes('-i'));
      expect(r.stderr).toMatch(
        userspace
          ? new RegExp(
              `^${tool}: no (Windows )?operating system (was )?found (on the disk|in ${img.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')})\\n?$`,
            )
          : new RegExp(`^${tool}: (run: )?the kernel engine needs root \\(attaches loop devices and mounts\\); run as root\\n?$`),
      );
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
      // the canaries: the image is unchanged, nothing was created next to it
      expect(sha(img)).toBe(hash);
      expect(readdirSync(dir).sort()).toEqual(['disk.img']);
      await expectNoLeftovers(before);
    });
  }
});
