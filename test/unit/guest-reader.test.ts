import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { execFileSync } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { GuestReader } from '../../src/appliance/guest-reader.js';
import { JootError } from '../../src/core/errors.js';

let tmp: string; // holds the guest root and a decoy "host" tree next to it
let root: string;
let reader: GuestReader;
const messages: string[] = [];

/** Await a rejection, check it is a JootError with `code`, and keep its message. */
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

beforeAll(async () => {
  tmp = await fsp.mkdtemp(path.join(os.tmpdir(), 'joot-guest-reader-'));
  root = path.join(tmp, 'sysroot');
  const w = async (p: string, data: string | Buffer) => {
    await fsp.mkdir(path.dirname(path.join(root, p)), { recursive: true });
    await fsp.writeFile(path.join(root, p), data);
  };
  const ln = async (target: string, p: string) => {
    await fsp.mkdir(path.dirname(path.join(root, p)), { recursive: true });
    await fsp.symlink(target, path.join(root, p));
  };
  // A decoy next to the sysroot: what an escaping link would reach on the host.
  await fsp.mkdir(path.join(tmp, 'etc'), { recursive: true });
  await fsp.writeFile(path.join(tmp, 'etc', 'passwd'), 'HOST-DECOY');
  await fsp.writeFile(path.join(tmp, 'secret'), 'HOST-DECOY');

  await w('etc/shadow', 'guest-shadow');
  await w('etc/passwd', 'root:x:0:0:root:/root:/bin/bash\r\nbin:x:1:1::/:\nlast-no-newline');
  await ln('/etc/shadow', 'etc/os-release'); // absolute: must be read in the guest
  await w('usr/lib/os-release', 'ID=fake\n');
  await ln('usr/lib', 'lib'); // relative link to a directory, used mid-path
  await ln('/usr/lib', 'lib64'); // absolute link to a directory
  await ln('../../../../etc/passwd', 'var/lib/escape'); // relative escape attempt
  await ln('../../../../../../../../../../../../../../secret', 'var/escape2');
  await ln(path.join(tmp, 'secret'), 'var/hostabs'); // absolute host path: not in the guest
  await ln('/', 'var/rootlink');
  await ln('l2', 'chain/l1');
  await ln('../chain/l3', 'chain/l2');
  await ln('/etc/os-release', 'chain/l3'); // l1 -> l2 -> l3 -> /etc/os-release -> /etc/shadow
  await ln('b', 'loop/a');
  await ln('a', 'loop/b');
  await ln('self', 'loop/self');
  await ln('/nonexistent/file', 'dangling');
  await ln('', 'empty').catch(() => undefined); // Linux refuses empty targets; skip then
  await ln('shadow/', 'etc/slash'); // trailing slash on a file target
  // 41 hops and 40 hops: /hops/h0 -> h1 -> ... -> hN -> /etc/shadow
  await fsp.mkdir(path.join(root, 'hops'));
  for (let i = 0; i < 41; i++) await ln(`h${i + 1}`, `hops/h${i}`);
  await ln('/etc/shadow', 'hops/h41');
  // FIFO and a sparse file larger than the default cap
  execFileSync('mkfifo', [path.join(root, 'etc', 'fifo')]);
  await ln('fifo', 'etc/fifolink');
  await fsp.mkdir(path.join(root, 'big'));
  await fsp.writeFile(path.join(root, 'big', 'sparse'), '');
  await fsp.truncate(path.join(root, 'big', 'sparse'), 100 * 1024 * 1024);
  await w('big/exact', Buffer.alloc(1000, 0x61));
  // sorting
  await fsp.mkdir(path.join(root, 'sort'));
  for (const n of ['b', 'B', 'a', 'A', '_', '10', '9', 'é', '\uFF01', '\u{1F600}', '.hidden']) {
    await fsp.writeFile(path.join(root, 'sort', n), '');
  }
  reader = new GuestReader(root);
});

afterAll(async () => {
  if (tmp) await fsp.rm(tmp, { recursive: true, force: true });
  await expect(fsp.access(tmp)).rejects.toThrow();
});

