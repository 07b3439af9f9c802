// Paths named inside images (issue 12, points 2 and 4): a backing file, a qcow2 external data
// file or a vmdk extent is followed only when it lies in the naming image's directory (or
// below), is an image allowed by name, or lies in a directory the user allows (--backing-dir,
// $JOOT_BACKING_DIRS, the configuration's backing_dirs); it must be a regular file with one
// link; and all of that is checked from the headers, read by joot, before qemu opens anything.
//
// Each hostile image is built the way an attacker would: made by qemu-img on a scratch file in
// its own directory, then the name rewritten in the header or descriptor (never pointing
// qemu-img at a real host file). host/crontab stands in for /var/spool/cron/crontabs/root: its
// sha256 must not change, the tool must fail at once with one line naming the image, the field
// and the path, and nothing may be left behind (loop devices, mounts, processes).
// Runs the built tools: `npm run build` first.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, linkSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { vmdkDescriptorRefs } from '../../src/disk/containers/image-headers.js';
import { CAN_RUN } from './session-helpers.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const BUILT = existsSync(join(repo, 'dist/bundle')) || existsSync(join(repo, 'dist/src/tools/jfish/main.js'));
const MiB = 1024 * 1024;
/** Long enough for any honest refusal; a FIFO that is opened blocks far past it. */
const BOUND_MS = 30_000;

let work = '';
let vm = ''; // the images' directory
let host = ''; // stands for a host tree (/var/spool/cron/crontabs)
let canary = '';
let canarySha = '';
let config = ''; // an empty configuration file: nothing allowed by the user's own
let loopDev = ''; // a block device of the test's own

const sha = (f: string) => createHash('sha256').update(readFileSync(f)).digest('hex');

function tool(name: 'jfish' | 'jinspect', args: string[], env: Record<string, string> = {}) {
  return execa(join(repo, 'bin', name), args, {
    reject: false,
    stripFinalNewline: false,
    timeout: BOUND_MS,
    env: { JOOT_CONFIG: config, JOOT_BACKING_DIRS: '', ...env },
  });
}

/** Exit 1 at once, one line on stderr naming the image and saying `why`, nothing on stdout. */
async function refused(r: Awaited<ReturnType<typeof tool>>, toolName: string, image: string, why: RegExp): Promise<void> {
  expect(r.timedOut, 'must not hang').toBe(false);
  expect(r.exitCode, r.stderr).toBe(1);
  expect(r.stdout).toBe('');
  const lines = r.stderr.replace(/\n$/, '').split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(new RegExp(`^${toolName}: `));
  expect(lines[0]).toContain(image);
  expect(lines[0]).toMatch(why);
  expect(sha(canary), 'the host file must not change').toBe(canarySha);
  expect(leftovers()).toEqual([]);
}

/** Loop devices, mounts and processes that mention the work directory (our test loop aside). */
function leftovers(): string[] {
  const out: string[] = [];
  const loops = execFileSync('losetup', ['-a'], { encoding: 'utf8' }).split('\n');
  out.push(...loops.filter((l) => l.includes(work) && !l.includes(join(work, 'blk.img'))));
  out.push(
    ...readFileSync('/proc/mounts', 'utf8')
      .split('\n')
      .filter((l) => l.includes(work)),
  );
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p) && Number(p) !== process.pid)) {
    let cmd = '';
    try {
      cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
    } catch {
      continue;
    }
    if (cmd.includes(work) && !cmd.includes('vitest')) out.push(`process ${pid}: ${cmd}`);
  }
  return out;
}

/** An ext4 filesystem (no partition table) of `mib` MiB holding /hello.txt. */
function ext4Raw(file: string, mib: number, text = 'hello from the base\n'): void {
  const d = mkdtempSync(join(work, 'tree-'));
  writeFileSync(join(d, 'hello.txt'), text);
  mkdirSync(join(d, 'etc'));
  writeFileSync(join(d, 'etc', 'motd'), 'motd\n');
  execFileSync('truncate', ['-s', `${mib}M`, file]);
  execFileSync('mke2fs', ['-q', '-F', '-t', 'ext4', '-d', d, file]);
  rmSync(d, { recursive: true });
}

