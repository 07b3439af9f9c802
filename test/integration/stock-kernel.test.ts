// The stock-host paths (issue 19): this host and CI have no NBD, device-mapper, md, kernel
// partition parser or vfat, so the kernel engine's paths for an ordinary Debian/Fedora/Ubuntu
// host run here inside a VM with a stock Debian kernel (the fixture .stock-kernel-vm, booted
// under TCG by test/stock-kernel/runner.ts). The VM runs existing integration files with vitest
// (test/stock-kernel/sets.ts): a smoke subset in every `npm test`, the full set with
// JOOT_STOCK_KERNEL_TESTS=1 (`npm run test:stock-kernel`). JOOT_STOCK_KERNEL_VERBOSE=1 streams
// the VM's console.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ALL_FIXTURES, BUILD_SCRIPT, FIXTURES_DIR, fixtures, REPO_ROOT } from '../fixtures/index.js';
import { runInStockVm } from '../stock-kernel/runner.js';
import { FULL, SMOKE, vitestScript } from '../stock-kernel/sets.js';

const SET = process.env.JOOT_STOCK_KERNEL_TESTS === '1' ? FULL : SMOKE;
const VM_DIR = path.join(FIXTURES_DIR, '.stock-kernel-vm');

function whyNot(): string {
  if (process.env.JOOT_IN_STOCK_VM) return 'already inside the VM';
  if (process.getuid?.() !== 0) return 'needs root (fixtures, the VM’s scratch disk)';
  const have = (cmd: string): boolean => ['/usr/bin', '/usr/sbin', '/bin', '/sbin'].some((d) => existsSync(path.join(d, cmd)));
  if (!['qemu-system-x86_64', 'debootstrap', 'setpriv'].every(have)) return 'needs qemu-system-x86_64, debootstrap and setpriv';
  if (!readdirSync('/boot').some((f) => f.startsWith('vmlinuz-'))) return 'needs a Debian kernel in /boot (setup installs it)';
  return '';
}
const why = whyNot();

interface Report {
  numFailedTests: number;
  numPassedTests: number;
  testResults: { name: string; assertionResults: { title: string; fullName: string; status: string }[] }[];
}

describe.skipIf(why !== '')(`the kernel engine on a stock Debian kernel (VM, ${SET.name} set)${why ? ` (${why})` : ''}`, () => {
  beforeAll(async () => {
    // the VM cannot build fixtures (the cache is shared read-only): everything first, here
    await fixtures(...ALL_FIXTURES);
    execFileSync('bash', [BUILD_SCRIPT, FIXTURES_DIR, '.stock-kernel-vm'], { stdio: ['ignore', 'ignore', 'pipe'] });
  }, 1_200_000);

  it(
    `runs ${SET.files.length} integration file(s) in the VM, none failed, the stock-host tests not skipped`,
    async () => {
      const verbose = process.env.JOOT_STOCK_KERNEL_VERBOSE === '1';
      const r = await runInStockVm({
        vmDir: VM_DIR,
        repoRoot: REPO_ROOT,
        fixturesDir: FIXTURES_DIR,
        script: vitestScript(SET),
        timeoutMs: SET.timeoutMs,
        onOutput: verbose ? (t) => process.stdout.write(t) : undefined,
      });
      const tail = r.output.split('\n').slice(-60).join('\n');
      expect(r.timedOut, `the VM ran past ${SET.timeoutMs} ms:\n${tail}`).toBe(false);
      expect(r.files['report.json'], `no vitest report from the VM:\n${tail}`).toBeDefined();
      const report = JSON.parse(r.files['report.json']!) as Report;
      const results = report.testResults.flatMap((f) =>
        f.assertionResults.map((a) => ({ file: path.relative(REPO_ROOT, f.name), title: a.title, name: a.fullName, status: a.status })),
      );
      expect(
        results.filter((r) => r.status === 'failed').map((r) => `${r.file} > ${r.name}`),
        tail,
      ).toEqual([]);
      for (const m of SET.mustPass) {
        const r = results.find((x) => x.file === m.file && x.title === m.title);
        expect(r?.status, `${m.file} > ${m.title}`).toBe('passed');
      }
      expect(r.status, tail).toBe(0);
      console.log(`stock-kernel VM (${SET.name}): ${report.numPassedTests} passed in ${(r.wallMs / 1000).toFixed(0)} s, boot included`);
    },
    SET.timeoutMs + 60_000,
  );
});