describe('GuestReader.resolve', () => {
  it('resolves plain paths and the root', async () => {
    expect(await reader.resolve('/')).toBe(root);
    expect(await reader.resolve('/etc/shadow')).toBe(path.join(root, 'etc/shadow'));
    expect(await reader.resolve('//etc//./shadow')).toBe(path.join(root, 'etc/shadow'));
    expect(await reader.resolve('/etc/')).toBe(path.join(root, 'etc'));
  });

  it('takes absolute link targets relative to the root', async () => {
    expect(await reader.resolve('/etc/os-release')).toBe(path.join(root, 'etc/shadow'));
    expect(await reader.readText('/etc/os-release')).toBe('guest-shadow');
  });

  it('does not follow the last link when followLast is false', async () => {
    expect(await reader.resolve('/etc/os-release', { followLast: false })).toBe(path.join(root, 'etc/os-release'));
    // ...but still follows links in the middle
    expect(await reader.resolve('/lib/os-release', { followLast: false })).toBe(path.join(root, 'usr/lib/os-release'));
    await rejects(reader.resolve('/nope', { followLast: false }), 'ENOENT');
  });

  it('never climbs above the root with ..', async () => {
    expect(await reader.resolve('/..')).toBe(root);
    expect(await reader.resolve('/../../..')).toBe(root);
    expect(await reader.readText('/../../../etc/shadow')).toBe('guest-shadow');
    expect(await reader.readText('/etc/../../etc/./shadow')).toBe('guest-shadow');
  });

  it('keeps relative escapes inside the guest', async () => {
    expect(await reader.resolve('/var/lib/escape')).toBe(path.join(root, 'etc/passwd'));
    expect((await reader.readLines('/var/lib/escape'))[0]).toMatch(/^root:/);
    await rejects(reader.readFile('/var/escape2'), 'ENOENT', /^\/var\/escape2: No such file or directory$/);
    await rejects(reader.readFile('/var/hostabs'), 'ENOENT');
    expect(await reader.exists('/var/escape2')).toBe(false);
    expect(await reader.exists('/var/hostabs')).toBe(false);
    expect(await reader.resolve('/var/rootlink/..')).toBe(root);
    expect(await reader.resolve('/var/rootlink/var/rootlink/etc')).toBe(path.join(root, 'etc'));
  });

  it('follows chains of links', async () => {
    expect(await reader.resolve('/chain/l1')).toBe(path.join(root, 'etc/shadow'));
    expect(await reader.readText('/chain/l1')).toBe('guest-shadow');
  });

  it('follows links to directories in the middle of a path', async () => {
    expect(await reader.readText('/lib/os-release')).toBe('ID=fake\n');
    expect(await reader.readText('/lib64/os-release')).toBe('ID=fake\n');
    // .. after a link goes to the parent of the target (physical), like the kernel
    expect(await reader.resolve('/lib/..')).toBe(path.join(root, 'usr'));
    expect(await reader.resolve('/lib64/../../etc')).toBe(path.join(root, 'etc'));
  });

  it('detects loops', async () => {
    await rejects(reader.resolve('/loop/a'), 'EINVAL', /^\/loop\/a: too many levels of symbolic links$/);
    await rejects(reader.readFile('/loop/self'), 'EINVAL', /too many levels of symbolic links/);
    await rejects(reader.resolve('/loop/a/x'), 'EINVAL', /too many levels of symbolic links/);
    // lstat and readlink do not follow the last component
    expect((await reader.lstat('/loop/a')).isSymbolicLink).toBe(true);
    expect(await reader.readlink('/loop/a')).toBe('b');
  });

  it('counts hops like the kernel (40 max)', async () => {
    // /hops/h2 -> h3 -> ... -> h41 -> /etc/shadow: 40 links followed
    expect(await reader.readText('/hops/h2')).toBe('guest-shadow');
    // /hops/h0: 42 links; /hops/h1: 41 links
    await rejects(reader.resolve('/hops/h0'), 'EINVAL', /too many levels/);
    await rejects(reader.resolve('/hops/h1'), 'EINVAL', /too many levels/);
  });

  it('reports missing components and non-directories', async () => {
    await rejects(reader.resolve('/etc/missing'), 'ENOENT', /^\/etc\/missing: No such file or directory$/);
    await rejects(reader.resolve('/missing/x/y'), 'ENOENT', /^\/missing\/x\/y: No such file or directory$/);
    await rejects(reader.resolve('/dangling'), 'ENOENT', /^\/dangling: No such file or directory$/);
    await rejects(reader.resolve('/etc/shadow/x'), 'EINVAL', /^\/etc\/shadow\/x: Not a directory$/);
    await rejects(reader.resolve('/etc/shadow/..'), 'EINVAL', /Not a directory/);
    await rejects(reader.resolve('/etc/shadow/'), 'EINVAL', /Not a directory/);
    await rejects(reader.resolve('/etc/slash'), 'EINVAL', /Not a directory/);
    await rejects(reader.resolve('/etc/os-release/'), 'EINVAL', /Not a directory/);
    expect(await reader.resolve('/lib/')).toBe(path.join(root, 'usr/lib'));
    expect(await reader.resolve('/lib/', { followLast: false })).toBe(path.join(root, 'usr/lib'));
  });

  it('rejects relative paths and NUL bytes', async () => {
    await rejects(reader.resolve('etc/passwd'), 'EINVAL', /^etc\/passwd: path must be absolute$/);
    await rejects(reader.resolve(''), 'EINVAL', /path must be absolute/);
    await rejects(reader.readFile('./etc/passwd'), 'EINVAL', /path must be absolute/);
    await rejects(reader.exists('etc'), 'EINVAL', /path must be absolute/);
    await rejects(reader.resolve('/etc/shadow\0/x'), 'EINVAL', /NUL/);
  });
});

