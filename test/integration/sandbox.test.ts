// The read-only tools' sandbox (src/core/sandbox.ts, bin/launch.sh's joot_exec_ro): jinspect,
// jfish --ro and jwinreg reads run under Node's permission model, may read only joot's code,
// the configuration and the files named on the command line, and run themselves again
// outside it only where joot's own rules allow more (a backing file, a helper process).
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, fixtures } from '../fixtures/index.js';
import { CAN_RUN_JINSPECT, WHY_NOT, Workdir, run, type RunResult } from './jinspect-helpers.js';
import { expectNoLeftovers, snapshot, type Snapshot } from './leftovers.js';

const bin = (tool: string): string => path.join(REPO_ROOT, 'bin', tool);
if (!CAN_RUN_JINSPECT) console.log(`sandbox.test.ts skipped: ${WHY_NOT}`);

const wd = new Workdir('sandbox');
let before: Snapshot | undefined;
const img: Record<string, string> = {};
let canary = '';
const SECRET = `canary-${process.pid}-not-for-guests`;

function env(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { ...process.env, LC_ALL: 'C', JOOT_RUN_DIR: wd.runDir, JOOT_CONFIG: '', JOOT_NO_SANDBOX: '', JOOT_ENGINE: '', ...extra };
}
const tool = (name: string, args: string[], extra: NodeJS.ProcessEnv = {}): Promise<RunResult> =>
  run(bin(name), args, { env: env(extra), timeoutMs: 120_000 });
const SANDBOX_LINE = "in joot's sandbox";
const AGAIN = 'again without the sandbox';

