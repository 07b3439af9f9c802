// jfish tar-in / tar-out: the tar format code (header, reader, writer), and both commands
// against a fake session whose guest is a temporary directory, checked against the host's
// GNU tar in both directions (test-only use of host tar, on host temp dirs). Includes the
// classic hostile archives: absolute names, '..', symlink-then-file, hard links out.
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  linkSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GuestReader } from '../../src/appliance/guest-reader.js';
import { GuestWriter } from '../../src/appliance/guest-writer.js';
import type { Ctx } from '../../src/tools/jfish/command.js';
import { runScript } from '../../src/tools/jfish/dispatch.js';
import { lookup, table } from '../../src/tools/jfish/table.js';
import type { Writer } from '../../src/core/output.js';
import { ByteSource } from '../../src/ops/tar/bytes.js';
import { decodeHeader, encodeHeader, T, type TarHeader } from '../../src/ops/tar/header.js';
import { tarIn, tarOut, type TarIo } from '../../src/ops/tar/ops.js';
import { readTar } from '../../src/ops/tar/reader.js';
import { excluded, globToRegExp } from '../../src/ops/tar/walk.js';
import { TarWriter } from '../../src/ops/tar/writer.js';
import {
  ACL_TAG,
  aclFromText,
  aclToText,
  decodeAcl,
  encodeAcl,
  paxToAttrs,
  attrsToPax,
  parseGetfattr,
  quote,
  unquote,
} from '../../src/ops/tar/xattrs.js';
import { paxRecord, parsePax } from '../../src/ops/tar/header.js';
import type { Compression } from '../../src/ops/tar/compress.js';

class MemWriter implements Writer {
  chunks: Buffer[] = [];
  closed = false;
  escapes = false;
  async write(data: string | Uint8Array): Promise<void> {
    this.chunks.push(Buffer.from(data));
  }
  async lines(lines: Iterable<string>): Promise<void> {
    for (const l of lines) this.chunks.push(Buffer.from(`${l}\n`));
  }
  async guestText(s: string): Promise<void> {
    await this.write(s);
  }