/** A monolithicFlat vmdk over `flat` (in its directory), then its descriptor given extra extent lines. */
function vmdkWithExtents(name: string, extra: string[]): string {
  const img = join(vm, name);
  execFileSync('qemu-img', ['create', '-q', '-f', 'vmdk', '-o', 'subformat=monolithicFlat', img, '8M']);
  const flat = join(vm, name.replace(/\.vmdk$/, '-flat.vmdk'));
  ext4Raw(flat, 8);
  const desc = readFileSync(img, 'latin1');
  const first = /^RW \d+ FLAT "[^"]+" 0$/m.exec(desc)![0];
  writeFileSync(img, desc.replace(first, [first, ...extra].join('\n')), 'latin1');
  return img;
}

/** A qcow2 made over a scratch base in `vm`, then its backing name (format `fmt`) rewritten to `name`. */
function qcow2BackedBy(file: string, name: string, fmt = 'raw'): string {
  const img = join(vm, file);
  const scratch = `${img}.scratch`;
  execFileSync('truncate', ['-s', '8M', scratch]);
  execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', '-b', scratch, '-F', fmt, img]);
  rmSync(scratch);
  const buf = readFileSync(img);
  const off = Number(buf.readBigUInt64BE(8));
  buf.fill(0, off, off + 1024);
  buf.write(name, off, 'utf8');
  buf.writeUInt32BE(Buffer.byteLength(name), 16);
  writeFileSync(img, buf);
  return img;
}

/** A qcow2 whose external data file is `name`: made on a scratch data file, then renamed in its header. */
function qcow2WithDataFile(file: string, name: string): string {
  const img = join(vm, file);
  execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', '-o', `data_file=${img}.data,data_file_raw=on`, img, '1M']);
  rmSync(`${img}.data`);
  const buf = readFileSync(img);
  const start = buf.readUInt32BE(100);
  const exts: [number, Buffer][] = [];
  for (let off = start; buf.readUInt32BE(off) !== 0; ) {
    const len = buf.readUInt32BE(off + 4);
    exts.push([buf.readUInt32BE(off), Buffer.from(buf.subarray(off + 8, off + 8 + len))]);
    off += 8 + ((len + 7) & ~7);
  }
  buf.fill(0, start, 4096);
  let off = start;
  for (const [type, data0] of exts) {
    const data = type === 0x44415441 ? Buffer.from(name) : data0; // 'DATA': the data file's name
    buf.writeUInt32BE(type, off);
    buf.writeUInt32BE(data.length, off + 4);
    data.copy(buf, off + 8);
    off += 8 + ((data.length + 7) & ~7);
  }
  writeFileSync(img, buf);
  return img;
}

describe('vmdk descriptors are read as qemu reads them (sscanf at every line start)', () => {
  it('finds extents whatever the access and type, across a newline, and the parent hint', () => {
    const refs = vmdkDescriptorRefs(
      [
        '# Disk DescriptorFile',
        'version=1',
        'createType="monolithicFlat"',
        'RW 2048 FLAT "a.raw" 0',
        'RDONLY 10 SPARSE "/abs/b"',
        'RW',
        '  4 FLAT "split.raw" 0',
        'NOACCESS 1 ZERO',
        'parentFileNameHint="/p/parent.vmdk"',
      ].join('\n'),
    );
    expect(refs.map((r) => [r.kind, r.name])).toEqual([
      ['extent', 'a.raw'],
      ['extent', '/abs/b'],
      ['extent', 'split.raw'],
      ['backing', '/p/parent.vmdk'],
    ]);
  });
});

