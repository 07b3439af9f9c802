// The in-process mount table and its path resolver (disk/fs/tree.ts) and the tree reader over
// it (appliance/tree-reader.ts): guest-rooted symlinks, `..` at mount roots, mount points,
// link loops, and the same messages as the host-side GuestReader.
import { describe, expect, it } from 'vitest';
import { JootError } from '../../src/core/errors.js';
import { GuestTree } from '../../src/disk/fs/tree.js';
import { msOf, TreeGuestReader, treeGuestFiles } from '../../src/appliance/tree-reader.js';
import { memFs } from './mem-fs.js';

async function guest(): Promise<TreeGuestReader> {
  const rootFs = memFs({
    etc: {
      hostname: 'guest\n',
      'os-release': { link: '../usr/lib/os-release' },
      abs: { link: '/usr/lib' },
      escape: { link: '../../../../../etc/hostname' },
      loop1: { link: 'loop2' },
      loop2: { link: 'loop1' },
      dangling: { link: '/nowhere' },
      empty: { link: '' },
      crlf: 'a\r\nb\n',
    },
    usr: { lib: { 'os-release': 'ID=test\n' } },
    boot: { 'hidden-under-mount': 'x' },
    home: {},
  });
  const bootFs = memFs({ 'vmlinuz-6': 'kernel', grub: { 'grub.cfg': 'cfg', up: { link: '../..' } } }, { device: '/dev/sda2' });
  const tree = new GuestTree();
  await tree.mount('/', rootFs, await rootFs.root(), '/dev/sda1');
  await tree.mount('/boot', bootFs, await bootFs.root(), '/dev/sda2');
  return new TreeGuestReader(tree);
}

async function failure(p: Promise<unknown>): Promise<JootError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(JootError);
    return e as JootError;
  }
  throw new Error('expected a failure');
}

