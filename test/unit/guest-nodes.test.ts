// The node half of GuestFileReader on both engines: the same small guest tree as a host
// directory read by GuestReader (the kernel engine's reader) and as in-memory filesystems read by
// TreeGuestReader (the userspace engine's: a second filesystem mounted on /boot), and the
// read-only operations that walk trees — find, ll, stat, lstat, realpath, filesize, tar-out
// (with --xattrs --selinux --acls) and copy-out — compared byte for byte. The in-memory tree is
// made FROM the host directory (every lstat field, link target, content and xattr copied), so
// the two agree by construction and any difference is the operations' or the readers'.
// Rootless: no mount, no loop device, no chown.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  linkSync,
  lstatSync,
  lutimesSync,
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
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GuestFileReader, GuestFileWriter } from '../../src/appliance/guest-files.js';
import { GuestReader } from '../../src/appliance/guest-reader.js';
import { makedev, nodeStatOf, TreeGuestReader } from '../../src/appliance/tree-reader.js';
import { JootError } from '../../src/core/errors.js';
import { BufferWriter } from '../../src/core/output.js';
import { GuestTree } from '../../src/disk/fs/tree.js';
import { S_IFCHR } from '../../src/disk/fs/types.js';
import { findAll, guestFileSize, guestRealpath, longListing, statRecord } from '../../src/ops/file-ops.js';
import { guestGlob } from '../../src/ops/guest-glob.js';
import { tarOut } from '../../src/ops/tar/ops.js';
import { ByteSource } from '../../src/ops/tar/bytes.js';
import { readTar } from '../../src/ops/tar/reader.js';
import { parseGetfattr } from '../../src/ops/tar/xattrs.js';
import { copyOut } from '../../src/ops/transfer-ops.js';
import { memFs, memNode, type MemNode, type MemTree } from './mem-fs.js';

/** tar-out and copy-out never write the guest */
const NO_WRITER = {} as GuestFileWriter;
/** a fixed "now" for ll's date column */
const NOW = Date.UTC(2024, 0, 15, 12, 0, 0);
const ODD = ['sp ace', 'new\nline', 'back\\slash', 'pct%=eq', 'ünïcödé ✓', '-dash', '*star', 'tab\there'];

let work: string;
let guestDir: string;
let hostReader: GuestReader;
let treeReader: TreeGuestReader;
let haveXattrs = false;

function setfattr(p: string, name: string, value: string): boolean {
  try {
    execFileSync('setfattr', ['-h', '-n', name, '-v', value, p], { stdio: 'pipe' });
    return true;
  } catch {
    return false;
  }
}

/** The guest as a host directory: every kind of node a rootless test can make. */
function buildHostGuest(g: string): void {
  const mk = (p: string) => mkdirSync(join(g, p), { recursive: true });
  mk('etc');
  mk('usr/lib');
  mk('usr/bin');
  mk('usr/share/odd');
  mk('var/empty');
  mk('srv/sticky');
  mk('boot/grub');
  writeFileSync(join(g, 'etc/hostname'), 'guest\n');
  writeFileSync(join(g, 'etc/passwd'), `root:x:0:0:root:/root:/bin/sh\nme:x:${process.getuid?.() ?? 0}:0::/:/bin/sh\n`);
  writeFileSync(join(g, 'etc/group'), 'root:x:0:\n');
  writeFileSync(join(g, 'etc/skip.tmp'), 'excluded\n');
  symlinkSync('../usr/lib/os-release', join(g, 'etc/os-release'));
  symlinkSync('/usr/lib', join(g, 'etc/abs'));
  symlinkSync('../../../../etc/hostname', join(g, 'etc/escape'));
  symlinkSync('/nowhere', join(g, 'etc/dangling'));
  writeFileSync(join(g, 'usr/lib/os-release'), 'ID=test\n');
  writeFileSync(join(g, 'usr/bin/tool'), Buffer.alloc(70_000, 0xab), { mode: 0o755 });
  linkSync(join(g, 'usr/bin/tool'), join(g, 'usr/bin/tool-hard'));
  writeFileSync(join(g, 'srv/setuid'), '#!/bin/sh\n', { mode: 0o4755 });
  execFileSync('chmod', ['1777', join(g, 'srv/sticky')]);
  writeFileSync(join(g, 'srv/empty'), '');
  for (const n of ODD) writeFileSync(join(g, 'usr/share/odd', n), `${n}\n`);
  execFileSync('mkfifo', [join(g, 'var/fifo')]);
  writeFileSync(join(g, 'boot/vmlinuz-6'), 'kernel');
  writeFileSync(join(g, 'boot/grub/grub.cfg'), 'set default=0\n');
  symlinkSync('../..', join(g, 'boot/grub/up'));
  haveXattrs =
    setfattr(join(g, 'etc/hostname'), 'user.comment', 'hello') &&
    setfattr(join(g, 'usr'), 'user.dir', '0sAAECAw==') &&
    setfattr(join(g, 'usr/share/odd/new\nline'), 'user.odd=name%', 'v') &&
    setfattr(join(g, 'boot/grub/grub.cfg'), 'user.on-boot', 'x');
  // Times last, deepest first. Access times in the future: reading never updates them then
  // (relatime), so what both engines show stays put while the test reads.
  const future = Date.now() / 1000 + 2 * 86400;
  const touch = (p: string, i: number): void => {
    const st = lstatSync(p);
    if (st.isDirectory()) for (const [j, n] of readdirSync(p).entries()) touch(join(p, n), i * 7 + j + 1);
    lutimesSync(p, future + i / 1000, 1_700_000_000.123456 + i * 1000.5);
  };
  touch(g, 0);
}