describe.skipIf(!CAN_RUN || !BUILT)('paths named inside images', () => {
  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'joot-named-'));
    vm = join(work, 'vm');
    host = join(work, 'host');
    mkdirSync(vm);
    mkdirSync(host);
    canary = join(host, 'crontab');
    // big enough to be a whole extent, data file or base: any write would land in it
    writeFileSync(canary, Buffer.alloc(8 * MiB, '# m h dom mon dow command\n'));
    canarySha = sha(canary);
    config = join(work, 'joot.cfg');
    writeFileSync(config, '; nothing allowed here\n');
    execFileSync('truncate', ['-s', '8M', join(work, 'blk.img')]);
    loopDev = execFileSync('losetup', ['-f', '--show', join(work, 'blk.img')], { encoding: 'utf8' }).trim();
  });

  afterAll(() => {
    if (loopDev) execFileSync('losetup', ['-d', loopDev]);
    if (work) rmSync(work, { recursive: true, force: true });
  });

  describe('refused before anything is opened', () => {
    it('a vmdk whose second flat extent is a host file: rw write, ro jfish and jinspect', async () => {
      const img = vmdkWithExtents('evil.vmdk', [`RW 16384 FLAT "${canary}" 0`]);
      const why = new RegExp(`extent 2 names ${canary}, outside the image's directory \\(refused; allow a directory with --backing-dir`);
      await refused(
        await tool('jfish', ['-a', img, 'run', ':', 'mount', '/dev/sda', '/', ':', 'write', '/etc/motd', 'hello']),
        'jfish',
        img,
        why,
      );
      await refused(await tool('jfish', ['--ro', '-a', img, 'run', ':', 'list-filesystems']), 'jfish', img, why);
      await refused(await tool('jinspect', [img]), 'jinspect', img, why);
    });

    it('a qcow2 whose external data file is a host file: part-init', async () => {
      for (const name of [canary, '../host/crontab']) {
        const img = qcow2WithDataFile('evil-data.qcow2', name);
        await refused(
          await tool('jfish', ['-a', img, 'run', ':', 'part-init', '/dev/sda', 'mbr']),
          'jfish',
          img,
          /data file names .*crontab, outside the image's directory \(refused/,
        );
      }
    });

    it('a qcow2 backed by a host file, by absolute and by ../ name: read-only reads', async () => {
      for (const name of [canary, '../host/crontab', `${vm}/../host/crontab`]) {
        const img = qcow2BackedBy('evil-backing.qcow2', name);
        await refused(
          await tool('jfish', ['--ro', '-a', img, 'run', ':', 'blkid', '/dev/sda']),
          'jfish',
          img,
          /backing file names .*crontab, outside the image's directory \(refused/,
        );
      }
    });

    it('a FIFO as an extent or a backing file: an error at once, never a hang (even in the image directory)', async () => {
      const fifo = join(vm, 'pipe.raw');
      execFileSync('mkfifo', [fifo]);
      try {
        const ext = vmdkWithExtents('fifo.vmdk', ['RW 2048 FLAT "pipe.raw" 0']);
        await refused(
          await tool('jinspect', [ext]),
          'jinspect',
          ext,
          /extent 2 names pipe\.raw, which is a FIFO, not a regular file \(refused\)/,
        );
        await refused(await tool('jfish', ['--ro', '-a', ext, 'run']), 'jfish', ext, /which is a FIFO/);
        const back = qcow2BackedBy('fifo-backing.qcow2', 'pipe.raw');
        await refused(await tool('jfish', ['--ro', '-a', back, 'run']), 'jfish', back, /backing file names pipe\.raw, which is a FIFO/);
      } finally {
        rmSync(fifo);
      }
    });

    it('character and block devices as extents or backing files', async () => {
      for (const [dev, kind] of [
        ['/dev/null', 'a character device'],
        ['/dev/zero', 'a character device'],
        [loopDev, 'a block device'],
      ] as const) {
        const ext = vmdkWithExtents('dev.vmdk', [`RW 2048 FLAT "${dev}" 0`]);
        await refused(
          await tool('jfish', ['--ro', '-a', ext, 'run']),
          'jfish',
          ext,
          new RegExp(`extent 2 names ${dev}, which is ${kind}, not a regular file \\(refused\\)`),
        );
        const back = qcow2BackedBy('dev-backing.qcow2', dev);
        await refused(await tool('jfish', ['-a', back, 'run']), 'jfish', back, new RegExp(`backing file names ${dev}, which is ${kind}`));
      }
    });

    it('a symlink in the image directory that leads outside it', async () => {
      symlinkSync(canary, join(vm, 'base-link.raw'));
      try {
        const img = qcow2BackedBy('symlinked.qcow2', 'base-link.raw');
        await refused(
          await tool('jfish', ['--ro', '-a', img, 'run']),
          'jfish',
          img,
          new RegExp(`backing file names base-link\\.raw \\(a symlink to ${canary}\\), outside the image's directory`),
        );
        const ext = vmdkWithExtents('symlinked.vmdk', ['RW 2048 FLAT "base-link.raw" 0']);
        await refused(await tool('jinspect', [ext]), 'jinspect', ext, /extent 2 names base-link\.raw \(a symlink to .*\), outside/);
      } finally {
        rmSync(join(vm, 'base-link.raw'));
      }
    });

    it('a hard link in the image directory (an alias of a file elsewhere)', async () => {
      linkSync(canary, join(vm, 'alias.raw'));
      try {
        const img = qcow2BackedBy('aliased.qcow2', 'alias.raw');
        await refused(
          await tool('jfish', ['--ro', '-a', img, 'run']),
          'jfish',
          img,
          /backing file names alias\.raw, which has 2 hard links and may alias a file elsewhere \(refused/,
        );
        // an allowed directory does not make a second link acceptable either
        await refused(await tool('jfish', ['--ro', '--backing-dir', vm, '-a', img, 'run']), 'jfish', img, /2 hard links/);
      } finally {
        rmSync(join(vm, 'alias.raw'));
      }
    });

    it('a qed backed by a host file; differencing vdi and vpc images (they name a parent)', async () => {
      const qed = join(vm, 'evil.qed');
      const scratch = `${qed}.scratch`;
      execFileSync('truncate', ['-s', '8M', scratch]);
      execFileSync('qemu-img', ['create', '-q', '-f', 'qed', '-b', scratch, '-F', 'raw', qed]);
      rmSync(scratch);
      const q = readFileSync(qed);
      const off = q.readUInt32LE(56);
      q.fill(0, off, off + 1024);
      q.write(canary, off, 'utf8');
      q.writeUInt32LE(Buffer.byteLength(canary), 60);
      writeFileSync(qed, q);
      await refused(
        await tool('jfish', ['--ro', '-a', qed, 'run']),
        'jfish',
        qed,
        new RegExp(`backing file names ${canary}, outside the image's directory`),
      );

      const vdi = join(vm, 'diff.vdi');
      execFileSync('qemu-img', ['create', '-q', '-f', 'vdi', vdi, '8M']);
      const v = readFileSync(vdi);
      v.writeUInt32LE(4, 0x4c); // image type: differencing
      writeFileSync(vdi, v);
      await refused(await tool('jinspect', [vdi]), 'jinspect', vdi, /a differencing vdi image \(it names a parent image\): not supported/);

      const vpc = join(vm, 'diff.vpc');
      execFileSync('qemu-img', ['create', '-q', '-f', 'vpc', vpc, '8M']);
      const p = readFileSync(vpc);
      p.writeUInt32BE(4, 60); // the copy of the footer at the start: disk type differencing
      writeFileSync(vpc, p);
      await refused(await tool('jfish', ['--ro', '-a', vpc, 'run']), 'jfish', vpc, /a differencing vpc \(VHD\) image/);
    });

    it('a vmdk sparse extent whose embedded descriptor names a host file', async () => {
      // a streamOptimized-style sparse file with capacity 0: qemu reads its descriptor's extents
      const sparse = join(vm, 'inner.vmdk');
      execFileSync('qemu-img', ['create', '-q', '-f', 'vmdk', sparse, '1M']);
      const buf = readFileSync(sparse);
      buf.writeBigUInt64LE(0n, 12); // capacity 0
      const descAt = Number(buf.readBigUInt64LE(28)) * 512;
      const desc = `# Disk DescriptorFile\nversion=1\nCID=fffffffe\nparentCID=ffffffff\ncreateType="monolithicFlat"\nRW 2048 FLAT "${canary}" 0\n`;
      buf.fill(0, descAt, descAt + 512);
      buf.write(desc, descAt, 'latin1');
      writeFileSync(sparse, buf);
      const img = vmdkWithExtents('outer.vmdk', ['RW 2048 SPARSE "inner.vmdk"']);
      await refused(
        await tool('jfish', ['--ro', '-a', img, 'run']),
        'jfish',
        img,
        new RegExp(`extent 2: extent 1 names ${canary}, outside the image's directory`),
      );
    });
  });

  describe('allowed', () => {
    let base = '';
    beforeAll(() => {
      mkdirSync(join(vm, 'bases'));
      base = join(vm, 'bases', 'base.raw');
      ext4Raw(base, 8);
      mkdirSync(join(work, 'shared'));
      ext4Raw(join(work, 'shared', 'shared.raw'), 8, 'hello from the shared base\n');
    });

    const cat = (img: string, extra: string[] = [], env: Record<string, string> = {}) =>
      tool('jfish', ['--ro', ...extra, '-a', img, 'run', ':', 'mount', '/dev/sda', '/', ':', 'cat', '/hello.txt'], env);

    it('a backing file in the same directory and below it', async () => {
      const below = qcow2BackedBy('below.qcow2', 'bases/base.raw');
      const r = await cat(below);
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe('hello from the base\n\n');
      const same = join(vm, 'bases', 'same.qcow2');
      execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', '-b', 'base.raw', '-F', 'raw', same]);
      expect((await cat(same)).stdout).toBe('hello from the base\n\n');
      // and a vmdk whose extents are in its own directory, read-write
      const vmdk = vmdkWithExtents('good.vmdk', []);
      const w = await tool('jfish', [
        '-a',
        vmdk,
        'run',
        ':',
        'mount',
        '/dev/sda',
        '/',
        ':',
        'write',
        '/etc/motd',
        'hello',
        ':',
        'cat',
        '/etc/motd',
      ]);
      expect(w.stderr).toBe('');
      expect(w.stdout).toBe('hello\n');
      expect(leftovers()).toEqual([]);
    });

    it('an external data file in the same directory takes the writes (read-write, pinned by name)', async () => {
      const img = qcow2WithDataFile('ok-data.qcow2', 'ok-data.raw');
      execFileSync('truncate', ['-s', '1M', join(vm, 'ok-data.raw')]);
      const r = await tool('jfish', ['-a', img, 'run', ':', 'part-init', '/dev/sda', 'mbr']);
      expect(r.stderr).toBe('');
      expect(r.exitCode).toBe(0);
      expect(readFileSync(join(vm, 'ok-data.raw')).readUInt16LE(510)).toBe(0xaa55);
      expect(sha(canary)).toBe(canarySha);
      expect(leftovers()).toEqual([]);
    });

    it('a backing file in a directory allowed by --backing-dir, JOOT_BACKING_DIRS or backing_dirs', async () => {
      const img = qcow2BackedBy('shared.qcow2', join(work, 'shared', 'shared.raw'));
      const r = await cat(img);
      expect(r.exitCode).toBe(1);
      expect(r.stderr).toMatch(/backing file names .*shared\.raw, outside the image's directory \(refused/);
      expect((await cat(img, ['--backing-dir', join(work, 'shared')])).stdout).toBe('hello from the shared base\n\n');
      expect((await cat(img, [`--backing-dir=${join(work, 'shared')}/`])).stdout).toBe('hello from the shared base\n\n');
      expect((await cat(img, [], { JOOT_BACKING_DIRS: `/nonexistent:${join(work, 'shared')}` })).stdout).toBe(
        'hello from the shared base\n\n',
      );
      const cfg = join(work, 'allow.cfg');
      writeFileSync(cfg, `backing_dirs = ${join(work, 'shared')}\n`);
      expect((await cat(img, [], { JOOT_CONFIG: cfg })).stdout).toBe('hello from the shared base\n\n');
      const j = await tool('jinspect', ['--backing-dir', join(work, 'shared'), img]);
      expect(j.stderr).toMatch(/^jinspect: no operating system found/); // opened, and nothing to find
      expect(leftovers()).toEqual([]);
    });
  });
});
