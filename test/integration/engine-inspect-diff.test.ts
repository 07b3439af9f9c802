// Inspection on both engines gives the same report: jinspect of every inspection fixture (Linux
// distributions, Windows, multi-boot, hostile), on the kernel engine (attach and mount) and on
// the userspace engine (filesystems read in-process), byte for byte — JSON and XML, exit code
// and all. The userspace run must need no kernel mount for any filesystem a reader reads; its
// warnings are the kernel run's. Runs against the built code: `npm run build` first.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { fixture } from '../fixtures/index.js';
import { INSPECTION_FIXTURES } from './inspection-fixtures.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const jinspect = join(repo, 'bin', 'jinspect');
const ok = existsSync(join(repo, 'dist/bundle')) && process.getuid?.() === 0;

const FIXTURES = INSPECTION_FIXTURES;

/** Filesystem types the userspace engine reads itself: for these no kernel mount may be needed. */
const READ_IN_PROCESS = /does not read (ext[234]|xfs|btrfs|vfat|exfat|ntfs) filesystems/;

const env = { ...process.env, JOOT_CONFIG: '', JOOT_ENGINE: '' };

async function jinspectOn(engine: string, image: string, extra: string[] = []) {
  const r = await execa(jinspect, [`--engine=${engine}`, ...extra, image], { reject: false, env, timeout: 180_000 });
  return { code: r.exitCode, stdout: r.stdout, stderr: r.stderr };
}

describe.skipIf(!ok)('jinspect: the userspace engine reports what the kernel engine reports', () => {
  for (const name of FIXTURES) {
    it(name, { timeout: 600_000 }, async () => {
      const image = await fixture(name);
      for (const extra of [[], ['--xml']]) {
        const k = await jinspectOn('kernel', image, extra);
        const u = await jinspectOn('userspace', image, extra);
        expect(u.stdout).toBe(k.stdout);
        expect(u.code).toBe(k.code);
        expect(u.stderr).not.toMatch(READ_IN_PROCESS);
        // the kernel run's warnings, and otherwise only the fallback's own lines
        const extraLines = u.stderr
          .split('\n')
          .filter((l) => l !== '' && !k.stderr.split('\n').includes(l))
          .filter((l) => !/the userspace engine does not read \w+ filesystems/.test(l));
        expect(extraLines).toEqual([]);
      }
    });
  }
});