  get buf(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

const root = process.getuid?.() === 0;
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const hostTar = (args: string[], cwd?: string) => execFileSync('tar', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const onPath = (p: string) => (process.env.PATH ?? '').split(':').some((d) => d && existsSync(join(d, p)));

let top = '';
let guest = '';
let host = '';
let decoy = '';
let warnings: string[] = [];

beforeEach(() => {
  top = mkdtempSync(join(tmpdir(), 'jfish-tar-'));
  guest = join(top, 'guest');
  host = join(top, 'host');
  decoy = join(top, 'decoy');
  for (const d of [guest, host, decoy, join(guest, 'etc'), join(guest, 'srv'), join(guest, 'usr/bin')]) mkdirSync(d, { recursive: true });
  writeFileSync(join(guest, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nalice:x:1234:1234::/home/alice:/bin/sh\n');
  writeFileSync(join(guest, 'etc/group'), 'root:x:0:\nstaff:x:4321:\n');
  writeFileSync(join(guest, 'etc/shadow'), 'guest shadow\n');
  symlinkSync('usr/bin', join(guest, 'bin'));
  symlinkSync(decoy, join(guest, 'srv/decoy')); // a guest link naming a host directory
  writeFileSync(join(decoy, 'keep'), 'decoy\n');
  warnings = [];
});
afterEach(() => rmSync(top, { recursive: true, force: true }));

function session(opts: { readonly?: boolean } = {}) {
  const reader = new GuestReader(guest);
  const writer = new GuestWriter(reader, guest, { readonly: opts.readonly });
  return { launched: true, reader, writer };
}
const io = (): TarIo => ({ warn: (m) => warnings.push(m), stderr: { isTTY: false, write: () => true } });

function decoyUntouched(): void {
  expect(readdirSync(decoy)).toEqual(['keep']);
  expect(readFileSync(join(decoy, 'keep'), 'utf8')).toBe('decoy\n');
}

/** A listing of a host tree: type, mode, size/sha or link target, by relative path. */
function tree(d: string, prefix = ''): string[] {
  return readdirSync(d)
    .sort()
    .flatMap((n) => {
      const p = join(d, n);
      const st = lstatSync(p);
      const rel = prefix + n;
      const kind = st.isSymbolicLink()
        ? `l ${readlinkSync(p)}`
        : st.isFile()
          ? `f ${sha(readFileSync(p))} ${st.nlink}`
          : st.isDirectory()
            ? 'd'
            : st.isFIFO()
              ? 'p'
              : st.isCharacterDevice()
                ? `c ${st.rdev}`
                : '?';
      const line = `${rel} ${kind} ${(st.mode & 0o7777).toString(8)}`;
      return st.isDirectory() ? [line, ...tree(p, `${rel}/`)] : [line];
    });
}

function h(name: string, type: string, extra: Partial<TarHeader> = {}): TarHeader {
  return {
    name: Buffer.from(name),
    type,
    mode: 0o644,
    uid: 0,
    gid: 0,
    size: 0,
    mtime: 1_700_000_000,
    linkname: Buffer.alloc(0),
    uname: '',
    gname: '',
    devmajor: 0,
    devminor: 0,
    ...extra,
  };
}

/** Build an archive in memory with our writer. */
async function archive(entries: [TarHeader, string?][]): Promise<Buffer> {
  const out: Buffer[] = [];
  const w = new TarWriter(async (b) => void out.push(Buffer.from(b)));
  for (const [hd, data] of entries) {
    const body =
      data === undefined
        ? undefined
        : (async function* () {
            yield Buffer.from(data);
          })();
    await w.add({ ...hd, size: data === undefined ? 0 : Buffer.byteLength(data) }, body);
  }
  await w.finish();
  return Buffer.concat(out);
}

async function* once(b: Buffer) {
  yield b;
}

describe('tar format', () => {
  it('header round-trips, long names and big numbers via pax', async () => {
    const long = `${'d'.repeat(120)}/${'f'.repeat(120)}`;
    const data = await archive([
      [h('short.txt', T.file, { uid: 1234, gid: 4321, uname: 'alice', gname: 'staff', mode: 0o4755 }), 'hello\n'],
      [h(long, T.file, { uid: 0o10000000, mtime: 1_700_000_000.5 }), 'x'],
      [h('l', T.symlink, { linkname: Buffer.from('t'.repeat(150)) })],
    ]);
    expect(data.length % 10240).toBe(0);
    const got: [TarHeader, string][] = [];
    for await (const e of readTar(new ByteSource(once(data)))) {
      let s = '';
      for await (const c of e.body) s += c.toString();
      got.push([e.header, s]);
    }
    expect(got.map(([x, s]) => [x.name.toString(), x.type, s])).toEqual([
      ['short.txt', '0', 'hello\n'],
      [long, '0', 'x'],
      ['l', '2', ''],
    ]);
    expect(got[0]![0]).toMatchObject({ uid: 1234, gid: 4321, uname: 'alice', gname: 'staff', mode: 0o4755, mtime: 1_700_000_000 });
    expect(got[1]![0]).toMatchObject({ uid: 0o10000000, mtime: 1_700_000_000.5 });
    expect(got[2]![0].linkname.toString()).toBe('t'.repeat(150));
    // GNU tar agrees
    writeFileSync(join(host, 'a.tar'), data);
    const list = hostTar(['-tvf', join(host, 'a.tar')]);
    expect(list).toMatch(/-rwsr-xr-x alice\/staff\s+6 2023-11-14 \S+ short.txt/);
    expect(list).toContain(long);
    expect(list).toContain(`l -> ${'t'.repeat(150)}`);
  });

  it('rejects a bad checksum and ustar split names decode with their prefix', () => {
    const { block } = encodeHeader(h(`${'p'.repeat(80)}/${'n'.repeat(90)}`, T.file));
    expect(decodeHeader(block).name.toString()).toBe(`${'p'.repeat(80)}/${'n'.repeat(90)}`);
    block[0] = block[0]! ^ 1;
    expect(() => decodeHeader(block)).toThrow(/does not look like a tar archive/);
  });

  it('exclude patterns behave like GNU tar --exclude', () => {
    const p = ['*.log', 'cache', 'a?c', '[xy]z'].map(globToRegExp);
    const ex = (n: string) => excluded(Buffer.from(n), p);
    expect(ex('./var/log/x.log')).toBe(true);
    expect(ex('./var/cache')).toBe(true);
    expect(ex('./var/cache2')).toBe(false);
    expect(ex('./abc')).toBe(true);
    expect(ex('./d/yz')).toBe(true);
    expect(ex('./etc/passwd')).toBe(false);
  });
});

describe('jfish tar-out', () => {
  it('is in the table with named optional arguments', () => {
    expect(lookup('tar-out')?.group).toBe('transfer');
    expect(lookup('tar_in')?.name).toBe('tar-in');
  });

  it('packs a guest tree that GNU tar lists and unpacks identically', async () => {
    const d = join(guest, 'srv/data');
    mkdirSync(join(d, 'empty'), { recursive: true });
    mkdirSync(join(d, 'sub'));
    writeFileSync(join(d, 'sub/run.sh'), '#!/bin/sh\necho hi\n');
    chmodSync(join(d, 'sub/run.sh'), 0o750);
    const big = Buffer.alloc(3 * 1024 * 1024 + 5);
    for (let i = 0; i < big.length; i++) big[i] = (i * 13) & 0xff;
    writeFileSync(join(d, 'big.bin'), big);
    linkSync(join(d, 'big.bin'), join(d, 'hard.bin'));
    symlinkSync('/etc/shadow', join(d, 'abs-link'));
    symlinkSync(decoy, join(d, 'host-link'));
    const longDir = join(d, 'l'.repeat(90), 'm'.repeat(90));
    mkdirSync(longDir, { recursive: true });
    writeFileSync(join(longDir, 'n'.repeat(100)), 'deep\n');
    utimesSync(join(d, 'sub/run.sh'), 1_600_000_000, 1_600_000_000);
    if (root) execFileSync('mkfifo', [join(d, 'fifo')]);

    await tarOut(
      session(),
      '/srv/data',
      join(host, 'out.tar'),
      new MemWriter(),
      { compress: 'none', numericOwner: false, excludes: [] },
      io(),
    );
    const list = hostTar(['-tvf', join(host, 'out.tar')]);
    expect(list).toMatch(/^drwx\S+ \S+\s+0 \S+ \S+ \.\/$/m);
    expect(list).toMatch(/\.\/hard\.bin link to \.\/big\.bin|\.\/big\.bin link to \.\/hard\.bin/);
    expect(list).toContain('./abs-link -> /etc/shadow');
    const x = join(host, 'x');
    mkdirSync(x);
    hostTar(['-xf', join(host, 'out.tar'), '-C', x]);
    expect(tree(x)).toEqual(tree(d));
    expect(statSync(join(x, 'sub/run.sh')).mtimeMs).toBe(1_600_000_000_000);
    expect(warnings).toEqual([]);
    decoyUntouched();
  });

  it('writes user names from the guest, or numbers only with numericowner:true; excludes', async () => {
    writeFileSync(join(guest, 'srv/a.log'), 'a');
    writeFileSync(join(guest, 'srv/b.txt'), 'b');
    if (root) execFileSync('chown', ['1234:4321', join(guest, 'srv/b.txt')]);
    const out = new MemWriter();
    const ctx = { session: session(), out, readonly: false, table } as unknown as Ctx;
    await runScript(ctx, [['tar-out', '/srv', '-', 'excludes:*.log,decoy']]);
    writeFileSync(join(host, 'n.tar'), out.buf);
    const list = hostTar(['-tvf', join(host, 'n.tar')]);
    expect(list).not.toContain('a.log');
    expect(list).not.toContain('decoy');
    if (root) expect(list).toMatch(/alice\/staff .*\.\/b\.txt/);
    const out2 = new MemWriter();
    await runScript({ ...ctx, out: out2 } as Ctx, [['tar-out', '/srv', '-', 'numericowner:true', 'compress:gzip']]);
    writeFileSync(join(host, 'n.tgz'), out2.buf);
    const list2 = hostTar(['--numeric-owner', '-tvzf', join(host, 'n.tgz')]);
    if (root) expect(list2).toMatch(/1234\/4321 .*\.\/b\.txt/);
    expect(list2).toContain('./decoy -> ');
  });

  it('refuses unknown optional arguments and unsupported ones', async () => {
    const ctx = { session: session(), out: new MemWriter(), readonly: false, table } as unknown as Ctx;
    await expect(runScript(ctx, [['tar-out', '/srv', '-', 'colour:red']])).rejects.toThrow(/colour:red/);
    await expect(runScript(ctx, [['tar-out', '/srv', '-', 'compress:rar']])).rejects.toThrow(/compress: 'rar' is not one of/);
    await expect(runScript(ctx, [['tar-out', '/nope', '-']])).rejects.toThrow(/\/nope: No such file or directory/);
  });
});

describe('jfish tar-in', () => {
  it('unpacks a GNU tar -czf archive: long names, links, hard links, empty dirs, modes, times', async () => {
    const src = join(host, 'src');
    const long = join(src, 'a'.repeat(60), 'b'.repeat(60));
    mkdirSync(long, { recursive: true });
    mkdirSync(join(src, 'empty'));
    writeFileSync(join(long, `${'c'.repeat(110)}.txt`), 'long\n');
    writeFileSync(join(src, 'f.txt'), 'f\n');
    chmodSync(join(src, 'f.txt'), 0o640);
    linkSync(join(src, 'f.txt'), join(src, 'hard.txt'));
    symlinkSync('f.txt', join(src, 'rel'));
    symlinkSync('/etc/shadow', join(src, 'abs'));
    symlinkSync('x'.repeat(120), join(src, 'longlink'));
    utimesSync(join(src, 'f.txt'), 1_500_000_000, 1_500_000_000);
    chmodSync(join(src, 'empty'), 0o711);
    mkdirSync(join(guest, 'srv/in'));
    for (const format of ['gnu', 'posix', 'ustar'] as const) {
      if (format === 'ustar') {
        // ustar cannot hold these
        rmSync(join(src, 'longlink'));
        rmSync(join(src, 'a'.repeat(60)), { recursive: true });
      }
      const t = join(host, `${format}.tgz`);
      hostTar([`--format=${format}`, '-czf', t, '-C', src, '.']);
      const dst = join(guest, `srv/in/${format}`);
      mkdirSync(dst);
      await tarIn(session(), t, `/srv/in/${format}`, { compress: 'gzip' }, io());
      expect(tree(dst), format).toEqual(tree(src));
      expect(statSync(join(dst, 'f.txt')).mtimeMs).toBe(1_500_000_000_000);
      expect(statSync(join(dst, 'f.txt')).ino).toBe(statSync(join(dst, 'hard.txt')).ino);
    }
    expect(warnings).toEqual([]);
  });

  it('tar-out then tar-in round-trips through every compressor on the host', async () => {
    mkdirSync(join(guest, 'srv/t/d'), { recursive: true });
    writeFileSync(join(guest, 'srv/t/d/x'), 'x'.repeat(100_000));
    for (const c of ['none', 'gzip', 'bzip2', 'xz', 'zstd', 'lzop'] as Compression[]) {
      if (c !== 'none' && c !== 'gzip' && !onPath(c)) continue;
      const f = join(host, `t.${c}`);
      await tarOut(session(), '/srv/t', f, new MemWriter(), { compress: c, numericOwner: false, excludes: [] }, io());
      mkdirSync(join(guest, `srv/${c}`));
      await tarIn(session(), f, `/srv/${c}`, { compress: c }, io());
      expect(tree(join(guest, `srv/${c}`)), c).toEqual(tree(join(guest, 'srv/t')));
    }
  });

  it('a missing compressor, a compressed archive without compress:, garbage and corrupt data: one line each', async () => {
    mkdirSync(join(guest, 'srv/t'));
    await tarOut(session(), '/srv/t', join(host, 't.tgz'), new MemWriter(), { compress: 'gzip', numericOwner: false, excludes: [] }, io());
    await expect(tarIn(session(), join(host, 't.tgz'), '/srv', { compress: 'none' }, io())).rejects.toThrow(
      /looks gzip-compressed: add compress:gzip/,
    );
    writeFileSync(join(host, 'junk'), 'not a tar file at all\n'.repeat(50));
    await expect(tarIn(session(), join(host, 'junk'), '/srv', { compress: 'none' }, io())).rejects.toThrow(
      /does not look like a tar archive/,
    );
    await expect(tarIn(session(), join(host, 'junk'), '/srv', { compress: 'gzip' }, io())).rejects.toThrow(
      /^gzip: invalid compressed data/,
    );
    if (onPath('xz'))
      await expect(tarIn(session(), join(host, 'junk'), '/srv', { compress: 'xz' }, io())).rejects.toThrow(/^xz failed \(exit 1\)/);
    if (!onPath('compress')) {
      await expect(
        tarOut(session(), '/srv', join(host, 'z'), new MemWriter(), { compress: 'compress', numericOwner: false, excludes: [] }, io()),
      ).rejects.toThrow(/^compress: program not found on the host/);
      expect(existsSync(join(host, 'z'))).toBe(false);
    }
  });

  it('refuses a read-only session before reading the archive', async () => {
    const stdin = {
      [Symbol.asyncIterator]() {
        throw new Error('stdin was read');
      },
    } as AsyncIterable<Buffer>;
    await expect(tarIn(session({ readonly: true }), '-', '/srv', { compress: 'none' }, { ...io(), stdin })).rejects.toThrow(
      '/srv: the session is read-only',
    );
  });

  it('strips leading /, refuses .., never follows a symlink the archive made, never leaves the guest', async () => {
    const data = await archive([
      [h('/abs.txt', T.file), 'abs\n'],
      [h('../evil.txt', T.file), 'evil\n'],
      [h('ok/../../evil2.txt', T.file), 'evil\n'],
      [h('a', T.symlink, { linkname: Buffer.from('/etc') })],
      [h('a/passwd', T.file), 'pwned\n'],
      [h('b', T.symlink, { linkname: Buffer.from(decoy) })],
      [h('b/keep', T.file), 'pwned\n'],
      [h('c', T.symlink, { linkname: Buffer.from('sub') })],
      [h('sub/', T.dir)],
      [h('c/x', T.file), 'through a relative link\n'],
      [h('hl', T.hardlink, { linkname: Buffer.from('../../etc/shadow') })],
      [h('hl2', T.hardlink, { linkname: Buffer.from('a/shadow') })],
      [h('decoy/keep', T.file), 'via a guest link to a host dir\n'],
      [h('good.txt', T.file), 'good\n'],
    ]);
    await expect(tarIn(session(), '-', '/srv', { compress: 'none' }, { ...io(), stdin: once(data) })).rejects.toThrow(
      /^8 members could not be extracted/,
    );
    expect(warnings).toEqual([
      "Removing leading `/' from member names",
      "../evil.txt: Member name contains '..'",
      "ok/../../evil2.txt: Member name contains '..'",
      "a/passwd: refusing to extract through the symbolic link 'a' made by this archive",
      "b/keep: refusing to extract through the symbolic link 'b' made by this archive",
      "c/x: refusing to extract through the symbolic link 'c' made by this archive",
      "hl: hard link target ../../etc/shadow: Member name contains '..'",
      "hl2: refusing to extract through the symbolic link 'a' made by this archive",
      'decoy/keep: /srv/decoy: No such file or directory',
    ]);
    expect(readFileSync(join(guest, 'srv/abs.txt'), 'utf8')).toBe('abs\n');
    expect(readFileSync(join(guest, 'srv/good.txt'), 'utf8')).toBe('good\n');
    expect(readFileSync(join(guest, 'etc/passwd'), 'utf8')).toMatch(/^root:/);
    expect(readlinkSync(join(guest, 'srv/a'))).toBe('/etc');
    expect(readdirSync(join(guest, 'srv/sub'))).toEqual([]);
    expect(existsSync(join(top, 'evil.txt'))).toBe(false);
    expect(existsSync(join(guest, 'evil.txt'))).toBe(false);
    decoyUntouched();
  });

  it('replaces links in the way instead of writing through them; follows guest directory links inside the guest', async () => {
    symlinkSync('/etc/shadow', join(guest, 'srv/shadowlink'));
    symlinkSync(join(decoy, 'keep'), join(guest, 'srv/hostfile'));
    const data = await archive([
      [h('shadowlink', T.file), 'replaced\n'],
      [h('hostfile', T.file), 'replaced\n'],
      [h('bin/', T.dir)],
      [h('bin/tool', T.file, { mode: 0o755 }), '#!/bin/sh\n'],
    ]);
    await tarIn(session(), '-', '/srv', { compress: 'none' }, { ...io(), stdin: once(data) });
    expect(lstatSync(join(guest, 'srv/shadowlink')).isFile()).toBe(true);
    expect(readFileSync(join(guest, 'etc/shadow'), 'utf8')).toBe('guest shadow\n');
    decoyUntouched();
    // at the guest root, `bin` is the guest's link to usr/bin: members below it land there
    const d2 = await archive([[h('bin/tool2', T.file, { mode: 0o755 }), 'x\n']]);
    await tarIn(session(), '-', '/', { compress: 'none' }, { ...io(), stdin: once(d2) });
    expect(readFileSync(join(guest, 'usr/bin/tool2'), 'utf8')).toBe('x\n');
    expect(readlinkSync(join(guest, 'bin'))).toBe('usr/bin');
    expect(warnings).toEqual([]);
  });

  it.skipIf(!root)('makes device nodes and FIFOs, and maps owner names through the guest', async () => {
    const data = await archive([
      [h('null', T.char, { devmajor: 1, devminor: 3, mode: 0o666 })],
      [h('fifo', T.fifo, { mode: 0o640 })],
      [h('owned', T.file, { uid: 5, gid: 6, uname: 'alice', gname: 'staff' }), 'o\n'],
      [h('numeric', T.file, { uid: 5, gid: 6, uname: 'nobody-here', gname: '' }), 'n\n'],
    ]);
    await tarIn(session(), '-', '/srv', { compress: 'none' }, { ...io(), stdin: once(data) });
    const n = lstatSync(join(guest, 'srv/null'));
    expect(n.isCharacterDevice()).toBe(true);
    expect(n.rdev).toBe(statSync('/dev/null').rdev);
    expect(n.mode & 0o7777).toBe(0o666);
    expect(lstatSync(join(guest, 'srv/fifo')).isFIFO()).toBe(true);
    expect(statSync(join(guest, 'srv/owned'))).toMatchObject({ uid: 1234, gid: 4321 });
    expect(statSync(join(guest, 'srv/numeric'))).toMatchObject({ uid: 5, gid: 6 });
  });
});

// ------------------------------------------------------------------ xattrs, SELinux, ACLs

// bytes of system.posix_acl_access as the kernel returned them for
// setfacl -m u:1234:rw,g:4321:r,u:root:x,m::r (getfattr -e base64)
const ACCESS_B64 = 'AgAAAAEABgD/////AgABAAAAAAACAAYA0gQAAAQABAD/////CAAEAOEQAAAQAAQA/////yAABAD/////';
const ACCESS_TEXT = 'user::rw-\nuser:root:--x\nuser:alice:rw-\ngroup::r--\ngroup:4321:r--\nmask::r--\nother::r--\n';
const names = { user: (u: number) => ({ 0: 'root', 1234: 'alice' })[u] ?? '', group: (g: number) => ({ 0: 'root' })[g] ?? '' };
const ids = { uidOf: (n: string) => ({ root: 0, alice: 1234 })[n], gidOf: (n: string) => ({ root: 0, staff: 4321 })[n] };
const canXattr = (() => {
  try {
    const d = mkdtempSync(join(tmpdir(), 'jfish-xattr-probe-'));
    try {
      writeFileSync(join(d, 'f'), '');
      execFileSync('setfattr', ['-n', 'user.probe', '-v', '1', join(d, 'f')], { stdio: 'ignore' });
      return true;
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  } catch {
    return false;
  }
})();
const xattrsOf = (p: string): string =>
  execFileSync('getfattr', ['-h', '-d', '-m', '-', '-e', 'base64', '--absolute-names', p], { encoding: 'utf8' });

describe('jfish tar xattrs / selinux / acls: formats', () => {
  it('pax records carry binary values raw, with a byte-counting length prefix; empty xattrs survive', () => {
    const v = Buffer.from([0, 0xff, 0x0a, 0x3d]);
    const r = paxRecord('SCHILY.xattr.user.bin', v);
    expect(r).toEqual(Buffer.concat([Buffer.from('30 SCHILY.xattr.user.bin='), v, Buffer.from('\n')]));
    const body = Buffer.concat([r, paxRecord('SCHILY.xattr.user.empty', Buffer.alloc(0)), paxRecord('path', Buffer.from('x'))]);
    const p = parsePax(body);
    expect(Buffer.from(p['SCHILY.xattr.user.bin']!, 'latin1')).toEqual(v);
    expect(p['SCHILY.xattr.user.empty']).toBe('');
    expect(p.path).toBe('x');
    // 9 + 1 digit boundary: the prefix counts itself
    const nine = paxRecord('k', Buffer.alloc(0));
    expect(nine.toString()).toBe('4 k=\n'.replace('4', String(nine.length)));
    expect(Number(nine.toString().split(' ')[0])).toBe(nine.length);
  });

  it('converts POSIX ACL attributes to and from GNU tar text (acl_to_text)', () => {
    const bin = Buffer.from(ACCESS_B64, 'base64');
    const entries = decodeAcl(bin);
    expect(entries[1]).toEqual({ tag: ACL_TAG.user, perm: 1, id: 0 });
    expect(aclToText(entries, names)).toBe(ACCESS_TEXT);
    expect(aclToText(entries, { user: () => '', group: () => '' })).toContain('user:1234:rw-\n');
    expect(encodeAcl(aclFromText(ACCESS_TEXT, ids))).toEqual(bin);
    // acl_from_text's other spellings: commas, one-letter tags, comments, numbers, any order
    expect(encodeAcl(aclFromText('o::r--, m::r\ng:staff:r #x\nu:0:--x\nu::rw-\nuser:1234:rw-\t#effective:r--\ng::r', ids))).toEqual(bin);
    expect(() => aclFromText('user:nobody:rwx\n', ids)).toThrow(/no such user/);
    expect(() => aclFromText('bogus::rwx\n', ids)).toThrow(/bad ACL entry/);
    expect(() => decodeAcl(Buffer.from([1, 0, 0, 0]))).toThrow(/malformed/);
  });

  it('maps attributes to GNU tar records, each option owning its part', () => {
    const attrs = new Map<string, Buffer>([
      ['user.foo', Buffer.from('bar')],
      ['user.a=b%', Buffer.from('x')],
      ['trusted.t', Buffer.from('tt')],
      ['security.selinux', Buffer.from('system_u:object_r:tmp_t:s0\0')],
      ['system.posix_acl_access', Buffer.from(ACCESS_B64, 'base64')],
    ]);
    const all = { xattrs: true, selinux: true, acls: true };
    const recs = attrsToPax(attrs, 0o644, false, false, all, names);
    expect(recs.map(([k, v]) => `${k}=${v.toString('latin1')}`)).toEqual([
      `SCHILY.acl.access=${ACCESS_TEXT}`,
      'RHT.security.selinux=system_u:object_r:tmp_t:s0',
      'SCHILY.xattr.user.foo=bar',
      'SCHILY.xattr.user.a%3Db%25=x',
      'SCHILY.xattr.trusted.t=tt',
    ]);
    expect(attrsToPax(attrs, 0o644, false, false, { xattrs: true, selinux: false, acls: false }, names).map(([k]) => k)).toEqual([
      'SCHILY.xattr.user.foo',
      'SCHILY.xattr.user.a%3Db%25',
      'SCHILY.xattr.trusted.t',
    ]);
    // a directory with only a default ACL: the access ACL comes from the mode, as GNU tar writes it
    const d = attrsToPax(
      new Map([['system.posix_acl_default', encodeAcl(aclFromText('u::rwx,u:alice:rwx,g::r-x,m::rwx,o::r-x', ids))]]),
      0o755,
      true,
      false,
      all,
      names,
    );
    expect(d).toEqual([
      ['SCHILY.acl.access', Buffer.from('user::rwx\ngroup::r-x\nother::r-x\n')],
      ['SCHILY.acl.default', Buffer.from('user::rwx\nuser:alice:rwx\ngroup::r-x\nmask::rwx\nother::r-x\n')],
    ]);
    // and back: names through the guest, system.* never as a plain xattr, label gets its NUL
    const pax = Object.fromEntries(recs.map(([k, v]) => [k, v.toString('latin1')]));
    pax['SCHILY.xattr.system.posix_acl_access'] = 'junk';
    pax['SCHILY.xattr.security.selinux'] = 'other';
    const back = paxToAttrs(pax, false, false, all, ids);
    expect(back.map(([n, v]) => `${n}=${v.toString('latin1')}`)).toEqual([
      'user.foo=bar',
      'user.a=b%=x',
      'trusted.t=tt',
      'security.selinux=system_u:object_r:tmp_t:s0\0',
      `system.posix_acl_access=${Buffer.from(ACCESS_B64, 'base64').toString('latin1')}`,
    ]);
    expect(paxToAttrs(pax, false, true, all, ids).map(([n]) => n)).not.toContain('system.posix_acl_access'); // no ACLs on links
    expect(paxToAttrs(pax, false, false, { xattrs: false, selinux: false, acls: false }, ids)).toEqual([]);
  });

  it("reads getfattr's dump format and quotes names for setfattr --restore", () => {
    const name = Buffer.from('/g/a\nb c\\d=\xe9', 'latin1');
    expect(unquote(quote(name))).toEqual(name);
    expect(quote(name)).not.toMatch(/[\n =\\](?![0-7]{3})/);
    const m = parseGetfattr('# file: /g/a\\012b\nuser.e=0s\nuser.x=0sAP8=\n\n# file: /g/c\ntrusted.t=0sdHQ=\n\n');
    expect([...m.keys()]).toEqual(['/g/a\nb', '/g/c']);
    expect(m.get('/g/a\nb')!.get('user.e')).toEqual(Buffer.alloc(0));
    expect(m.get('/g/a\nb')!.get('user.x')).toEqual(Buffer.from([0, 0xff]));
  });
});

describe.skipIf(!canXattr)('jfish tar xattrs / acls against GNU tar (host temp dirs)', () => {
  it('tar-out xattrs:true acls:true: GNU tar --xattrs --acls extracts them; without the options nothing', async () => {
    const f = join(guest, 'srv/f.txt');
    writeFileSync(f, 'f\n');
    mkdirSync(join(guest, 'srv/d'));
    execFileSync('setfattr', ['-n', 'user.foo', '-v', 'bar', f]);
    execFileSync('setfattr', ['-n', 'user.bin', '-v', '0x00ff0a3d', f]);
    execFileSync('setfacl', ['-m', 'u:1234:rw', f]);
    execFileSync('setfacl', ['-d', '-m', 'u:1234:rwx', join(guest, 'srv/d')]);
    const out = new MemWriter();
    // names come from the guest (alice is 1234 there; the host's GNU tar would not know her)
    const named = new MemWriter();
    await tarOut(
      session(),
      '/srv',
      '-',
      named,
      { compress: 'none', numericOwner: false, excludes: ['decoy'], attrs: { xattrs: false, selinux: false, acls: true } },
      io(),
    );
    expect(named.buf.includes('SCHILY.acl.access=user::rw-\nuser:alice:rw-\ngroup::r--\nmask::rw-\nother::r--\n\n')).toBe(true);
    expect(named.buf.includes('SCHILY.xattr.')).toBe(false);
    await tarOut(
      session(),
      '/srv',
      '-',
      out,
      { compress: 'none', numericOwner: true, excludes: ['decoy'], attrs: { xattrs: true, selinux: false, acls: true } },
      io(),
    );
    writeFileSync(join(host, 'x.tar'), out.buf);
    const x = join(host, 'x');
    mkdirSync(x);
    hostTar(['--xattrs', '--xattrs-include=*', '--acls', '-xf', join(host, 'x.tar'), '-C', x]);
    expect(xattrsOf(join(x, 'f.txt'))).toContain('user.bin=0sAP8KPQ==\n');
    expect(xattrsOf(join(x, 'f.txt'))).toContain('user.foo=0sYmFy\n');
    expect(execFileSync('getfacl', ['-cn', join(x, 'f.txt')], { encoding: 'utf8' })).toContain('user:1234:rw-');
    expect(execFileSync('getfacl', ['-cn', join(x, 'd')], { encoding: 'utf8' })).toContain('default:user:1234:rwx');
    expect(warnings).toEqual([]);

    const plain = new MemWriter();
    await tarOut(session(), '/srv', '-', plain, { compress: 'none', numericOwner: false, excludes: ['decoy'] }, io());
    expect(plain.buf.includes('SCHILY.')).toBe(false);
  });

  it('tar-in xattrs:true acls:true applies GNU tar --xattrs --acls records to extracted members only, never through a link', async () => {
    const src = join(host, 'src');
    mkdirSync(join(src, 'd'), { recursive: true });
    writeFileSync(join(src, 'f'), 'f\n');
    execFileSync('setfattr', ['-n', 'user.foo', '-v', 'bar', join(src, 'f')]);
    execFileSync('setfattr', ['-n', 'user.bin', '-v', '0x00ff0a3d', join(src, 'f')]);
    execFileSync('setfacl', ['-m', 'u:1234:rw', join(src, 'f')]);
    execFileSync('setfacl', ['-d', '-m', 'u:1234:rwx', join(src, 'd')]);
    hostTar(['--xattrs', '--acls', '--format=posix', '-cf', join(host, 'in.tar'), '-C', src, '.']);
    await tarIn(session(), join(host, 'in.tar'), '/srv', { compress: 'none', attrs: { xattrs: true, selinux: true, acls: true } }, io());
    expect(warnings).toEqual([]);
    const got = xattrsOf(join(guest, 'srv/f'));
    expect(got).toContain('user.foo=0sYmFy\n');
    expect(got).toContain('user.bin=0sAP8KPQ==\n');
    expect(execFileSync('getfacl', ['-cn', join(guest, 'srv/f')], { encoding: 'utf8' })).toContain('user:1234:rw-');
    expect(execFileSync('getfacl', ['-cn', join(guest, 'srv/d')], { encoding: 'utf8' })).toContain('default:user:1234:rwx');

    // without the options: nothing applied
    mkdirSync(join(guest, 'srv/plain'));
    await tarIn(session(), join(host, 'in.tar'), '/srv/plain', { compress: 'none' }, io());
    expect(xattrsOf(join(guest, 'srv/plain/f'))).toBe('');

    // a symlink member carrying attributes, pointing at a host file: the link is not followed
    const hostile = await archive([
      [h('l', T.symlink, { linkname: Buffer.from(join(decoy, 'keep')), extraPax: [['SCHILY.xattr.user.evil', Buffer.from('1')]] })],
      [h('g', T.file, { extraPax: [['SCHILY.xattr.user.ok', Buffer.from('1')]] }), 'g\n'],
      [h('g', T.symlink, { linkname: Buffer.from(join(decoy, 'keep')) })], // replaces g: its attributes are not applied
    ]);
    writeFileSync(join(host, 'hostile.tar'), hostile);
    warnings = [];
    await tarIn(
      session(),
      join(host, 'hostile.tar'),
      '/srv',
      { compress: 'none', attrs: { xattrs: true, selinux: false, acls: false } },
      io(),
    );
    expect(xattrsOf(join(decoy, 'keep'))).toBe('');
    expect(warnings.join('\n')).toMatch(/^l: Operation not permitted$/m);
    expect(warnings.join('\n')).not.toContain(top);
    decoyUntouched();
  });

  it('a non-UTF-8 name is archived without attributes, with a warning', async () => {
    const bad = Buffer.concat([Buffer.from(join(guest, 'srv/')), Buffer.from([0xff])]);
    writeFileSync(bad, 'x');
    const out = new MemWriter();
    await tarOut(
      session(),
      '/srv',
      '-',
      out,
      { compress: 'none', numericOwner: false, excludes: ['decoy'], attrs: { xattrs: true, selinux: false, acls: false } },
      io(),
    );
    expect(warnings.join('\n')).toMatch(/not valid UTF-8/);
  });
});
