// jfish tar-in / tar-out end to end: the real bin/jfish on a COPY of fixture('sample.raw')
// (p2 ext4 'root'), checked against the host's GNU tar in both directions (test-only use of
// host tar, on host temp dirs). Runs against the built code: `npm run build` first.
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  linkSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixture } from '../fixtures/index.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const jfish = join(repo, 'bin/jfish');
const built = existsSync(join(repo, 'dist/src/tools/jfish/main.js'));
const root = process.getuid?.() === 0;
const skipReason = !built ? 'dist is not built (npm run build)' : !root ? 'needs root (loop devices, mounts)' : '';
if (skipReason) console.log(`skipping jfish tar integration tests: ${skipReason}`);

let dir = '';
let img = '';

function run(args: string[], opts: { input?: string | Buffer; cwd?: string; encoding?: 'buffer' } = {}) {
  return execa(jfish, args, { reject: false, stripFinalNewline: false, timeout: 120_000, ...opts });
}
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const mount = () => ['-a', img, 'run', ':', 'mount', '/dev/sda2', '/'];

/** Mount the copy's p2 on the host for `fn` (test-only: set and check attributes with the
 *  host's tools, independently of jfish); the loop device goes with the umount. */
async function onHost<T>(fn: (m: string) => T | Promise<T>, ro = false): Promise<T> {
  const part = (
    JSON.parse(execFileSync('sfdisk', ['-J', img], { encoding: 'utf8' })) as {
      partitiontable: { sectorsize?: number; partitions: { start: number }[] };
    }
  ).partitiontable;
  const m = mkdtempSync(join(dir, 'mnt-'));
  execFileSync('mount', ['-o', `loop,offset=${part.partitions[1]!.start * (part.sectorsize ?? 512)}${ro ? ',ro' : ''}`, img, m]);
  try {
    return await fn(m);
  } finally {
    execFileSync('umount', [m]);
    rmSync(m, { recursive: true, force: true });
  }
}
const xattrsOf = (p: string): string =>
  execFileSync('getfattr', ['-h', '-d', '-m', '-', '-e', 'base64', '--absolute-names', p], { encoding: 'utf8' });
const aclOf = (p: string): string => execFileSync('getfacl', ['-cn', p], { encoding: 'utf8' });
const LABEL = 'system_u:object_r:etc_t:s0';

function tree(d: string, prefix = ''): string[] {
  return readdirSync(d)
    .sort()
    .flatMap((n) => {
      const p = join(d, n);
      const st = lstatSync(p);
      const rel = prefix + n;
      const kind = st.isSymbolicLink() ? `l ${readlinkSync(p)}` : st.isFile() ? `f ${sha(readFileSync(p))} ${st.nlink}` : 'd';
      const line = `${rel} ${kind} ${(st.mode & 0o7777).toString(8)} ${st.isSymbolicLink() ? '' : Math.floor(st.mtimeMs / 1000)}`;
      return st.isDirectory() ? [line, ...tree(p, `${rel}/`)] : [line];
    });
}