/** getfattr of one host path (links not followed). */
function hostXattrs(p: string): Record<string, Buffer> {
  if (!haveXattrs) return {};
  const out = execFileSync('getfattr', ['-h', '-d', '-m', '-', '-e', 'base64', '--absolute-names', '--', p], { encoding: 'latin1' });
  return Object.fromEntries(parseGetfattr(out).values().next().value ?? []);
}

/** The host node `p` as an in-memory node, every field copied; hard links share one MemNode. */
function memFrom(p: string, links: Map<bigint, MemNode>, extra: MemTree = {}, shadowed?: string): MemNode {
  const st = lstatSync(p, { bigint: true });
  const had = links.get(st.ino);
  if (had) return had;
  const common = {
    perm: Number(st.mode) & 0o7777,
    ino: Number(st.ino),
    nlink: Number(st.nlink),
    uid: Number(st.uid),
    gid: Number(st.gid),
    size: Number(st.size),
    blocks: Number(st.blocks),
    mtimeNs: st.mtimeNs,
    atimeNs: st.atimeNs,
    ctimeNs: st.ctimeNs,
    xattrs: hostXattrs(p),
  };
  let n: MemNode;
  if (st.isDirectory()) {
    const children: MemTree = { ...extra };
    for (const name of readdirSync(p)) if (name !== shadowed) children[name] = memFrom(join(p, name), links);
    n = memNode({ kind: 'dir', children, ...common });
  } else if (st.isSymbolicLink()) n = memNode({ kind: 'link', target: readlinkSync(p), ...common });
  else if (st.isFIFO()) n = memNode({ kind: 'fifo', ...common });
  else n = memNode({ kind: 'file', data: readFileSync(p), ...common });
  links.set(st.ino, n);
  return n;
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'joot-nodes-'));
  guestDir = join(work, 'guest');
  mkdirSync(guestDir);
  buildHostGuest(guestDir);
  hostReader = new GuestReader(guestDir);

  // the same guest in memory: the root filesystem, whose /boot is an empty directory but for a
  // file the mount hides, and /boot's own filesystem mounted over it
  const hidesBoot = { boot: memNode({ kind: 'dir', children: { 'hidden-by-mount': 'x' } }) };
  const rootFs = memFs(memFrom(guestDir, new Map(), hidesBoot, 'boot'));
  const bootFs = memFs(memFrom(join(guestDir, 'boot'), new Map()), { device: '/dev/sda2' });
  const tree = new GuestTree();
  await tree.mount('/', rootFs, await rootFs.root(), '/dev/sda1');
  await tree.mount('/boot', bootFs, await bootFs.root(), '/dev/sda2');
  treeReader = new TreeGuestReader(tree);
});

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

type Outcome<T> = { ok: T } | { error: string };

async function outcome<T>(p: Promise<T>): Promise<Outcome<T>> {
  try {
    return { ok: await p };
  } catch (e) {
    if (!(e instanceof JootError)) throw e;
    return { error: `${e.code} ${e.message}` };
  }
}

/** The same operation on both engines: [kernel engine's reader, userspace engine's]. */
async function onBoth<T>(op: (r: GuestFileReader) => Promise<T>): Promise<[Outcome<T>, Outcome<T>]> {
  return [await outcome(op(hostReader)), await outcome(op(treeReader))];
}

const PATHS = [
  '/',
  '/etc',
  '/etc/hostname',
  '/etc/os-release',
  '/etc/abs',
  '/etc/abs/',
  '/etc/abs/../lib/os-release',
  '/etc/escape',
  '/etc/dangling',
  '/etc/nope',
  '/etc/hostname/x',
  '/usr/bin/tool',
  '/usr/bin/tool-hard',
  '/usr/share/odd/new\nline',
  '/srv/setuid',
  '/srv/sticky',
  '/var/fifo',
  '/boot',
  '/boot/..',
  '/boot/grub/up',
  '/boot/grub/up/etc/hostname',
];