describe('GuestReader.readFile', () => {
  it('reads files, text and lines', async () => {
    expect((await reader.readFile('/etc/shadow')).toString()).toBe('guest-shadow');
    expect(await reader.readLines('/etc/passwd')).toEqual(['root:x:0:0:root:/root:/bin/bash', 'bin:x:1:1::/:', 'last-no-newline']);
    expect(await reader.readLines('/usr/lib/os-release')).toEqual(['ID=fake']);
    expect(await reader.readLines('/sort/a')).toEqual([]);
  });

  it('refuses a FIFO quickly, directly or through a link', async () => {
    const t0 = Date.now();
    await rejects(reader.readFile('/etc/fifo'), 'EINVAL', /^\/etc\/fifo: not a regular file$/);
    await rejects(reader.readText('/etc/fifolink'), 'EINVAL', /^\/etc\/fifolink: not a regular file$/);
    expect(Date.now() - t0).toBeLessThan(2000);
  });

  it('refuses directories', async () => {
    await rejects(reader.readFile('/etc'), 'EINVAL', /not a regular file/);
    await rejects(reader.readFile('/'), 'EINVAL', /not a regular file/);
    await rejects(reader.readFile('/lib'), 'EINVAL', /not a regular file/);
  });

  it('refuses files larger than the cap without reading them', async () => {
    await rejects(reader.readFile('/big/sparse'), 'EINVAL', /^\/big\/sparse: file is larger than 67108864 bytes$/);
    await rejects(reader.readFile('/big/exact', { maxBytes: 999 }), 'EINVAL', /file is larger than 999 bytes/);
    expect((await reader.readFile('/big/exact', { maxBytes: 1000 })).length).toBe(1000);
    const small = new GuestReader(root, { maxFileBytes: 10 });
    await rejects(small.readText('/etc/shadow'), 'EINVAL', /file is larger than 10 bytes/);
    expect(await small.readText('/etc/shadow', { maxBytes: 100 })).toBe('guest-shadow');
    await rejects(reader.readFile('/etc/shadow', { maxBytes: -1 }), 'EINVAL');
  });

  it('does not follow a final symlink swapped in after resolution', async () => {
    // Simulate the race: resolve, then swap the file for a link pointing out of the guest.
    const r = new GuestReader(root);
    const victim = path.join(root, 'etc', 'swapped');
    await fsp.writeFile(victim, 'ok');
    const orig = (r as unknown as { walk: (...a: unknown[]) => Promise<unknown> }).walk.bind(r);
    (r as unknown as { walk: (...a: unknown[]) => Promise<unknown> }).walk = async (...a: unknown[]) => {
      const res = await orig(...a);
      await fsp.rm(victim);
      await fsp.symlink(path.join(tmp, 'secret'), victim);
      return res;
    };
    const e = await rejects(r.readFile('/etc/swapped'), 'EINVAL', /^\/etc\/swapped: not a regular file$/);
    expect(e.message).not.toContain('HOST-DECOY');
  });
});

