// jfish's editing and search commands end to end: the real bin/jfish on a COPY of
// fixture('sample.raw') (README: p2 ext4 'root' with /etc/hostname = sample, /etc/fstab with
// LABEL=root /, LABEL=boot /boot and a tmpfs line, /etc/passwd, merged-/usr links), plus a tiny
// unpartitioned ext4 image made here with a file carrying an SELinux label. $EDITOR is a
// script. Runs against the built code: `npm run build` first.
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixture } from '../fixtures/index.js';
import { expectNoLeftovers, snapshot, type Snapshot } from './leftovers.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const jfish = join(repo, 'bin/jfish');
const built = existsSync(join(repo, 'dist/src/tools/jfish/main.js'));
const root = process.getuid?.() === 0;
const skipReason = !built ? 'dist is not built (npm run build)' : !root ? 'needs root (loop devices, mounts)' : '';
if (skipReason) console.log(`skipping jfish editing integration tests: ${skipReason}`);

let dir = '';
let img = '';
let before: Snapshot;

function run(args: string[], env: Record<string, string> = {}) {
  return execa(jfish, args, { reject: false, stripFinalNewline: false, timeout: 120_000, env: { JOOT_RUN_DIR: join(dir, 'run'), ...env } });
}
const sha = (f: string) => createHash('sha256').update(readFileSync(f)).digest('hex');
function script(name: string, body: string): string {
  const f = join(dir, name);
  writeFileSync(f, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  return f;
}
const statField = (out: string, field: string) => new RegExp(`^${field}: (\\d+)$`, 'm').exec(out)?.[1];

describe.skipIf(skipReason !== '')('jfish editing and search commands', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'jfish-editing-'));
    mkdirSync(join(dir, 'run'));
    img = join(dir, 'sample.raw');
    copyFileSync(await fixture('sample.raw'), img);
    before = await snapshot({ paths: [dir] });
  }, 600_000);
  afterAll(async () => {
    if (before) await expectNoLeftovers(before);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('edit: changed content goes back with mode and owner; unchanged writes nothing; a failing editor changes nothing', async () => {
    const rw = ['-a', img, 'run', ':', 'mount', '/dev/sda2', '/'];
    const prep = await run([
      ...rw,
      ':',
      'chmod',
      '0640',
      '/etc/hostname',
      ':',
      'chown',
      '1000',
      '1001',
      '/etc/hostname',
      ':',
      'stat',
      '/etc/hostname',
    ]);
    expect(prep.stderr).toBe('');
    const ino0 = statField(prep.stdout, 'ino');

    const same = await run([...rw, ':', 'edit', '/etc/hostname', ':', 'stat', '/etc/hostname'], {
      EDITOR: script('touch.sh', 'touch "$1"'),
    });
    expect(same.stderr).toBe('');
    expect(statField(same.stdout, 'ino')).toBe(ino0);

    const fail = await run([...rw, ':', 'edit', '/etc/hostname'], { EDITOR: script('fail.sh', 'echo junk > "$1"; exit 4') });
    expect(fail.exitCode).toBe(1);
    expect(fail.stderr).toBe(`jfish: edit: editor '${join(dir, 'fail.sh')}' failed (exit 4); /etc/hostname was not changed\n`);

    const ed = await run([...rw, ':', 'edit', '/etc/hostname'], { EDITOR: `sed -i s/sample/edited/` });
    expect(ed.stderr).toBe('');
    expect(ed.exitCode).toBe(0);
    const after = await run([
      '--ro',
      '-a',
      img,
      'run',
      ':',
      'mount',
      '/dev/sda2',
      '/',
      ':',
      'cat',
      '/etc/hostname',
      ':',
      'stat',
      '/etc/hostname',
    ]);
    expect(after.stdout.startsWith('edited\n')).toBe(true);
    expect(statField(after.stdout, 'mode')).toBe(String(0o100640));
    expect(statField(after.stdout, 'uid')).toBe('1000');
    expect(statField(after.stdout, 'gid')).toBe('1001');
    expect(statField(after.stdout, 'ino')).not.toBe(ino0);
    expect((await run([...rw, ':', 'ls', '/etc'])).stdout).not.toMatch(/joot-/); // no temp file left in the guest
  });

  it('edit is refused with --ro and on directories', async () => {
    const hash = sha(img);
    const ro = await run(['--ro', '-a', img, 'run', ':', 'mount', '/dev/sda2', '/', ':', 'edit', '/etc/hostname'], { EDITOR: 'true' });
    expect(sha(img)).toBe(hash);
    expect(ro.exitCode).toBe(1);
    expect(ro.stderr).toBe('jfish: edit: /etc/hostname: the session is read-only\n');
    const d = await run(['-a', img, 'run', ':', 'mount', '/dev/sda2', '/', ':', 'emacs', '/etc'], { EDITOR: 'true' });
    expect(d.stderr).toBe('jfish: emacs: /etc: not a regular file\n');
  });

  it('edit keeps an SELinux label', async () => {
    const src = join(dir, 'src');
    mkdirSync(join(src, 'etc'), { recursive: true });
    writeFileSync(join(src, 'etc/motd'), 'hello\n');
    const label = '0x73797374656d5f753a6f626a6563745f723a6574635f743a733000';
    await execa('setfattr', ['-h', '-n', 'security.selinux', '-v', label, join(src, 'etc/motd')]);
    const small = join(dir, 'small.raw');
    await execa('truncate', ['-s', '8M', small]);
    await execa('mkfs.ext4', ['-q', '-d', src, small]);
    const r = await run(['-a', small, 'run', ':', 'mount', '/dev/sda', '/', ':', 'edit', '/etc/motd', ':', 'cat', '/etc/motd'], {
      EDITOR: 'sed -i s/hello/edited/',
    });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('edited\n\n');
    const ea = await execa('debugfs', ['-R', 'ea_list /etc/motd', small], { reject: false });
    expect(ea.stdout).toContain('security.selinux (27) = "system_u:object_r:etc_t:s0\\000"');
  });

  it('fstab-list, fstab-add, fstab-remove', async () => {
    const rw = ['-a', img, 'run', ':', 'mount', '/dev/sda2', '/'];
    const orig = await run([...rw, ':', 'cat', '/etc/fstab', ':', 'fstab-list']);
    expect(orig.stderr).toBe('');
    expect(orig.stdout).toMatch(
      /LABEL=root \/ ext4 defaults 0 1\nLABEL=boot \/boot ext4 defaults 0 2\ntmpfs \/tmp tmpfs defaults,nosuid,nodev 0 0\n$/,
    );
    // the file's bytes: cat prints one newline after them, as guestfish prints a string
    const text0 = (await run([...rw, ':', 'cat', '/etc/fstab'])).stdout.slice(0, -1);

    const clash = await run([...rw, ':', 'fstab-add', 'UUID=5a3b1e00-0000-4000-8000-000000000001', '/boot', 'ext4']);
    expect(clash.exitCode).toBe(1);
    expect(clash.stderr).toMatch(/^jfish: fstab-add: \/boot already has an entry: line \d+: LABEL=boot \/boot ext4 defaults 0 2\n$/);

    const add = await run([
      ...rw,
      ':',
      'fstab-add',
      'UUID=1234-ABCD',
      '/srv/data',
      'vfat',
      'noauto,nofail',
      '0',
      '2',
      ':',
      'stat',
      '/etc/fstab',
      ':',
      'cat',
      '/etc/fstab',
    ]);
    expect(add.stderr).toBe('');
    expect(add.stdout.endsWith(`${text0}UUID=1234-ABCD /srv/data vfat noauto,nofail 0 2\n\n`)).toBe(true);
    expect(statField(add.stdout, 'mode')).toBe(String(0o100644));

    const rm = await run([...rw, ':', 'fstab-remove', '/srv/data/', ':', 'cat', '/etc/fstab']);
    expect(rm.stderr).toBe('');
    expect(rm.stdout).toBe(`${text0}\n`);

    const ro = await run(['--ro', '-a', img, 'run', ':', 'mount', '/dev/sda2', '/', ':', 'fstab-add', 'LABEL=x', '/x', 'ext4']);
    expect(ro.stderr).toBe('jfish: fstab-add: /etc/fstab: the session is read-only\n');
  });

  it('grep family and file, read-only', async () => {
    const hash = sha(img);
    const r = await run([
      '--ro',
      '-a',
      img,
      'run',
      ':',
      'mount',
      '/dev/sda2',
      '/',
      ':',
      'grep',
      '^root:',
      '/etc/passwd',
      ':',
      'egrepi',
      'LABEL=(ROOT|boot) ',
      '/etc/fstab',
      ':',
      'fgrep',
      'nothing-like-this',
      '/etc/passwd',
      ':',
      'zgrep',
      'Hello',
      '/hello.txt',
      ':',
      'file',
      '/etc',
      ':',
      'file',
      '/bin',
      ':',
      'file',
      '/hello.txt',
      ':',
      'file',
      '/usr/bin/echo',
    ]);
    expect(r.stderr).toBe('');
    const lines = r.stdout.split('\n');
    expect(lines[0]).toMatch(/^root:x:0:0:/);
    expect(lines.slice(1, 3)).toEqual(['LABEL=root / ext4 defaults 0 1', 'LABEL=boot /boot ext4 defaults 0 2']);
    expect(lines.slice(3, 8)).toEqual(['Hello from the joot sample image!', 'directory', 'symbolic link', 'ASCII text', lines[7]]);
    expect(lines[7]).toMatch(/^ELF 64-bit LSB /);
    expect(lines[7]).not.toMatch(/missing section headers/);
    expect(sha(img)).toBe(hash);
  });
});
