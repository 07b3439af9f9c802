import { describe, it, expect, beforeEach, afterEach, afterAll, vi } from 'vitest';
import { execFileSync } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { GuestReader } from '../../src/appliance/guest-reader.js';
import { GuestWriter } from '../../src/appliance/guest-writer.js';
import { JootError } from '../../src/core/errors.js';

const isRoot = process.getuid?.() === 0;
let tmp: string; // holds the guest root and a decoy "host" tree next to it
let root: string;
let decoy: string;
let reader: GuestReader;
let writer: GuestWriter;
let decoySnapshot: string;
const messages: string[] = [];
const tmps: string[] = [];

async function rejects(p: Promise<unknown>, code: string, re?: RegExp): Promise<JootError> {
  let err: unknown;
  try {
    await p;
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(JootError);
  const je = err as JootError;
  messages.push(je.message);
  expect(je.code).toBe(code);
  if (re) expect(je.message).toMatch(re);
  return je;
}

/** Everything observable about a host tree: names, types, modes, owners, mtimes, data. */
async function snapshot(dir: string): Promise<string> {
  const out: string[] = [];
  const walk = async (d: string) => {
    const names = (await fsp.readdir(d)).sort();
    for (const n of names) {
      const p = path.join(d, n);
      const st = await fsp.lstat(p);
      let extra = '';
      if (st.isFile()) extra = (await fsp.readFile(p)).toString('base64');
      if (st.isSymbolicLink()) extra = await fsp.readlink(p);
      out.push(`${path.relative(dir, p)} ${st.mode.toString(8)} ${st.uid}:${st.gid} ${st.mtimeMs} ${extra}`);
      if (st.isDirectory()) await walk(p);
    }
  };
  const st = await fsp.lstat(dir);
  out.push(`. ${st.mode.toString(8)} ${st.uid}:${st.gid} ${st.mtimeMs}`);
  await walk(dir);
  return out.join('\n');
}

const g = (p: string) => path.join(root, p);
const readG = (p: string) => fsp.readFile(g(p), 'utf8');
const existsHost = async (p: string) =>
  fsp.lstat(p).then(
    () => true,
    () => false,
  );

beforeEach(async () => {
  tmp = await fsp.mkdtemp(path.join(os.tmpdir(), 'joot-guest-writer-'));
  tmps.push(tmp);
  root = path.join(tmp, 'sysroot');
  decoy = path.join(tmp, 'decoy');
  // The decoy: what an escaping link would reach on the host.
  await fsp.mkdir(path.join(decoy, 'sub'), { recursive: true });
  await fsp.writeFile(path.join(decoy, 'file'), 'HOST-DECOY');
  await fsp.writeFile(path.join(decoy, 'sub', 'deep'), 'HOST-DECOY-DEEP');
  await fsp.chmod(path.join(decoy, 'file'), 0o640);

  const w = async (p: string, data: string) => {
    await fsp.mkdir(path.dirname(g(p)), { recursive: true });
    await fsp.writeFile(g(p), data);
  };
  const ln = async (target: string, p: string) => {
    await fsp.mkdir(path.dirname(g(p)), { recursive: true });
    await fsp.symlink(target, g(p));
  };
  await w('etc/hostname', 'guest\n');
  await w('etc/fstab', 'UUID=1 / ext4 defaults 0 1\n');
  await fsp.chmod(g('etc/fstab'), 0o640);
  await fsp.mkdir(g('tmp'));
  await fsp.mkdir(g('data/dir'), { recursive: true });
  await w('data/dir/a', 'AAA');
  await w('data/dir/b', 'BBB');
  // Escaping links: absolute host paths (inside the guest they mean root/<host path>)
  // and relative `..` climbs; the final-component and intermediate flavours.
  await ln(decoy, 'evil'); // dir link, absolute host path
  await ln(path.join(decoy, 'file'), 'evilfile'); // file link, absolute host path
  await ln('../decoy', 'up'); // relative climb by one
  await ln('../../../../../../../../../decoy/file', 'upfile');
  await ln(`../../../../../../../../..${decoy}`, 'data/upabs');
  await ln('/', 'rootlink');
  await ln('/etc', 'etclink'); // stays in the guest
  await ln('hostname', 'etc/hn'); // relative, stays in the guest
  await ln('/nonexistent/x', 'dangling');
  // rm-rf bait: a directory holding links to the decoy
  await fsp.mkdir(g('bait'));
  await ln(decoy, 'bait/abs');
  await ln('../../decoy', 'bait/rel');
  await ln(path.join(decoy, 'file'), 'bait/file');

  reader = new GuestReader(root);
  writer = new GuestWriter(reader, root);
  decoySnapshot = await snapshot(decoy);
});

afterEach(async () => {
  // No operation in any test may touch the decoy.
  expect(await snapshot(decoy)).toBe(decoySnapshot);
  expect(await existsHost(path.join(tmp, 'file'))).toBe(false);
  vi.restoreAllMocks();
});

afterAll(async () => {
  for (const t of tmps) await fsp.rm(t, { recursive: true, force: true });
  // No message ever names the host side.
  for (const m of messages) {
    expect(m).not.toContain(`${os.tmpdir()}/joot-guest-writer-`);
    expect(m).not.toContain('sysroot');
  }
  expect(messages.length).toBeGreaterThan(20);
});

describe('write / write-append', () => {
  it('creates, truncates and appends', async () => {
    await writer.write('/tmp/new', 'hello');
    expect(await readG('tmp/new')).toBe('hello');
    await writer.write('/tmp/new', 'bye');
    expect(await readG('tmp/new')).toBe('bye');
    await writer.write('/tmp/new', Buffer.from(' and more'), { append: true });
    expect(await readG('tmp/new')).toBe('bye and more');
    await writer.write('/tmp/appended', 'x', { append: true });
    expect(await readG('tmp/appended')).toBe('x');
    await writer.write('/tmp/empty', '');
    expect(await readG('tmp/empty')).toBe('');
  });

  it('applies mode only on creation', async () => {
    await writer.write('/tmp/m', 'x', { mode: 0o600 });
    expect((await fsp.stat(g('tmp/m'))).mode & 0o7777).toBe(0o600);
    await writer.write('/tmp/m', 'y', { mode: 0o755 });
    expect((await fsp.stat(g('tmp/m'))).mode & 0o7777).toBe(0o600);
  });

  it('follows final links inside the guest only', async () => {
    await writer.write('/etc/hn', 'via-link\n');
    expect(await readG('etc/hostname')).toBe('via-link\n');
    expect((await fsp.lstat(g('etc/hn'))).isSymbolicLink()).toBe(true);
    await writer.write('/etclink/hostname', 'via-dirlink\n');
    expect(await readG('etc/hostname')).toBe('via-dirlink\n');
    // absolute host path: means root/<decoy>/file inside the guest, which does not exist
    await rejects(writer.write('/evilfile', 'PWNED'), 'ENOENT', /^\/evilfile: No such file or directory$/);
    await rejects(writer.write('/evil/file', 'PWNED'), 'ENOENT', /^\/evil\/file: /);
    await rejects(writer.write('/evil/new', 'PWNED'), 'ENOENT');
    // climbing links stop at the guest root: /up -> /decoy, /upfile -> /decoy/file
    await rejects(writer.write('/up/file', 'PWNED'), 'ENOENT');
    await rejects(writer.write('/data/upabs/file', 'PWNED'), 'ENOENT');
    // ...and when the same path exists inside the guest, that is what gets written
    await fsp.mkdir(g('decoy'));
    await writer.write('/upfile', 'IN-GUEST');
    expect(await readG('decoy/file')).toBe('IN-GUEST');
    expect((await fsp.lstat(g('upfile'))).isSymbolicLink()).toBe(true);
    await writer.write('/up/new', 'IN-GUEST2');
    expect(await readG('decoy/new')).toBe('IN-GUEST2');
    await fsp.mkdir(g(decoy), { recursive: true });
    await writer.write('/evilfile', 'IN-GUEST3');
    expect(await readG(path.join(decoy, 'file'))).toBe('IN-GUEST3');
    await writer.write('/../../../etc/../../tmp/climb', 'c');
    expect(await readG('tmp/climb')).toBe('c');
    await writer.write('/rootlink/tmp/r', 'r');
    expect(await readG('tmp/r')).toBe('r');
  });

  it('creates the target of a dangling link inside the guest', async () => {
    await rejects(writer.write('/dangling', 'x'), 'ENOENT');
    await fsp.mkdir(g('nonexistent'));
    await writer.write('/dangling', 'x');
    expect(await readG('nonexistent/x')).toBe('x');
  });

  it('refuses directories, special files, loops and bad paths', async () => {
    await rejects(writer.write('/etc', 'x'), 'EINVAL', /^\/etc: Is a directory$/);
    await rejects(writer.write('/etc/', 'x'), 'EINVAL', /Is a directory/);
    await rejects(writer.write('/tmp/nope/', 'x'), 'EINVAL', /Is a directory/);
    await rejects(writer.write('/etc/hostname/x', 'x'), 'EINVAL', /Not a directory/);
    await rejects(writer.write('/etc/hostname/', 'x'), 'EINVAL', /Not a directory/);
    await rejects(writer.write('/nodir/x', 'x'), 'ENOENT', /^\/nodir\/x: No such file or directory$/);
    await rejects(writer.write('relative', 'x'), 'EINVAL');
    await rejects(writer.write('/a\0b', 'x'), 'EINVAL');
    await rejects(writer.write('/', 'x'), 'EINVAL');
    await rejects(writer.write('/tmp/..', 'x'), 'EINVAL');
    execFileSync('mkfifo', [g('tmp/fifo')]);
    await rejects(writer.write('/tmp/fifo', 'x'), 'EINVAL', /not a regular file/);
    await fsp.symlink('l2', g('tmp/l1'));
    await fsp.symlink('l1', g('tmp/l2'));
    await rejects(writer.write('/tmp/l1', 'x'), 'EINVAL', /^\/tmp\/l1: too many levels of symbolic links$/);
    await rejects(writer.write('/tmp/m', 'x', { mode: 0o10000 }), 'EINVAL');
  });
});

describe('writeAtomic', () => {
  it('replaces atomically, keeping mode and owner', async () => {
    if (isRoot) await fsp.chown(g('etc/fstab'), 1234, 5678);
    const inoBefore = (await fsp.stat(g('etc/fstab'))).ino;
    await writer.writeAtomic('/etc/fstab', 'new fstab\n');
    const st = await fsp.stat(g('etc/fstab'));
    expect(await readG('etc/fstab')).toBe('new fstab\n');
    expect(st.mode & 0o7777).toBe(0o640);
    if (isRoot) expect([st.uid, st.gid]).toEqual([1234, 5678]);
    expect(st.ino).not.toBe(inoBefore);
    expect((await fsp.readdir(g('etc'))).sort()).toEqual(['fstab', 'hn', 'hostname']);
  });

  it('honours explicit mode/uid/gid, and setuid bits survive chown', async () => {
    await writer.writeAtomic('/tmp/new', 'n', { mode: 0o4755, ...(isRoot ? { uid: 7, gid: 8 } : {}) });
    const st = await fsp.stat(g('tmp/new'));
    expect(st.mode & 0o7777).toBe(0o4755);
    if (isRoot) expect([st.uid, st.gid]).toEqual([7, 8]);
    await writer.writeAtomic('/tmp/new', 'm');
    expect((await fsp.stat(g('tmp/new'))).mode & 0o7777).toBe(0o4755);
    await writer.writeAtomic('/tmp/fresh', 'f');
    expect((await fsp.stat(g('tmp/fresh'))).mode & 0o7777).toBe(0o644);
  });

  it('replaces the target of a link inside the guest and keeps the link', async () => {
    await writer.writeAtomic('/etc/hn', 'atomic\n');
    expect(await readG('etc/hostname')).toBe('atomic\n');
    expect(await fsp.readlink(g('etc/hn'))).toBe('hostname');
    await rejects(writer.writeAtomic('/evilfile', 'PWNED'), 'ENOENT');
    await rejects(writer.writeAtomic('/evil/file', 'PWNED'), 'ENOENT');
    await rejects(writer.writeAtomic('/up/file', 'PWNED'), 'ENOENT');
    await rejects(writer.writeAtomic('/etc', 'x'), 'EINVAL', /Is a directory/);
  });

  it('leaves no temp file when it fails', async () => {
    vi.spyOn(fsp, 'rename').mockRejectedValueOnce(Object.assign(new Error('boom'), { code: 'ENOSPC' }));
    await rejects(writer.writeAtomic('/etc/fstab', 'x'), 'EIO', /^\/etc\/fstab: No space left on device$/);
    expect(await readG('etc/fstab')).toBe('UUID=1 / ext4 defaults 0 1\n');
    expect((await fsp.readdir(g('etc'))).sort()).toEqual(['fstab', 'hn', 'hostname']);
    vi.restoreAllMocks();
    const real = (await import('node:fs/promises')).open;
    let n = 0;
    vi.spyOn(fsp, 'open').mockImplementation(async (...args: Parameters<typeof real>) => {
      const fh = await real(...args);
      if (n++ === 0) {
        vi.spyOn(fh, 'sync').mockRejectedValue(Object.assign(new Error('io'), { code: 'EIO' }));
      }
      return fh;
    });
    await rejects(writer.writeAtomic('/tmp/x', 'x'), 'EIO');
    expect(await fsp.readdir(g('tmp'))).toEqual([]);
  });
});

describe('touch', () => {
  it('creates files and updates times', async () => {
    await writer.touch('/tmp/t');
    expect(await readG('tmp/t')).toBe('');
    await fsp.utimes(g('etc/hostname'), 1000, 1000);
    await writer.touch('/etc/hostname');
    expect((await fsp.stat(g('etc/hostname'))).mtimeMs).toBeGreaterThan(1_000_000);
    expect(await readG('etc/hostname')).toBe('guest\n');
  });

  it('refuses links, directories and escapes', async () => {
    await rejects(writer.touch('/evilfile'), 'EINVAL', /^\/evilfile: touch can only be used on regular files$/);
    await rejects(writer.touch('/etc/hn'), 'EINVAL');
    await rejects(writer.touch('/etc'), 'EINVAL');
    await rejects(writer.touch('/evil/file'), 'ENOENT');
    await rejects(writer.touch('/up/file'), 'ENOENT');
    await rejects(writer.touch('/data/upabs/new'), 'ENOENT');
  });
});

describe('mkdir', () => {
  it('mkdir and mkdir-p', async () => {
    await writer.mkdir('/tmp/d');
    expect((await fsp.stat(g('tmp/d'))).isDirectory()).toBe(true);
    await rejects(writer.mkdir('/tmp/d'), 'EINVAL', /^\/tmp\/d: File exists$/);
    await rejects(writer.mkdir('/tmp/x/y'), 'ENOENT');
    await writer.mkdir('/tmp/x/y/z', { parents: true });
    expect((await fsp.stat(g('tmp/x/y/z'))).isDirectory()).toBe(true);
    await writer.mkdir('/tmp/x/y/z', { parents: true });
    await writer.mkdir('/etclink/sub/dir', { parents: true }); // through a guest link
    expect((await fsp.stat(g('etc/sub/dir'))).isDirectory()).toBe(true);
    await writer.mkdir('/tmp/./x/../q', { parents: true });
    expect((await fsp.stat(g('tmp/q'))).isDirectory()).toBe(true);
    await rejects(writer.mkdir('/etc/hostname/x', { parents: true }), 'EINVAL', /Not a directory/);
    await rejects(writer.mkdir('/etc/hostname', { parents: true }), 'EINVAL', /File exists/);
    await writer.mkdir('/tmp/m', { mode: 0o700 });
    expect((await fsp.stat(g('tmp/m'))).mode & 0o777).toBe(0o700);
  });

  it('never creates outside the guest', async () => {
    await rejects(writer.mkdir('/evil/new'), 'ENOENT');
    await rejects(writer.mkdir('/up/new'), 'ENOENT');
    await rejects(writer.mkdir('/evil'), 'EINVAL', /File exists/); // the link itself exists
    // like mkdir -p(1), a dangling link in the path is an error, not followed out
    await rejects(writer.mkdir('/evil/new/x', { parents: true }), 'EINVAL', /^\/evil\/new\/x: Not a directory$/);
    await rejects(writer.mkdir('/up/new', { parents: true }), 'EINVAL', /Not a directory/);
    // once the link targets exist inside the guest, mkdir -p goes there
    await fsp.mkdir(g(decoy), { recursive: true });
    await fsp.mkdir(g('decoy'));
    await writer.mkdir('/evil/new/x', { parents: true });
    expect((await fsp.stat(g(path.join(decoy, 'new/x')))).isDirectory()).toBe(true);
    await writer.mkdir('/up/new', { parents: true });
    expect((await fsp.stat(g('decoy/new'))).isDirectory()).toBe(true);
    await rejects(writer.mkdir('/dangling/x'), 'ENOENT');
  });
});

describe('rm / rmdir', () => {
  it('rm removes files and links, not directories', async () => {
    await writer.rm('/etc/hn');
    expect(await existsHost(g('etc/hn'))).toBe(false);
    expect(await readG('etc/hostname')).toBe('guest\n');
    await writer.rm('/evilfile'); // the link, not the decoy file
    await writer.rm('/evil');
    await writer.rm('/upfile');
    expect(await existsHost(g('evil'))).toBe(false);
    await rejects(writer.rm('/etc'), 'EINVAL', /^\/etc: Is a directory$/);
    await rejects(writer.rm('/tmp/none'), 'ENOENT', /^\/tmp\/none: No such file or directory$/);
    await writer.rm('/tmp/none', { force: true });
    await writer.rm('/none/none', { force: true });
    await rejects(writer.rm('/up/file'), 'ENOENT');
    await writer.rm('/evil/file', { force: true, recursive: true }); // missing in the guest
    await rejects(writer.rm('/evil/file'), 'ENOENT');
    await rejects(writer.rm('/'), 'EINVAL');
  });

  it('rm-rf removes links in the tree, not what they point to', async () => {
    await writer.rm('/bait', { recursive: true, force: true });
    expect(await existsHost(g('bait'))).toBe(false);
    await writer.rm('/data', { recursive: true });
    expect(await existsHost(g('data'))).toBe(false);
    await writer.rm('/up', { recursive: true });
    expect(await existsHost(g('up'))).toBe(false);
    await writer.rm('/evil/sub', { recursive: true, force: true }); // missing inside the guest
    await rejects(writer.rm('/evil/sub', { recursive: true }), 'ENOENT');
  });

  it('rm-rf removes non-UTF-8 names', async () => {
    await fsp.mkdir(g('tmp/w'));
    await fsp.writeFile(Buffer.concat([Buffer.from(`${g('tmp/w')}/`), Buffer.from([0xff, 0xfe])]), 'x');
    await writer.rm('/tmp/w', { recursive: true });
    expect(await fsp.readdir(g('tmp'))).toEqual([]);
  });

  it('rmdir', async () => {
    await writer.mkdir('/tmp/e');
    await writer.rmdir('/tmp/e');
    expect(await existsHost(g('tmp/e'))).toBe(false);
    await rejects(writer.rmdir('/data'), 'EINVAL', /^\/data: Directory not empty$/);
    await rejects(writer.rmdir('/evil'), 'EINVAL', /Not a directory/);
    await rejects(writer.rmdir('/up'), 'EINVAL', /Not a directory/);
    await rejects(writer.rmdir('/evil/sub'), 'ENOENT');
    await rejects(writer.rmdir('/etc/hostname'), 'EINVAL', /Not a directory/);
  });
});

describe('cp', () => {
  it('plain cp copies a file, into a directory too', async () => {
    await writer.cp('/etc/hostname', '/tmp/h');
    expect(await readG('tmp/h')).toBe('guest\n');
    await writer.cp('/etc/fstab', '/tmp');
    expect(await readG('tmp/fstab')).toBe('UUID=1 / ext4 defaults 0 1\n');
    await writer.cp('/etc/hn', '/tmp/hn'); // source link followed inside the guest
    expect((await fsp.lstat(g('tmp/hn'))).isFile()).toBe(true);
    await writer.cp('/etc/hostname', '/etclink/copy');
    expect(await readG('etc/copy')).toBe('guest\n');
    await rejects(writer.cp('/data', '/tmp/d'), 'EINVAL', /^\/data: Is a directory$/);
    await rejects(writer.cp('/etc/hostname', '/etc/hn'), 'EINVAL', /same file/);
    await rejects(writer.cp('/etc/hostname', '/etc/hostname'), 'EINVAL', /same file/);
    await rejects(writer.cp('/nope', '/tmp/x'), 'ENOENT', /^\/nope: /);
    expect(await readG('etc/hostname')).toBe('guest\n');
  });

  it('cp never reads or writes outside the guest', async () => {
    await rejects(writer.cp('/evilfile', '/tmp/x'), 'ENOENT');
    await rejects(writer.cp('/upfile', '/tmp/x'), 'ENOENT');
    await rejects(writer.cp('/evil/file', '/tmp/x'), 'ENOENT');
    await rejects(writer.cp('/etc/hostname', '/evilfile'), 'ENOENT');
    await rejects(writer.cp('/etc/hostname', '/evil/file'), 'ENOENT');
    await rejects(writer.cp('/etc/hostname', '/up/file'), 'ENOENT');
    await rejects(writer.cp('/etc/hostname', '/evil/x', { archive: true }), 'ENOENT');
    // cp -a onto an escaping link replaces the link, never writes through it
    await writer.cp('/etc/hostname', '/evilfile', { archive: true });
    expect((await fsp.lstat(g('evilfile'))).isFile()).toBe(true);
    await writer.cp('/etc/hostname', '/upfile', { recursive: true });
    expect((await fsp.lstat(g('upfile'))).isFile()).toBe(true);
  });

  it('cp-a keeps mode, owner, times and links', async () => {
    if (isRoot) await fsp.chown(g('data/dir/a'), 42, 43);
    await fsp.chmod(g('data/dir/a'), 0o4711);
    await fsp.chmod(g('data/dir'), 0o750);
    await fsp.symlink('/etc/hostname', g('data/dir/abs'));
    await fsp.symlink(decoy, g('data/dir/evil'));
    await fsp.utimes(g('data/dir/a'), 100000, 200000);
    await fsp.utimes(g('data/dir'), 300000, 400000);
    await writer.cp('/data', '/tmp/copy', { archive: true });
    const a = await fsp.stat(g('tmp/copy/dir/a'));
    expect(a.mode & 0o7777).toBe(0o4711);
    if (isRoot) expect([a.uid, a.gid]).toEqual([42, 43]);
    expect(a.mtimeMs).toBe(200000 * 1000);
    const d = await fsp.stat(g('tmp/copy/dir'));
    expect(d.mode & 0o7777).toBe(0o750);
    expect(d.mtimeMs).toBe(400000 * 1000);
    expect(await fsp.readlink(g('tmp/copy/dir/abs'))).toBe('/etc/hostname');
    expect(await fsp.readlink(g('tmp/copy/dir/evil'))).toBe(decoy);
    expect(await fsp.readlink(g('tmp/copy/upabs'))).toBe(`../../../../../../../../..${decoy}`);
    // into an existing directory: dst/basename(src)
    await writer.cp('/data/dir', '/tmp', { archive: true });
    expect(await readG('tmp/dir/b')).toBe('BBB');
    // merging over an existing tree
    await writer.cp('/data/dir', '/tmp', { archive: true });
    // a link source is copied as a link
    await writer.cp('/evil', '/tmp/evil', { archive: true });
    expect(await fsp.readlink(g('tmp/evil'))).toBe(decoy);
    await rejects(writer.cp('/data', '/data/dir/inner', { archive: true }), 'EINVAL', /into itself/);
    await rejects(writer.cp('/', '/tmp/all', { archive: true }), 'EINVAL', /into itself/);
    await rejects(writer.cp('/data', '/etc/hostname', { recursive: true }), 'EINVAL', /non-directory with directory/);
  });

  it('cp-r copies trees without archive attributes', async () => {
    await fsp.utimes(g('data/dir/a'), 100000, 200000);
    await writer.cp('/data', '/tmp/r', { recursive: true });
    expect(await readG('tmp/r/dir/a')).toBe('AAA');
    expect((await fsp.stat(g('tmp/r/dir/a'))).mtimeMs).not.toBe(200000 * 1000);
    expect(await fsp.readlink(g('tmp/r/upabs'))).toBe(`../../../../../../../../..${decoy}`);
  });

  it('refuses special files', async () => {
    execFileSync('mkfifo', [g('data/fifo')]);
    await rejects(writer.cp('/data/fifo', '/tmp/f'), 'EINVAL', /special file/);
    await rejects(writer.cp('/data', '/tmp/f', { archive: true }), 'EUNSUPPORTED', /^\/data\/fifo: /);
  });
});

describe('mv', () => {
  it('renames and moves into directories', async () => {
    await writer.mv('/etc/hostname', '/tmp/h');
    expect(await readG('tmp/h')).toBe('guest\n');
    await writer.mv('/tmp/h', '/etclink');
    expect(await readG('etc/h')).toBe('guest\n');
    await writer.mv('/data', '/tmp/data');
    expect(await readG('tmp/data/dir/a')).toBe('AAA');
    await rejects(writer.mv('/nope', '/tmp/x'), 'ENOENT', /^\/nope: /);
    await rejects(writer.mv('/tmp', '/tmp/data/x'), 'EINVAL', /into itself/);
  });

  it('moves links as links and never through escaping links', async () => {
    await writer.mv('/evil', '/tmp/evil2');
    expect(await fsp.readlink(g('tmp/evil2'))).toBe(decoy);
    await writer.mv('/upfile', '/tmp/upfile');
    expect(await fsp.readlink(g('tmp/upfile'))).toBe('../../../../../../../../../decoy/file');
    await rejects(writer.mv('/etc/fstab', '/up/fstab'), 'ENOENT');
    await rejects(writer.mv('/etc/fstab', '/tmp/evil2/fstab'), 'ENOENT');
    await rejects(writer.mv('/tmp/evil2/file', '/tmp/x'), 'ENOENT');
    await rejects(writer.mv('/up/file', '/tmp/x'), 'ENOENT');
    // onto an escaping link: the link is replaced
    await writer.mv('/etc/fstab', '/evilfile');
    expect((await fsp.lstat(g('evilfile'))).isFile()).toBe(true);
  });
});

describe('chmod / chown', () => {
  it('chmod follows inside the guest only', async () => {
    await writer.chmod(0o600, '/etc/hostname');
    expect((await fsp.stat(g('etc/hostname'))).mode & 0o7777).toBe(0o600);
    await writer.chmod(0o604, '/etc/hn');
    expect((await fsp.stat(g('etc/hostname'))).mode & 0o7777).toBe(0o604);
    await writer.chmod(0o700, '/');
    expect((await fsp.stat(root)).mode & 0o7777).toBe(0o700);
    await rejects(writer.chmod(0o777, '/evilfile'), 'ENOENT');
    await rejects(writer.chmod(0o777, '/evil'), 'ENOENT');
    await rejects(writer.chmod(0o777, '/evil/file'), 'ENOENT');
    await rejects(writer.chmod(0o777, '/upfile'), 'ENOENT');
    await rejects(writer.chmod(0o777, '/up/sub'), 'ENOENT');
    await rejects(writer.chmod(0o777, '/data/upabs'), 'ENOENT');
    await rejects(writer.chmod(0o20000, '/etc/hostname'), 'EINVAL');
  });

  it.runIf(isRoot)('chown acts on the link itself (lchown) unless follow', async () => {
    await writer.chown(11, 12, '/etc/hostname');
    expect((await fsp.stat(g('etc/hostname'))).uid).toBe(11);
    await writer.chown(21, 22, '/etc/hn');
    expect((await fsp.lstat(g('etc/hn'))).uid).toBe(21);
    expect((await fsp.stat(g('etc/hostname'))).uid).toBe(11);
    await writer.chown(31, -1, '/etc/hn', { follow: true });
    expect((await fsp.stat(g('etc/hostname'))).uid).toBe(31);
    expect((await fsp.stat(g('etc/hostname'))).gid).toBe(12);
    await writer.chown(41, 42, '/evil'); // the link, not the decoy
    await writer.chown(41, 42, '/evilfile');
    await writer.chown(41, 42, '/up');
    expect((await fsp.lstat(g('evil'))).uid).toBe(41);
    await rejects(writer.chown(1, 1, '/evil/file'), 'ENOENT');
    await rejects(writer.chown(1, 1, '/up/file'), 'ENOENT');
    await rejects(writer.chown(1, 1, '/evilfile', { follow: true }), 'ENOENT');
    await rejects(writer.chown(1, 1, '/upfile', { follow: true }), 'ENOENT');
    await writer.chown(5, 5, '/');
    expect((await fsp.stat(root)).uid).toBe(5);
    await rejects(writer.chown(-2, 0, '/etc/hostname'), 'EINVAL');
  });
});

describe('symlink', () => {
  it('stores the target verbatim and resolves it inside the guest', async () => {
    await writer.symlink(path.join(decoy, 'file'), '/tmp/l');
    expect(await fsp.readlink(g('tmp/l'))).toBe(path.join(decoy, 'file'));
    await rejects(reader.readText('/tmp/l'), 'ENOENT');
    await writer.symlink('../etc/hostname', '/tmp/rel');
    expect(await reader.readText('/tmp/rel')).toBe('guest\n');
    await rejects(writer.symlink('x', '/tmp/rel'), 'EINVAL', /^\/tmp\/rel: File exists$/);
    await writer.symlink('/etc/fstab', '/tmp/rel', { force: true });
    expect(await fsp.readlink(g('tmp/rel'))).toBe('/etc/fstab');
    await rejects(writer.symlink('x', '/evil/l'), 'ENOENT');
    await rejects(writer.symlink('x', '/up/l'), 'ENOENT');
    await rejects(writer.symlink('x', '/evil'), 'EINVAL', /File exists/);
    await writer.symlink('x', '/evil', { force: true }); // replaces the link
    expect(await fsp.readlink(g('evil'))).toBe('x');
    await rejects(writer.symlink('', '/tmp/e'), 'EINVAL');
    await rejects(writer.symlink('x', '/etc', { force: true }), 'EINVAL', /Is a directory/);
  });
});

describe('hostPathForWrite', () => {
  it('returns the host path of the entry itself, inside the root', async () => {
    expect(await writer.hostPathForWrite('/etc/hostname')).toBe(g('etc/hostname'));
    expect(await writer.hostPathForWrite('/etc/hn')).toBe(g('etc/hn'));
    expect(await writer.hostPathForWrite('/evil')).toBe(g('evil'));
    expect(await writer.hostPathForWrite('/etclink/hostname')).toBe(g('etc/hostname'));
    expect(await writer.hostPathForWrite('/')).toBe(root);
    expect(await writer.hostPathForWrite('/data/..')).toBe(root);
    expect(await writer.hostPathForCreate('/tmp/new')).toBe(g('tmp/new'));
    await rejects(writer.hostPathForWrite('/evil/file'), 'ENOENT');
    await rejects(writer.hostPathForWrite('/up/file'), 'ENOENT');
    await rejects(writer.hostPathForWrite('/tmp/none'), 'ENOENT');
  });
});

describe('read-only sessions', () => {
  it('refuse every operation', async () => {
    const ro = new GuestWriter(reader, root, { readonly: true });
    expect(ro.isReadonly).toBe(true);
    const before = await snapshot(root);
    const ops: [string, () => Promise<unknown>][] = [
      ['/tmp/x', () => ro.write('/tmp/x', 'x')],
      ['/tmp/x', () => ro.write('/tmp/x', 'x', { append: true })],
      ['/etc/fstab', () => ro.writeAtomic('/etc/fstab', 'x')],
      ['/tmp/x', () => ro.touch('/tmp/x')],
      ['/tmp/d', () => ro.mkdir('/tmp/d')],
      ['/tmp/d/e', () => ro.mkdir('/tmp/d/e', { parents: true })],
      ['/data', () => ro.rm('/data', { recursive: true, force: true })],
      ['/etc/hostname', () => ro.rm('/etc/hostname')],
      ['/tmp', () => ro.rmdir('/tmp')],
      ['/tmp/c', () => ro.cp('/etc/hostname', '/tmp/c')],
      ['/tmp/c', () => ro.cp('/data', '/tmp/c', { archive: true })],
      ['/etc/hostname', () => ro.mv('/etc/hostname', '/tmp/m')],
      ['/etc/hostname', () => ro.chmod(0o777, '/etc/hostname')],
      ['/etc/hostname', () => ro.chown(1, 1, '/etc/hostname')],
      ['/tmp/l', () => ro.symlink('x', '/tmp/l')],
      ['/etc/hostname', () => ro.hostPathForWrite('/etc/hostname')],
      ['/tmp/n', () => ro.hostPathForCreate('/tmp/n')],
    ];
    for (const [p, op] of ops) {
      await rejects(op(), 'EPERM', new RegExp(`^${p}: the session is read-only$`));
    }
    expect(await snapshot(root)).toBe(before);
  });
});

describe('roots', () => {
  it('refuses a reader with another root', async () => {
    const other = new GuestWriter(new GuestReader(decoy), root);
    await rejects(other.write('/tmp/x', 'x'), 'EINVAL');
    expect(() => new GuestWriter(reader, 'relative')).toThrow(JootError);
  });
});