describe('GuestReader metadata', () => {
  it('sorts readdir in byte order without . and ..', async () => {
    expect(await reader.readdir('/sort')).toEqual(['.hidden', '10', '9', 'A', 'B', '_', 'a', 'b', 'é', '\uFF01', '\u{1F600}']);
    expect(await reader.readdir('/lib')).toEqual(['os-release']);
    await rejects(reader.readdir('/etc/shadow'), 'EINVAL', /^\/etc\/shadow: Not a directory$/);
    await rejects(reader.readdir('/nope'), 'ENOENT');
    const top = await reader.readdir('/');
    expect(top).toContain('etc');
    expect(top).not.toContain('.');
  });

  it('stat follows, lstat does not', async () => {
    const s = await reader.stat('/etc/os-release');
    expect(s.isFile).toBe(true);
    expect(s.isSymbolicLink).toBe(false);
    expect(s.size).toBe('guest-shadow'.length);
    const l = await reader.lstat('/etc/os-release');
    expect(l.isSymbolicLink).toBe(true);
    expect(l.isFile).toBe(false);
    const r = await reader.stat('/');
    expect(r.isDirectory).toBe(true);
    expect(typeof r.ino).toBe('number');
    expect(typeof r.mtimeMs).toBe('number');
    expect((await reader.lstat('/lib/')).isDirectory).toBe(true);
    await rejects(reader.stat('/dangling'), 'ENOENT');
    expect((await reader.lstat('/dangling')).isSymbolicLink).toBe(true);
  });

  it('readlink returns the raw text', async () => {
    expect(await reader.readlink('/etc/os-release')).toBe('/etc/shadow');
    expect(await reader.readlink('/var/lib/escape')).toBe('../../../../etc/passwd');
    expect(await reader.readlink('/dangling')).toBe('/nonexistent/file');
    expect(await reader.readlink('/lib64/../../lib')).toBe('usr/lib');
    await rejects(reader.readlink('/etc/shadow'), 'EINVAL', /not a symbolic link/);
    await rejects(reader.readlink('/'), 'EINVAL', /not a symbolic link/);
  });

  it('exists, isFile and isDir', async () => {
    expect(await reader.exists('/')).toBe(true);
    expect(await reader.exists('/etc/os-release')).toBe(true);
    expect(await reader.exists('/dangling')).toBe(false);
    expect(await reader.exists('/loop/a')).toBe(false);
    expect(await reader.exists('/etc/shadow/x')).toBe(false);
    expect(await reader.exists('/missing')).toBe(false);
    expect(await reader.isFile('/etc/os-release')).toBe(true);
    expect(await reader.isFile('/etc')).toBe(false);
    expect(await reader.isFile('/etc/fifo')).toBe(false);
    expect(await reader.isFile('/dangling')).toBe(false);
    expect(await reader.isDir('/lib')).toBe(true);
    expect(await reader.isDir('/')).toBe(true);
    expect(await reader.isDir('/etc/shadow')).toBe(false);
    expect(await reader.isDir('/var/rootlink')).toBe(true);
  });

  it('resolveParent resolves the directory and keeps the last name unfollowed', async () => {
    expect(await reader.resolveParent('/etc/os-release')).toEqual({
      dir: path.join(root, 'etc/os-release'),
      name: 'os-release',
    });
    expect(await reader.resolveParent('/lib/newfile')).toEqual({
      dir: path.join(root, 'usr/lib/newfile'),
      name: 'newfile',
    });
    expect(await reader.resolveParent('/newfile')).toEqual({ dir: path.join(root, 'newfile'), name: 'newfile' });
    expect(await reader.resolveParent('/../../x')).toEqual({ dir: path.join(root, 'x'), name: 'x' });
    expect(await reader.resolveParent('/lib/sub/')).toEqual({ dir: path.join(root, 'usr/lib/sub'), name: 'sub' });
    await rejects(reader.resolveParent('/'), 'EINVAL');
    await rejects(reader.resolveParent('/etc/..'), 'EINVAL');
    await rejects(reader.resolveParent('/missing/x'), 'ENOENT', /^\/missing\/x: No such file or directory$/);
    await rejects(reader.resolveParent('/etc/shadow/x'), 'EINVAL', /Not a directory/);
    await rejects(reader.resolveParent('/loop/a/x'), 'EINVAL', /too many levels/);
  });

  it('never puts the host root in a message', () => {
    expect(messages.length).toBeGreaterThan(20);
    for (const m of messages) {
      expect(m).not.toContain(tmp);
      expect(m).not.toContain(os.tmpdir());
    }
  });
});