describe('GuestTree and TreeGuestReader', () => {
  it('reads files, directories and links resolved inside the guest', async () => {
    const r = await guest();
    expect(await r.readText('/etc/hostname')).toBe('guest\n');
    expect(await r.readText('/etc/os-release')).toBe('ID=test\n');
    expect(await r.readText('/etc/abs/os-release')).toBe('ID=test\n');
    // `..` never climbs above the guest root
    expect(await r.readText('/etc/escape')).toBe('guest\n');
    expect(await r.readText('/../../etc/./hostname')).toBe('guest\n');
    expect(await r.readlink('/etc/os-release')).toBe('../usr/lib/os-release');
    expect(await r.readLines('/etc/crlf')).toEqual(['a', 'b']);
    expect(await r.readHead('/etc/hostname', 3)).toEqual(Buffer.from('gue'));
    expect(await r.readdir('/')).toEqual(['boot', 'etc', 'home', 'usr']);
  });

  it('shows the mounted filesystem at a mount point, and `..` leaves it to the parent', async () => {
    const r = await guest();
    expect(await r.readdir('/boot')).toEqual(['grub', 'vmlinuz-6']);
    expect(await r.exists('/boot/hidden-under-mount')).toBe(false);
    expect(await r.readdir('/boot/grub/up')).toEqual(['boot', 'etc', 'home', 'usr']);
    expect(await r.readText('/boot/../etc/hostname')).toBe('guest\n');
  });

  it('answers the predicates and stats like the host-side reader', async () => {
    const r = await guest();
    expect(await r.isFile('/etc/os-release')).toBe(true);
    expect(await r.isDir('/etc/abs')).toBe(true);
    expect(await r.exists('/etc/dangling')).toBe(false);
    expect(await r.exists('/etc/loop1')).toBe(false);
    expect(await r.exists('/etc/hostname/x')).toBe(false);
    const st = await r.lstat('/etc/os-release');
    expect(st.isSymbolicLink).toBe(true);
    expect(st.size).toBe('../usr/lib/os-release'.length);
    expect((await r.stat('/etc/os-release')).isFile).toBe(true);
    expect(msOf(1_700_000_000_123_456_789n)).toBe(1_700_000_000_123.4568);
  });

  it("fails with the host-side reader's one-line messages", async () => {
    const r = await guest();
    expect((await failure(r.readFile('/nope'))).message).toBe('/nope: No such file or directory');
    expect((await failure(r.readFile('/etc/loop1'))).message).toBe('/etc/loop1: too many levels of symbolic links');
    expect((await failure(r.readFile('/etc/empty'))).message).toBe('/etc/empty: No such file or directory');
    expect((await failure(r.readFile('/etc/hostname/x'))).message).toBe('/etc/hostname/x: Not a directory');
    expect((await failure(r.readFile('/etc'))).message).toBe('/etc: not a regular file');
    expect((await failure(r.openFile('/etc'))).message).toBe('/etc: Is a directory');
    expect((await failure(r.readdir('/etc/hostname'))).message).toBe('/etc/hostname: Not a directory');
    expect((await failure(r.readlink('/etc/hostname'))).message).toBe('/etc/hostname: not a symbolic link');
    expect((await failure(r.readFile('/etc/hostname', { maxBytes: 2 }))).message).toBe('/etc/hostname: file is larger than 2 bytes');
    expect((await failure(r.readFile('etc/hostname'))).message).toBe('etc/hostname: path must be absolute');
    expect((await failure(r.resolve('/etc'))).code).toBe('EUNSUPPORTED');
  });

  it('streams a file through a handle, at positions and in order', async () => {
    const r = await guest();
    const fh = await r.openFile('/etc/hostname');
    const b = Buffer.alloc(3);
    expect((await fh.read(b, 0, 3, null)).bytesRead).toBe(3);
    expect(b.toString()).toBe('gue');
    expect((await fh.read(b, 0, 3, null)).bytesRead).toBe(3);
    expect(b.toString()).toBe('st\n');
    expect((await fh.read(b, 0, 3, null)).bytesRead).toBe(0);
    expect((await fh.read(b, 0, 2, 1)).bytesRead).toBe(2);
    expect(b.subarray(0, 2).toString()).toBe('ue');
    expect((await fh.stat()).size).toBe(6);
    await fh.close();
  });

  it('refuses a mount on a non-directory, a second root first, and unmounts what is below', async () => {
    const tree = new GuestTree();
    const fs = memFs({ f: 'x', d: { e: {} } });
    await expect(tree.locate('/', true)).rejects.toThrow('no filesystem is mounted');
    await expect(tree.mount('/d', fs, await fs.root(), 'x')).rejects.toThrow('root filesystem must be mounted first');
    await tree.mount('/', fs, await fs.root(), '/dev/sda1');
    await expect(tree.mount('/f', fs, await fs.root(), 'y')).rejects.toThrow('Not a directory');
    const inner = memFs({ g: 'y' });
    await tree.mount('/d', inner, await inner.root(), '/dev/sdb1');
    await tree.mount('/d/./', inner, await inner.root(), '/dev/sdb1');
    expect(tree.mounts.map((m) => m.mountpoint)).toEqual(['/', '/d', '/d']);
    expect(tree.umount('/').map((m) => m.device)).toEqual(['/dev/sda1', '/dev/sdb1', '/dev/sdb1']);
  });

  it("refuses every write in one line: the kernel engine's words when read-only, else naming it", async () => {
    const tree = new GuestTree();
    const files = treeGuestFiles(tree, { readonly: () => false });
    const e = await failure(files.writer.write('/etc/x', 'y'));
    expect(e.code).toBe('EUNSUPPORTED');
    expect(e.message).toMatch(/^writing \/etc\/x: needs the kernel engine/);
    expect(files.writer.isReadonly).toBe(true);
    // a read-only session says so in the kernel engine's words
    const ro = treeGuestFiles(tree, { readonly: () => true });
    const r = await failure(ro.writer.mv('/a', '/b'));
    expect([r.code, r.message]).toEqual(['EPERM', '/a: the session is read-only']);
  });
});
