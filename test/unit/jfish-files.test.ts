// jfish's file and inspection commands through the command table, against a fake session whose
// guest is a temporary directory (GuestReader / GuestWriter over it): no root, no devices.
import { createHash } from 'node:crypto';
import { lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { JootError } from '../../src/core/errors.js';
import { GuestReader } from '../../src/appliance/guest-reader.js';
import { GuestWriter } from '../../src/appliance/guest-writer.js';
import type { Writer } from '../../src/core/output.js';
import type { Ctx } from '../../src/tools/jfish/command.js';
import { runScript } from '../../src/tools/jfish/dispatch.js';
import { lookup, table } from '../../src/tools/jfish/table.js';
import type { InspectionReport } from '../../src/inspect/types.js';

const report: InspectionReport = {
  operatingsystems: [
    {
      root: '/dev/sda2',
      name: 'linux',
      arch: 'x86_64',
      distro: 'debian',
      product_name: 'Debian GNU/Linux 12 (bookworm)',
      major_version: 12,
      minor_version: 5,
      package_format: 'deb',
      package_management: 'apt',
      hostname: 'sample',
      osinfo: 'debian12',
      mountpoints: { '/': '/dev/sda2', '/boot': '/dev/sda1' },
      filesystems: [
        { device: '/dev/sda1', type: 'ext4' },
        { device: '/dev/sda2', type: 'ext4' },
      ],
      applications: [{ name: 'bash', epoch: 0, version: '5.2.15', release: '2+b2', arch: 'amd64', summary: 'GNU Bourne Again SHell' }],
      warnings: [],
    },
  ],
};
const inspectMock = vi.hoisted(() => ({ fn: vi.fn() }));
vi.mock('../../src/inspect/index.js', () => ({ inspect: inspectMock.fn }));

class MemWriter implements Writer {
  text = '';
  closed = false;
  escapes = false;
  async write(data: string | Uint8Array): Promise<void> {
    this.text += typeof data === 'string' ? data : Buffer.from(data).toString('utf8');
  }
  async lines(lines: Iterable<string>): Promise<void> {
    for (const l of lines) this.text += `${l}\n`;
  }
  async guestText(s: string): Promise<void> {
    await this.write(s);
  }
}

let dir = '';
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'jfish-files-'));
  mkdirSync(join(dir, 'etc'));
  mkdirSync(join(dir, 'usr/bin'), { recursive: true });
  writeFileSync(join(dir, 'etc/hostname'), 'guest\n');
  writeFileSync(join(dir, 'lines.txt'), `${Array.from({ length: 25 }, (_, i) => `line ${i + 1}`).join('\n')}\n`);
  writeFileSync(join(dir, 'usr/bin/tool'), 'x');
  symlinkSync('usr/bin', join(dir, 'bin'));
  symlinkSync('/etc/hostname', join(dir, 'hn'));
  symlinkSync('/../../../../../../etc', join(dir, 'escape'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function context(opts: { readonly?: boolean; mounted?: string[] } = {}) {
  const reader = new GuestReader(dir);
  const writer = new GuestWriter(reader, dir, { readonly: opts.readonly });
  const session = {
    launched: true,
    reader,
    writer,
    mounts: () => opts.mounted ?? [],
    stat: (p: string) => reader.stat(p),
    readlink: (p: string) => reader.readlink(p),
    readFile: (p: string) => reader.readFile(p),
    readdir: (p: string) => reader.readdir(p),
  };
  const out = new MemWriter();
  const ctx = { session, out, readonly: opts.readonly ?? false, table } as unknown as Ctx;
  return { ctx, out, session };
}

async function jf(line: string[][], opts: { readonly?: boolean; mounted?: string[] } = {}) {
  const c = context(opts);
  await runScript(c.ctx, line);
  return c.out.text;
}

describe('jfish file commands', () => {
  it('are all in the table', () => {
    const want =
      'll head tail head-n tail-n write write-append touch mkdir mkdir-p rm rm-rf rmdir cp cp-a cp-r mv chmod chown lchown ln-s ln-sf readlink realpath stat lstat filesize checksum find';
    for (const n of want.split(' ')) expect(lookup(n), n).toBeDefined();
  });

  it('head, tail, head-n, tail-n', async () => {
    const all = Array.from({ length: 25 }, (_, i) => `line ${i + 1}`);
    const nl = (l: string[]) => l.map((x) => `${x}\n`).join('');
    expect(await jf([['head', '/lines.txt']])).toBe(nl(all.slice(0, 10)));
    expect(await jf([['tail', '/lines.txt']])).toBe(nl(all.slice(15)));
    expect(await jf([['head-n', '3', '/lines.txt']])).toBe(nl(all.slice(0, 3)));
    expect(await jf([['head-n', '-22', '/lines.txt']])).toBe(nl(all.slice(0, 3)));
    expect(await jf([['tail-n', '2', '/lines.txt']])).toBe(nl(all.slice(23)));
    expect(await jf([['tail-n', '-24', '/lines.txt']])).toBe(nl(all.slice(23)));
    expect(await jf([['head-n', '0', '/lines.txt']])).toBe('');
    expect(await jf([['head', '/hn']])).toBe('guest\n'); // absolute link, inside the guest
    await expect(jf([['head', '/etc']])).rejects.toThrow('/etc: Is a directory');
    await expect(jf([['tail', '/nope']])).rejects.toThrow(/nope/);
  });

  it('write, write-append, touch, mkdir, mkdir-p, rm, rm-rf, rmdir, mv, cp, cp-a', async () => {
    await jf([
      ['write', '/new.txt', 'hello'],
      ['write-append', '/new.txt', ' world\n'],
      ['touch', '/empty'],
      ['mkdir', '/d'],
      ['mkdir-p', '/a/b/c'],
      ['cp', '/new.txt', '/d'],
      ['cp-a', '/a', '/d/a2'],
      ['mv', '/empty', '/d/moved'],
      ['rmdir', '/a/b/c'],
      ['rm', '/d/moved'],
    ]);
    expect(readFileSync(join(dir, 'new.txt'), 'utf8')).toBe('hello world\n');
    expect(readFileSync(join(dir, 'd/new.txt'), 'utf8')).toBe('hello world\n');
    expect(statSync(join(dir, 'd/a2/b/c')).isDirectory()).toBe(true);
    expect(() => statSync(join(dir, 'a/b/c'))).toThrow();
    expect(() => statSync(join(dir, 'd/moved'))).toThrow();
    await jf([
      ['rm-rf', '/d'],
      ['rm-rf', '/does-not-exist'],
    ]);
    expect(() => statSync(join(dir, 'd'))).toThrow();
    await expect(jf([['rm', '/etc']])).rejects.toThrow(/etc/);
    await expect(jf([['mkdir', '/etc']])).rejects.toThrow('/etc: File exists');
  });

  it('writes through a link stay in the guest', async () => {
    await jf([
      ['write', '/hn', 'renamed\n'],
      ['mkdir-p', '/escape/sub'],
    ]);
    expect(readFileSync(join(dir, 'etc/hostname'), 'utf8')).toBe('renamed\n');
    expect(statSync(join(dir, 'etc/sub')).isDirectory()).toBe(true);
  });

  it('chmod (octal with a leading 0), chown, ln-s, ln-sf, readlink, realpath', async () => {
    const out = await jf([
      ['chmod', '0750', '/usr/bin/tool'],
      ['ln-s', '/usr/bin/tool', '/t'],
      ['ln-sf', 'etc/hostname', '/t'],
      ['readlink', '/t'],
      ['realpath', '/bin/../bin/tool'],
      ['realpath', '/escape'],
    ]);
    expect(statSync(join(dir, 'usr/bin/tool')).mode & 0o7777).toBe(0o750);
    expect(readlinkSync(join(dir, 't'))).toBe('etc/hostname');
    expect(out).toBe('etc/hostname\n/usr/bin/tool\n/etc\n');
    if (process.getuid?.() === 0) {
      await jf([
        ['chown', '1000', '1001', '/hn'],
        ['lchown', '7', '8', '/bin'],
      ]);
      expect(statSync(join(dir, 'etc/hostname'))).toMatchObject({ uid: 1000, gid: 1001 });
      expect(lstatSync(join(dir, 'bin'))).toMatchObject({ uid: 7, gid: 8 });
    }
  });

  it('stat, lstat, filesize print guestfish structs and numbers', async () => {
    const st = statSync(join(dir, 'etc/hostname'));
    const out = await jf([
      ['stat', '/hn'],
      ['filesize', '/hn'],
    ]);
    const lines = out.trimEnd().split('\n');
    expect(lines.map((l) => l.split(':')[0])).toEqual([
      'dev',
      'ino',
      'mode',
      'nlink',
      'uid',
      'gid',
      'rdev',
      'size',
      'blksize',
      'blocks',
      'atime',
      'mtime',
      'ctime',
      '6',
    ]);
    expect(lines).toContain(`ino: ${st.ino}`);
    expect(lines).toContain(`mode: ${st.mode}`);
    expect(lines).toContain('size: 6');
    expect(lines).toContain(`mtime: ${Math.floor(st.mtimeMs / 1000)}`);
    const l = await jf([['lstat', '/hn']]);
    expect(l).toContain(`mode: ${lstatSync(join(dir, 'hn')).mode}`);
  });

  it('checksum with every type; refuses others', async () => {
    const data = readFileSync(join(dir, 'lines.txt'));
    for (const t of ['md5', 'sha1', 'sha224', 'sha256', 'sha384', 'sha512']) {
      expect(await jf([['checksum', t, '/lines.txt']])).toBe(`${createHash(t).update(data).digest('hex')}\n`);
    }
    await expect(jf([['checksum', 'crc32x', '/lines.txt']])).rejects.toThrow('crc32x: unknown checksum type');
  });

  it('find lists relative paths, sorted, without following links', async () => {
    expect(await jf([['find', '/']])).toBe(
      ['bin', 'escape', 'etc', 'etc/hostname', 'hn', 'lines.txt', 'usr', 'usr/bin', 'usr/bin/tool', ''].join('\n'),
    );
    expect(await jf([['find', '/usr']])).toBe('bin\nbin/tool\n');
    await expect(jf([['find', '/lines.txt']])).rejects.toThrow('Not a directory');
  });

  it('ll lists like ls -la', async () => {
    const out = (await jf([['ll', '/usr/bin']])).trimEnd().split('\n');
    expect(out[0]).toMatch(/^total \d+$/);
    expect(out[1]).toMatch(/^drwx.* \.$/);
    expect(out[2]).toMatch(/^drwx.* \.\.$/);
    expect(out[3]).toMatch(/^-rw.* 1 \S+ +\S+ +1 \w{3} [ \d]\d [\d: ]{5} tool$/);
    expect((await jf([['ll', '/']])).split('\n').find((l) => l.endsWith('bin -> usr/bin'))).toMatch(/^lrwxrwxrwx /);
  });

  it('refuses every write in a read-only session, with one line', async () => {
    for (const cmd of [
      ['write', '/x', 'y'],
      ['touch', '/x'],
      ['mkdir', '/x'],
      ['rm', '/lines.txt'],
      ['chmod', '0600', '/lines.txt'],
      ['ln-s', 'a', '/x'],
      ['cp', '/lines.txt', '/x'],
      ['mv', '/lines.txt', '/x'],
    ]) {
      const err = await jf([cmd], { readonly: true }).catch((e: unknown) => e);
      expect(err, cmd.join(' ')).toMatchObject({ command: cmd[0], message: expect.stringMatching(/^\/\S*: the session is read-only$/) });
    }
    expect(readFileSync(join(dir, 'lines.txt'), 'utf8')).toContain('line 25');
    // reads still work
    expect(await jf([['filesize', '/etc/hostname']], { readonly: true })).toBe('6\n');
  });
});

describe('jfish inspection commands', () => {
  beforeEach(() => {
    inspectMock.fn.mockReset();
    inspectMock.fn.mockResolvedValue(report);
  });

  it('need inspect-os first', async () => {
    const c = context();
    const err = await runScript(c.ctx, [['inspect-get-type', '/dev/sda2']]).catch((e: unknown) => e);
    expect(err).toMatchObject({ command: 'inspect-get-type', message: 'no inspection data: call inspect-os first' });
    await expect(runScript(c.ctx, [['inspect-get-roots']])).rejects.toThrow('call inspect-os first');
  });

  it('refuse inspect-os while something is mounted', async () => {
    const err = await jf([['inspect-os']], { mounted: ['/dev/sda1'] }).catch((e: unknown) => e);
    expect(err).toMatchObject({ command: 'inspect-os', message: expect.stringMatching(/^\/dev\/sda1 is mounted: call umount-all first/) });
    expect(inspectMock.fn).not.toHaveBeenCalled();
  });

  it('print roots and facts as guestfish does', async () => {
    const c = context();
    await runScript(c.ctx, [
      ['inspect-os'],
      ['inspect-get-roots'],
      ['inspect-get-type', '/dev/sda2'],
      ['inspect-get-distro', '/dev/sda2'],
      ['inspect-get-product-name', '/dev/sda2'],
      ['inspect-get-major-version', '/dev/sda2'],
      ['inspect-get-minor-version', '/dev/sda2'],
      ['inspect-get-arch', '/dev/sda2'],
      ['inspect-get-hostname', '/dev/sda2'],
      ['inspect-get-package-format', '/dev/sda2'],
      ['inspect-get-package-management', '/dev/sda2'],
      ['inspect-get-osinfo', '/dev/sda2'],
      ['inspect-get-mountpoints', '/dev/sda2'],
      ['inspect-get-filesystems', '/dev/sda2'],
    ]);
    expect(inspectMock.fn).toHaveBeenCalledTimes(1);
    expect(c.out.text).toBe(
      [
        '/dev/sda2',
        '/dev/sda2',
        'linux',
        'debian',
        'Debian GNU/Linux 12 (bookworm)',
        '12',
        '5',
        'x86_64',
        'sample',
        'deb',
        'apt',
        'debian12',
        '/: /dev/sda2',
        '/boot: /dev/sda1',
        '/dev/sda1',
        '/dev/sda2',
        '',
      ].join('\n'),
    );
    await expect(runScript(c.ctx, [['inspect-get-type', '/dev/sda1']])).rejects.toThrow('/dev/sda1: root device not found');
  });

  it('print applications as guestfish struct lists', async () => {
    const c = context();
    await runScript(c.ctx, [['inspect-os'], ['inspect-list-applications', '/dev/sda2']]);
    expect(c.out.text).toBe(
      [
        '/dev/sda2',
        '[0] = {',
        '  app_name: bash',
        '  app_display_name: ',
        '  app_epoch: 0',
        '  app_version: 5.2.15',
        '  app_release: 2+b2',
        '  app_install_path: ',
        '  app_trans_path: ',
        '  app_publisher: ',
        '  app_url: ',
        '  app_source_package: ',
        '  app_summary: GNU Bourne Again SHell',
        '  app_description: ',
        '}',
        '',
      ].join('\n'),
    );
    const two = context();
    await runScript(two.ctx, [['inspect-os'], ['inspect-list-applications2', '/dev/sda2']]);
    expect(two.out.text).toContain('  app2_arch: amd64\n');
    expect(two.out.text).toContain('  app2_spare4: \n}\n');
  });

  it('report a broken package database as an error', async () => {
    inspectMock.fn.mockResolvedValue({
      operatingsystems: [{ ...report.operatingsystems[0]!, applications: undefined, applications_error: 'dpkg status unreadable' }],
    });
    const err = await jf([['inspect-os'], ['inspect-list-applications', '/dev/sda2']]).catch((e: unknown) => e);
    expect(err).toMatchObject({ command: 'inspect-list-applications', message: expect.stringContaining('dpkg status unreadable') });
  });
});

void JootError;
