// The stock-kernel VM runner's command line (test/stock-kernel/runner.ts): the root disk is never
// written, the project and the fixture cache are shared read-only at their host paths (the
// project's node_modules may link elsewhere: the share covers both), and only plain paths go
// onto the kernel command line.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { qemuArgs, shareRoot, type VmRunOptions } from '../stock-kernel/runner.js';

const top = mkdtempSync(path.join(tmpdir(), 'joot-stockvm-unit-'));
afterAll(() => rmSync(top, { recursive: true, force: true }));

function layout(): { repo: string } {
  const repo = path.join(top, 'wt', 'branch');
  mkdirSync(repo, { recursive: true });
  mkdirSync(path.join(top, 'main', 'node_modules'), { recursive: true });
  symlinkSync(path.join(top, 'main', 'node_modules'), path.join(repo, 'node_modules'));
  return { repo };
}

describe('stock-kernel VM runner', () => {
  const { repo } = layout();
  const o: VmRunOptions = { vmDir: '/vm', repoRoot: repo, fixturesDir: '/fx', script: 'true', timeoutMs: 1000 };

  it('shares the directory that holds both the project and what node_modules links to', () => {
    expect(shareRoot(repo)).toBe(top);
  });

  it('opens the root disk as a snapshot, the shares read-only, the control directory writable', () => {
    const args = qemuArgs(o, top, '/fx', '/ctl', '/ctl/scratch.raw');
    const drives = args.filter((_, i) => args[i - 1] === '-drive');
    expect(drives[0]).toBe('file=/vm/root.img,format=raw,if=virtio,snapshot=on');
    expect(drives[1]).toMatch(/^file=\/ctl\/scratch\.raw,/);
    const shares = args.filter((_, i) => args[i - 1] === '-virtfs');
    expect(shares).toEqual([
      `local,path=${top},mount_tag=work,security_model=none,multidevs=remap,readonly=on`,
      'local,path=/fx,mount_tag=fixtures,security_model=none,multidevs=remap,readonly=on',
      'local,path=/ctl,mount_tag=ctl,security_model=none,multidevs=remap',
    ]);
    const append = args[args.indexOf('-append') + 1]!;
    expect(append).toContain(`joot.share=${top} `);
    expect(append).toContain(`joot.init=${path.join(repo, 'test', 'stock-kernel', 'init.sh')} `);
    expect(args).toContain('tcg,thread=multi');
  });

  it('refuses a path the kernel command line would split', () => {
    expect(() => qemuArgs(o, top, '/fixtures here', '/ctl', '/ctl/s.raw')).toThrow(/kernel command line/);
  });
});
