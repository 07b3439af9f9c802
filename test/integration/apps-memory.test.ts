// Memory of package-database readers: a large dpkg status file (60 MB, ~125,000 packages) and a
// large rpm sqlite database (~67 MB, ~20,000 package headers, grown from a real one made by
// make-rpmdb.sh) are listed in a child node process (the built code), whose peak RSS
// (process.resourceUsage().maxRSS) must stay under its RSS before the listing plus 3× the
// file's size. A memory bound, not a timing test. Needs `npm run build`; the rpm part needs
// rpm, rpmbuild, sqlite3 and gpg (as test/integration/rpm.test.ts).
import { execFileSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../fixtures/index.js';

const DIST = path.join(REPO_ROOT, 'dist', 'src');
const built = existsSync(path.join(DIST, 'inspect', 'apps', 'dpkg.js')) && existsSync(path.join(DIST, 'inspect', 'apps', 'rpm.js'));
if (!built) console.log('skipping package-database memory tests: dist/ is not built (run npm run build)');
const which = (cmd: string) => {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};
const RPM_TOOLS = ['rpm', 'rpmbuild', 'sqlite3', 'gpg'].filter((t) => !which(t));
if (RPM_TOOLS.length) console.log(`skipping the rpm memory test: missing ${RPM_TOOLS.join(', ')}`);

const MiB = 1024 * 1024;

/** List the applications of the guest tree `root` in a fresh node process: what it measured. */
function measure(root: string, lister: 'dpkg' | 'rpm'): { count: number; baseKiB: number; peakKiB: number } {
  const mod = lister === 'dpkg' ? 'dpkg.js' : 'rpm.js';
  const fn = lister === 'dpkg' ? 'listDpkgApplications' : 'rpmApplications';
  const script = `
    const { GuestReader } = await import(${JSON.stringify(path.join(DIST, 'appliance', 'guest-reader.js'))});
    const apps = await import(${JSON.stringify(path.join(DIST, 'inspect', 'apps', mod))});
    const reader = new GuestReader(${JSON.stringify(root)});
    const baseKiB = process.resourceUsage().maxRSS;
    const r = await apps.${fn}(reader);
    if (!r || !('applications' in r)) throw new Error('no applications: ' + JSON.stringify(r));
    process.stdout.write(JSON.stringify({ count: r.applications.length, baseKiB, peakKiB: process.resourceUsage().maxRSS }));
  `;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', maxBuffer: MiB });
  return JSON.parse(out) as { count: number; baseKiB: number; peakKiB: number };
}

describe.skipIf(!built)('package databases: peak memory is a small multiple of the file', () => {
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'joot-apps-memory-'));
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('a 60 MB dpkg status file: peak RSS under 3× its size above the base', async () => {
    const root = path.join(dir, 'deb');
    mkdirSync(path.join(root, 'var', 'lib', 'dpkg'), { recursive: true });
    const file = path.join(root, 'var', 'lib', 'dpkg', 'status');
    const out = createWriteStream(file);
    let size = 0;
    let n = 0;
    while (size < 60 * MiB) {
      const para =
        `Package: pkg${n}\nStatus: install ok installed\nPriority: optional\nSection: libs\nInstalled-Size: ${n % 1000}\n` +
        `Maintainer: Some One <someone@example.org>\nArchitecture: amd64\nMulti-Arch: same\nSource: src${n} (1.${n}-1)\n` +
        `Version: 1:1.${n}-1\nDepends: libc6 (>= 2.34), libfoo${n % 50} (>= 1.0)\nHomepage: https://example.org/pkg${n}\n` +
        `Description: package number ${n} summary line\n A longer description of package ${n}, spread over a few lines so that\n` +
        ` the status file looks like a real one.\n .\n Another paragraph here.\n\n`;
      if (!out.write(para)) await once(out, 'drain');
      size += para.length;
      n++;
    }
    out.end();
    await once(out, 'finish');
    const bytes = statSync(file).size;
    const m = measure(root, 'dpkg');
    console.log(
      `dpkg: ${(bytes / MiB).toFixed(0)} MiB status, ${m.count} packages: base ${(m.baseKiB / 1024).toFixed(0)} MiB, peak ${(m.peakKiB / 1024).toFixed(0)} MiB`,
    );
    expect(m.count).toBe(n);
    expect(m.peakKiB * 1024).toBeLessThan(m.baseKiB * 1024 + 3 * bytes);
  });

  it.skipIf(RPM_TOOLS.length > 0)('a 67 MB rpm sqlite database: peak RSS under 3× its size above the base', () => {
    const root = path.join(dir, 'rpm');
    execFileSync('bash', [path.join(REPO_ROOT, 'test', 'fixtures', 'make-rpmdb.sh'), root, 'sqlite']);
    const db = path.join(root, 'var', 'lib', 'rpm', 'rpmdb.sqlite');
    // 5 real headers (the imported key left out), doubled 12 times: 20,480 packages
    const grow = Array.from({ length: 12 }, () => 'INSERT INTO Packages(blob) SELECT blob FROM Packages;').join('\n');
    execFileSync('sqlite3', [db, 'PRAGMA journal_mode=DELETE;', `DELETE FROM Packages WHERE hnum > 5;\n${grow}`], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const bytes = statSync(db).size;
    expect(bytes).toBeGreaterThan(50 * MiB);
    const m = measure(root, 'rpm');
    console.log(
      `rpm: ${(bytes / MiB).toFixed(0)} MiB sqlite, ${m.count} packages: base ${(m.baseKiB / 1024).toFixed(0)} MiB, peak ${(m.peakKiB / 1024).toFixed(0)} MiB`,
    );
    expect(m.count).toBeGreaterThan(20_000);
    expect(m.peakKiB * 1024).toBeLessThan(m.baseKiB * 1024 + 3 * bytes);
  });
});