describe.skipIf(skipReason !== '')('jfish tar-in / tar-out', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'jfish-tar-'));
    img = join(dir, 'sample.raw');
    copyFileSync(await fixture('sample.raw'), img);
  }, 600_000);
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('tar-out / - is a tar GNU tar lists, links kept as links', async () => {
    const r = await run(['--ro', ...mount(), ':', 'tar-out', '/', '-'], { encoding: 'buffer' });
    expect(r.stderr.toString()).toBe('');
    expect(r.exitCode).toBe(0);
    writeFileSync(join(dir, 'root.tar'), r.stdout as unknown as Buffer);
    const list = execFileSync('tar', ['-tvf', join(dir, 'root.tar')], { encoding: 'utf8' });
    expect(list).toMatch(/ \.\/hello\.txt$/m);
    expect(list).toMatch(/ \.\/bin -> usr\/bin$/m);
    expect(list).toMatch(/^-rw-r--r-- root\/root .* \.\/etc\/hostname$/m);
    const x = join(dir, 'x');
    mkdirSync(x);
    execFileSync('tar', ['-xf', join(dir, 'root.tar'), '-C', x, './hello.txt', './etc/hostname']);
    expect(readFileSync(join(x, 'hello.txt'), 'utf8')).toBe('Hello from the joot sample image!\n');
  });

  it('a GNU tar -czf archive goes in with tar-in and comes back out identical', async () => {
    const src = join(dir, 'src');
    const long = join(src, 'd'.repeat(70), 'e'.repeat(70));
    mkdirSync(long, { recursive: true });
    mkdirSync(join(src, 'empty'));
    writeFileSync(join(long, `${'f'.repeat(120)}.txt`), 'long name\n');
    const big = Buffer.alloc(2 * 1024 * 1024 + 7);
    for (let i = 0; i < big.length; i++) big[i] = (i * 7 + (i >> 10)) & 0xff;
    writeFileSync(join(src, 'big.bin'), big);
    linkSync(join(src, 'big.bin'), join(src, 'hard.bin'));
    symlinkSync('/etc/shadow', join(src, 'abs'));
    symlinkSync('big.bin', join(src, 'rel'));
    execFileSync('tar', ['-czf', join(dir, 'src.tgz'), '-C', src, '.']);

    const w = await run([...mount(), ':', 'mkdir', '/srv/in', ':', 'tar-in', join(dir, 'src.tgz'), '/srv/in', 'compress:gzip']);
    expect(w.stderr).toBe('');
    expect(w.exitCode).toBe(0);
    const r = await run([
      '--ro',
      ...mount(),
      ':',
      'tar-out',
      '/srv/in',
      join(dir, 'back.tar.xz'),
      'compress:xz',
      ':',
      'readlink',
      '/srv/in/abs',
    ]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('/etc/shadow\n');
    const back = join(dir, 'back');
    mkdirSync(back);
    execFileSync('tar', ['-xJf', join(dir, 'back.tar.xz'), '-C', back]);
    expect(tree(back)).toEqual(tree(src));
  });

  it('tar-in - reads stdin; hostile members are reported and skipped, one line each', async () => {
    const src = join(dir, 'hostile');
    mkdirSync(src);
    symlinkSync('/etc', join(src, 'a'));
    execFileSync('tar', ['-cf', join(dir, 'h1.tar'), '-C', src, 'a']);
    rmSync(join(src, 'a'));
    mkdirSync(join(src, 'a'));
    writeFileSync(join(src, 'a/hostname'), 'pwned\n');
    execFileSync('tar', ['-cf', join(dir, 'h2.tar'), '-C', src, 'a/hostname']);
    execFileSync('tar', ['-Af', join(dir, 'h1.tar'), join(dir, 'h2.tar')]); // a -> /etc, then a/hostname
    const input = readFileSync(join(dir, 'h1.tar'));
    const w = await run([...mount(), ':', 'mkdir', '/srv/h', ':', 'tar-in', '-', '/srv/h', ':', 'echo', 'not reached'], { input });
    expect(w.exitCode).toBe(1);
    expect(w.stderr).toBe(
      "jfish: tar-in: a/hostname: refusing to extract through the symbolic link 'a' made by this archive\n" +
        'jfish: tar-in: 1 member could not be extracted (see above)\n',
    );
    const r = await run(['--ro', ...mount(), ':', 'cat', '/etc/hostname', ':', 'readlink', '/srv/h/a']);
    expect(r.stdout).toBe('sample\n\n/etc\n');
  });

  it('tar-out xattrs:true selinux:true acls:true: GNU tar --xattrs --selinux --acls extracts them', async () => {
    const labels = await onHost((m) => {
      mkdirSync(join(m, 'srv/attrs/d'), { recursive: true });
      writeFileSync(join(m, 'srv/attrs/f'), 'f\n');
      execFileSync('setfattr', ['-n', 'user.foo', '-v', 'bar', join(m, 'srv/attrs/f')]);
      execFileSync('setfattr', ['-n', 'user.bin', '-v', '0x00ff0a3d', join(m, 'srv/attrs/f')]);
      execFileSync('setfattr', ['-n', 'trusted.t', '-v', 'tt', join(m, 'srv/attrs/f')]);
      execFileSync('setfacl', ['-m', 'u:4242:rw', join(m, 'srv/attrs/f')]);
      execFileSync('setfacl', ['-d', '-m', 'u:4242:rwx', join(m, 'srv/attrs/d')]);
      try {
        execFileSync('setfattr', ['-n', 'security.selinux', '-v', LABEL, join(m, 'srv/attrs/f')], { stdio: 'ignore' });
        return true;
      } catch {
        return false; // the host's LSM does not allow it: labels are not checked
      }
    });
    const r = await run([
      '--ro',
      ...mount(),
      ':',
      'tar-out',
      '/srv/attrs',
      join(dir, 'attrs.tar'),
      'xattrs:true',
      'selinux:true',
      'acls:true',
    ]);
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    const x = join(dir, 'attrs-x');
    mkdirSync(x);
    execFileSync('tar', ['--xattrs', '--xattrs-include=*', '--acls', '--selinux', '-xf', join(dir, 'attrs.tar'), '-C', x]);
    const got = xattrsOf(join(x, 'f'));
    expect(got).toContain('user.foo=0sYmFy\n');
    expect(got).toContain('user.bin=0sAP8KPQ==\n');
    expect(got).toContain('trusted.t=0sdHQ=\n');
    expect(aclOf(join(x, 'f'))).toContain('user:4242:rw-');
    expect(aclOf(join(x, 'd'))).toContain('default:user:4242:rwx');
    if (labels) {
      const label = execFileSync('getfattr', ['-h', '--only-values', '-n', 'security.selinux', join(x, 'f')]);
      expect(label.toString('latin1').replace(/\0$/, '')).toBe(LABEL);
    }

    // without the options: none of it in the archive
    const p = await run(['--ro', ...mount(), ':', 'tar-out', '/srv/attrs', '-'], { encoding: 'buffer' });
    expect(p.exitCode).toBe(0);
    const plain = p.stdout as unknown as Buffer;
    for (const k of ['SCHILY.xattr', 'SCHILY.acl', 'RHT.security']) expect(plain.includes(k)).toBe(false);
  });

  it('tar-in xattrs:true selinux:true acls:true applies a GNU tar --xattrs --selinux --acls archive', async () => {
    const src = join(dir, 'attrs-src');
    mkdirSync(join(src, 'd'), { recursive: true });
    writeFileSync(join(src, 'f'), 'f\n');
    execFileSync('setfattr', ['-n', 'user.foo', '-v', 'bar', join(src, 'f')]);
    execFileSync('setfattr', ['-n', 'user.bin', '-v', '0x00ff0a3d', join(src, 'f')]);
    execFileSync('setfacl', ['-m', 'u:4242:rw', join(src, 'f')]);
    execFileSync('setfacl', ['-d', '-m', 'u:4242:rwx', join(src, 'd')]);
    let labels = true;
    try {
      execFileSync('setfattr', ['-n', 'security.selinux', '-v', LABEL, join(src, 'f')], { stdio: 'ignore' });
    } catch {
      labels = false;
    }
    execFileSync('tar', ['--xattrs', '--acls', '--selinux', '--format=posix', '-cf', join(dir, 'attrs-in.tar'), '-C', src, '.']);

    const w = await run([
      ...mount(),
      ':',
      'mkdir',
      '/srv/ain',
      ':',
      'mkdir',
      '/srv/plain',
      ':',
      'tar-in',
      join(dir, 'attrs-in.tar'),
      '/srv/ain',
      'xattrs:true',
      'selinux:true',
      'acls:true',
      ':',
      'tar-in',
      join(dir, 'attrs-in.tar'),
      '/srv/plain',
    ]);
    expect(w.stderr).toBe('');
    expect(w.exitCode).toBe(0);
    await onHost((m) => {
      const got = xattrsOf(join(m, 'srv/ain/f'));
      expect(got).toContain('user.foo=0sYmFy\n');
      expect(got).toContain('user.bin=0sAP8KPQ==\n');
      expect(aclOf(join(m, 'srv/ain/f'))).toContain('user:4242:rw-');
      expect(aclOf(join(m, 'srv/ain/d'))).toContain('default:user:4242:rwx');
      if (labels) expect(got).toContain(`security.selinux=0s${Buffer.from(`${LABEL}\0`).toString('base64')}\n`);
      // without the options nothing was applied
      expect(xattrsOf(join(m, 'srv/plain/f'))).toBe('');
      expect(xattrsOf(join(m, 'srv/plain/d'))).toBe('');
    }, true);
  });

  it('refuses tar-in in a read-only session, and bad optional arguments, in one line', async () => {
    const r = await run(['--ro', ...mount(), ':', 'tar-in', join(dir, 'nonexistent.tar'), '/srv']);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toBe('jfish: tar-in: /srv: the session is read-only\n');
    const x = await run(['--ro', ...mount(), ':', 'tar-in', join(dir, 'nonexistent.tar'), '/srv', 'xattrs:true', 'acls:true']);
    expect(x.exitCode).toBe(1);
    expect(x.stderr).toBe('jfish: tar-in: /srv: the session is read-only\n');
    const b = await run(['--ro', ...mount(), ':', 'tar-out', '/srv', '-', 'compress:rar']);
    expect(b.exitCode).toBe(1);
    expect(b.stderr).toBe("jfish: tar-out: compress: 'rar' is not one of none, gzip, bzip2, xz, zstd, lzop, compress\n");
  });
});