describe.skipIf(!CAN_RUN_JINSPECT)('the read-only tools run under Node permission model', () => {
  beforeAll(async () => {
    wd.setup();
    before = await snapshot({ paths: [wd.dir], runDir: wd.runDir });
    await fixtures('debian-gpt.qcow2', 'mbr.raw', 'win10.raw', 'mbr.vmdk', 'alpine.raw');
    for (const n of ['debian-gpt.qcow2', 'mbr.raw', 'win10.raw', 'mbr.vmdk', 'alpine.raw'] as const) img[n] = await wd.image(n);
    canary = path.join(wd.dir, 'canary.txt');
    writeFileSync(canary, `${SECRET}\n`);
    // the first run after a build writes the code cache, outside the sandbox (bin/launch.sh)
    await tool('jinspect', ['--version']);
    await tool('jfish', ['--ro', '--version']);
  }, 600_000);

  afterAll(async () => {
    wd.teardown();
    if (before) await expectNoLeftovers(before);
  });

  it('a forced open of a host file through the library is refused: one line, the canary unread', async () => {
    // a resolver bug, played by a script: joot's own library, started with the sandbox's flags
    const dist = (m: string): string => JSON.stringify(path.join(REPO_ROOT, 'dist', 'src', m));
    const probe = path.join(wd.dir, 'probe.mjs');
    writeFileSync(
      probe,
      `import { readFileSync } from 'node:fs';
import { openImage } from ${dist('disk/containers/index.js')};
import { FileSource } from ${dist('disk/source.js')};
import { oneLine } from ${dist('core/errors.js')};
import { run } from ${dist('core/run.js')};
const canary = ${JSON.stringify(canary)};
const out = {};
const image = await openImage(${JSON.stringify(img['debian-gpt.qcow2'])});
out.image = (await image.read(0, 512)).length;
const tries = {
  fileSource: () => FileSource.open(canary),
  readFile: () => readFileSync(canary, 'utf8'),
  asImage: () => openImage(canary),
  command: () => run('cat', [canary]),
};
for (const [k, f] of Object.entries(tries)) {
  try {
    const r = await f();
    out[k] = { read: String(r?.stdout ?? r) };
  } catch (e) {
    out[k] = { code: e.code, line: oneLine(e) };
  }
}
console.log(JSON.stringify(out));
`,
    );
    const r = await run(
      process.execPath,
      [
        '--experimental-permission',
        '--disable-warning=ExperimentalWarning',
        '--disable-warning=SecurityWarning',
        '--allow-child-process',
        `--allow-fs-read=${path.join(REPO_ROOT, 'dist')}/`,
        `--allow-fs-read=${probe}`,
        `--allow-fs-read=${img['debian-gpt.qcow2']}`,
        probe,
      ],
      { env: env(), timeoutMs: 60_000 },
    );
    expect(r.stderr).toBe('');
    expect(r.stdout).not.toContain(SECRET);
    const out = JSON.parse(r.stdout) as Record<string, { code?: string; line?: string } | number>;
    expect(out.image).toBe(512);
    const refusal = `${canary}: access refused by joot's sandbox (Node's permission model; JOOT_NO_SANDBOX=1 turns it off)`;
    expect(out.fileSource).toEqual({ code: 'ERR_ACCESS_DENIED', line: refusal });
    expect(out.readFile).toEqual({ code: 'ERR_ACCESS_DENIED', line: refusal });
    // what the user names, and commands, are not reasons to read: they make a tool run again
    expect(out.asImage).toMatchObject({ code: 'ESANDBOX' });
    expect(out.command).toEqual({ code: 'ESANDBOX', line: "running cat needs to run outside joot's sandbox" });
  });

  it("a guest symlink to a host path reads the guest's file, in the sandbox", async () => {
    const r = await tool('jfish', ['--ro', '-v', '-a', img['mbr.raw']!, '-m', '/dev/sda1', 'cat', '/escape', ':', 'cat', '/link']);
    expect(r.stderr).toContain(SANDBOX_LINE);
    expect(r.stderr).not.toContain(AGAIN);
    expect(r.stderr).toMatch(/^jfish: cat: .*\/escape.*$/m);
    expect(r.stdout).toBe('');
  });

  it('gives the same output as without it (jinspect, jfish --ro cat and tar-out, jwinreg)', async () => {
    const runs: [string, string[]][] = [
      ['jinspect', [img['debian-gpt.qcow2']!]],
      ['jinspect', [img['win10.raw']!]],
      ['jinspect', ['--xml', img['alpine.raw']!]],
      ['jfish', ['--ro', '-a', img['debian-gpt.qcow2']!, '-i', 'cat', '/etc/hostname', ':', 'ls', '/etc/apt']],
      ['jfish', ['--ro', '-a', img['mbr.raw']!, '-m', '/dev/sda1', 'tar-out', '/', '-']],
      ['jwinreg', [img['win10.raw']!, 'HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion', 'ProductName']],
      ['jwinreg', ['--export', img['win10.raw']!, 'HKLM\\SYSTEM\\Select']],
    ];
    for (const [name, args] of runs) {
      const inside = await tool(name, ['-v', ...args]);
      const outside = await tool(name, ['-v', ...args], { JOOT_NO_SANDBOX: '1' });
      expect(inside.stderr, `${name} ${args.join(' ')}`).toContain(SANDBOX_LINE);
      expect(inside.stderr).not.toContain(AGAIN);
      expect(outside.stderr).not.toContain(SANDBOX_LINE);
      expect([inside.code, outside.code], `${inside.stderr}\n${outside.stderr}`).toEqual([0, 0]);
      expect(inside.stdout.length).toBeGreaterThan(0);
      expect(inside.stdout === outside.stdout, `${name} ${args.join(' ')}: same output`).toBe(true);
    }
  }, 600_000);

  it('runs again outside it where joot allows more: a backing file beside the image, a vmdk', async () => {
    const top = path.join(wd.dir, 'top.qcow2');
    // a copy: the fixture here is a hard link, which the rule refuses as a backing file
    await run('cp', ['--sparse=always', img['mbr.raw']!, path.join(wd.dir, 'base.raw')]);
    const made = await run('qemu-img', ['create', '-q', '-f', 'qcow2', '-b', 'base.raw', '-F', 'raw', top]);
    expect(made.code).toBe(0);
    for (const image of [top, img['mbr.vmdk']!]) {
      const r = await tool('jfish', ['--ro', '-v', '-a', image, '-m', '/dev/sda1', 'cat', '/hello.txt']);
      expect(r.stdout, r.stderr).toBe('hello from mbr\n\n');
      expect(r.stderr).toContain(`needs to run outside joot's sandbox: running jfish ${AGAIN}`);
      // the sandboxed run had no private mount namespace; the run again, which may mount, has one
      if (process.getuid?.() === 0) expect(r.stderr).toMatch(/joot: unshare --mount --propagation private -- setpriv --pdeathsig TERM -- /);
      expect(r.code).toBe(0);
    }
    // launched by a command: still before any output, so it runs again
    const byRun = await tool('jfish', ['--ro', '-a', top, 'run', ':', 'mount-ro', '/dev/sda1', '/', ':', 'cat', '/hello.txt']);
    expect([byRun.stdout, byRun.stderr, byRun.code]).toEqual(['hello from mbr\n\n', '', 0]);
    // after output, running again would repeat it: one line saying how to do without
    const late = await tool('jfish', ['--ro', '-a', top, 'echo', 'hi', ':', 'run']);
    expect(late.stdout).toBe('hi\n');
    expect(late.stderr).toBe(
      `jfish: run: reading backing file base.raw of ${top} needs to run outside joot's sandbox (jfish ran echo: run it again with JOOT_NO_SANDBOX=1)\n`,
    );
    expect(late.code).toBe(1);
  }, 300_000);

  it('a backing file outside the rule: runs again, and the rule refuses it in one line', async () => {
    const evil = path.join(wd.dir, 'sub', 'evil.qcow2');
    await run('mkdir', ['-p', path.dirname(evil)]);
    const made = await run('qemu-img', ['create', '-q', '-f', 'qcow2', '-u', '-b', canary, '-F', 'raw', evil, '64M']);
    expect(made.code).toBe(0);
    const r = await tool('jinspect', [evil]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      `jinspect: ${evil}: backing file names ${canary}, outside the image's directory (refused; allow a directory with --backing-dir or JOOT_BACKING_DIRS)\n`,
    );
  }, 120_000);

  it('jfish --ro leaves it before anything is opened for host files and scripts', async () => {
    const out = path.join(wd.dir, 'hostname.out');
    const r = await tool('jfish', ['--ro', '-v', '-a', img['mbr.raw']!, '-m', '/dev/sda1', 'download', '/etc/hostname', out]);
    expect(r.stderr).toContain(`jfish: download with a host file needs to run outside joot's sandbox: running jfish ${AGAIN}`);
    expect(r.code).toBe(0);
    const back = await run('cat', [out]);
    expect(back.stdout).toBe('mbrhost\n');
  }, 120_000);
});