describe('GuestFileReader nodes: the same answers from both engines', () => {
  it('stat and lstat records (dev aside), filesize and realpath', async () => {
    let answered = 0;
    for (const p of PATHS) {
      for (const follow of [true, false]) {
        const [h, t] = await onBoth((r) => statRecord(r, p, follow));
        if ('ok' in h) answered++;
        // st_dev: the host's device of the temp dir vs one number per in-process mount
        const noDev = (o: typeof h) => ('ok' in o ? o.ok.filter(([k]) => k !== 'dev') : o);
        expect(noDev(t), `${follow ? 'stat' : 'lstat'} ${p}`).toEqual(noDev(h));
      }
      const [hs, ts] = await onBoth((r) => guestFileSize(r, p));
      expect(ts, `filesize ${p}`).toEqual(hs);
      const [hr, tr] = await onBoth((r) => guestRealpath(r, p));
      expect(tr, `realpath ${p}`).toEqual(hr);
    }
    expect(answered).toBeGreaterThan(30); // not only the same errors
    // a hard link's two names are one inode
    const [h] = await onBoth((r) => statRecord(r, '/usr/bin/tool-hard', false));
    expect('ok' in h && h.ok.find(([k]) => k === 'nlink')?.[1]).toBe(2n);
  });

  it('find and ll', async () => {
    for (const d of ['/', '/etc', '/etc/abs', '/usr/share/odd', '/boot', '/boot/grub/up', '/etc/hostname', '/nope']) {
      const [hf, tf] = await onBoth((r) => findAll(r, d));
      expect(tf, `find ${d}`).toEqual(hf);
      const [hl, tl] = await onBoth((r) => longListing(r, d, NOW));
      expect(tl, `ll ${d}`).toEqual(hl);
    }
    const [, tf] = await onBoth((r) => findAll(r, '/boot'));
    expect(tf).toEqual({ ok: ['grub', 'grub/grub.cfg', 'grub/up', 'vmlinuz-6'] }); // not hidden-by-mount
  });

  it('glob: ** too, through links, into the mount on /boot', async () => {
    for (const p of [
      '/*',
      '/**',
      '/**/*',
      '/etc/*',
      '/etc/abs/*',
      '/boot/**/grub.cfg',
      '/{etc,boot}/*',
      '/usr/share/odd/*',
      '/**/up',
      '/nope/*',
    ]) {
      const [h, t] = await onBoth((r) => guestGlob(r, p));
      expect(t, `glob ${p}`).toEqual(h);
      expect('ok' in h && h.ok.length > 0, `glob ${p}`).toBe(p !== '/nope/*');
    }
  });

  it('tar-out, with xattrs, SELinux labels and ACLs asked for, is the same archive', async () => {
    for (const d of ['/', '/usr', '/boot', '/etc/abs']) {
      for (const numericOwner of [false, true]) {
        const archive = async (r: GuestFileReader) => {
          const out = new BufferWriter();
          const warnings: string[] = [];
          const s = { reader: r, writer: NO_WRITER };
          await tarOut(
            s,
            d,
            '-',
            out,
            { compress: 'none', numericOwner, excludes: ['*.tmp'], attrs: { xattrs: true, selinux: true, acls: true } },
            { warn: (m) => warnings.push(m) },
          );
          return { bytes: out.bytes(), warnings };
        };
        const [h, t] = await onBoth(archive);
        expect('ok' in h, `tar-out ${d}`).toBe(true);
        if (!('ok' in h) || !('ok' in t)) throw new Error(`tar-out ${d}: ${JSON.stringify([h, t])}`);
        expect(t.ok.warnings, `tar-out ${d} warnings`).toEqual(h.ok.warnings);
        expect(t.ok.bytes.equals(h.ok.bytes), `tar-out ${d}: the archives differ`).toBe(true);
      }
    }
  });

  it('tar-out archives what the guest has: links, hard links, FIFOs, xattrs, the mounted /boot', async () => {
    const out = new BufferWriter();
    const s = { reader: treeReader, writer: NO_WRITER };
    await tarOut(
      s,
      '/',
      '-',
      out,
      { compress: 'none', numericOwner: true, excludes: [], attrs: { xattrs: true, selinux: false, acls: false } },
      { warn: () => {} },
    );
    const members = new Map<string, { type: string; linkname: string }>();
    const bytes = out.bytes();
    async function* once() {
      yield bytes;
    }
    for await (const m of readTar(new ByteSource(once()))) {
      members.set(m.header.name.toString('utf8'), { type: m.header.type, linkname: m.header.linkname.toString('utf8') });
      for await (const _ of m.body) void _;
    }
    expect(members.get('./etc/abs')).toMatchObject({ type: '2', linkname: '/usr/lib' });
    expect(members.get('./usr/bin/tool-hard')).toMatchObject({ type: '1', linkname: './usr/bin/tool' });
    expect(members.get('./var/fifo')?.type).toBe('6');
    expect(members.has('./boot/grub/grub.cfg')).toBe(true);
    expect(members.has('./boot/hidden-by-mount')).toBe(false);
    if (haveXattrs) expect(bytes.includes('SCHILY.xattr.user.comment=hello\n')).toBe(true);
  });

  it('copy-out makes the same host trees', async () => {
    const copies: Record<string, string> = {};
    const run = async (r: GuestFileReader, which: string) => {
      const warnings: string[] = [];
      const s = { reader: r, writer: NO_WRITER };
      const sets = [['/etc', '/usr', '/boot', '/var/fifo', '/etc/abs', '/srv'], ['/'], ['/boot/grub/up', '/etc/abs/']];
      for (const [i, remotes] of sets.entries()) {
        const dst = join(work, `copy-${which}-${i}`);
        mkdirSync(dst);
        copies[`${which}${i}`] = dst;
        await copyOut(s, remotes!, dst, { warn: (m) => warnings.push(m) });
      }
      return warnings;
    };
    const [h, t] = [await outcome(run(hostReader, 'kernel')), await outcome(run(treeReader, 'userspace'))];
    expect(t).toEqual(h);
    for (const i of [0, 1, 2]) expect(walkHost(copies[`userspace${i}`]!), `copy-out set ${i}`).toEqual(walkHost(copies[`kernel${i}`]!));
    expect(walkHost(copies.kernel1!).some((l) => l.startsWith('boot/grub/grub.cfg '))).toBe(true);
  });

  it('device nodes: rdev in glibc encoding, as ll, stat and tar-out show them', async () => {
    const fs = memFs({
      dev: {
        null: memNode({ kind: 'chr', perm: 0o666, rdevMajor: 1, rdevMinor: 3 }),
        sdq: memNode({ kind: 'blk', perm: 0o660, gid: 6, rdevMajor: 65, rdevMinor: 4096 }),
      },
    });
    const tree = new GuestTree();
    await tree.mount('/', fs, await fs.root(), '/dev/sda1');
    const r = new TreeGuestReader(tree);
    // the host's own /dev/null is 1:3 in the same encoding
    expect(makedev(1, 3)).toBe(lstatSync('/dev/null', { bigint: true }).rdev);
    expect(
      nodeStatOf({ ino: 1, mode: S_IFCHR | 0o666, nlink: 1, uid: 0, gid: 0, size: 0, mtimeNs: 0n, rdevMajor: 1, rdevMinor: 3 }, 1n).rdev,
    ).toBe(259n);
    const rec = await statRecord(r, '/dev/sdq', false);
    expect(rec.find(([k]) => k === 'rdev')?.[1]).toBe(makedev(65, 4096));
    const ll = await longListing(r, '/dev', NOW);
    expect(ll.find((l) => l.endsWith(' null'))).toMatch(/^crw-rw-rw- 1 root root +1, 3 Nov 14 22:13 null$/);
    expect(ll.find((l) => l.endsWith(' sdq'))).toMatch(/^brw-rw---- 1 root 6 +65, 4096 /);
    const out = new BufferWriter();
    const s = { reader: r, writer: NO_WRITER };
    await tarOut(s, '/dev', '-', out, { compress: 'none', numericOwner: true, excludes: [] }, { warn: () => {} });
    async function* once() {
      yield out.bytes();
    }
    const devs: string[] = [];
    for await (const m of readTar(new ByteSource(once()))) {
      if (m.header.type === '3' || m.header.type === '4')
        devs.push(`${m.header.name} ${m.header.type} ${m.header.devmajor}:${m.header.devminor}`);
      for await (const _ of m.body) void _;
    }
    expect(devs).toEqual(['./null 3 1:3', './sdq 4 65:4096']);
  });
});

/** A host tree as lines: path, type, mode, size, times, owner, link target, content digest. */
function walkHost(dir: string): string[] {
  const out: string[] = [];
  const walk = (p: string, rel: string): void => {
    for (const name of readdirSync(p).sort()) {
      const q = join(p, name);
      const r = rel ? `${rel}/${name}` : name;
      const st = lstatSync(q, { bigint: true });
      const what = st.isSymbolicLink()
        ? `-> ${readlinkSync(q)}`
        : st.isFile()
          ? createHash('sha256').update(readFileSync(q)).digest('hex')
          : '';
      out.push(`${r} ${st.mode.toString(8)} ${st.size} ${st.mtimeNs} ${st.atimeNs} ${st.uid}:${st.gid} ${what}`);
      if (st.isDirectory()) walk(q, r);
    }
  };
  walk(dir, '');
  return out;
}
